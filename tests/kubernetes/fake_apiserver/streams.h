// The long-lived answers of the test API server, written as they happen:
// - watch: GET <collection>?watch=true&resourceVersion=RV&timeoutSeconds=N (default 5): the
//   changes after RV that the collection and its selectors take in, one JSON event per line
//   ({"type": "ADDED"|"MODIFIED"|"DELETED", "object": …}), then a BOOKMARK at the newest
//   version after N seconds. RV before the compacted version (/_test/compact, or the restart
//   of a server with a state file): a single ERROR event with a 410 Expired Status; open
//   watches end the same way when a compaction happens.
// - follow_log: GET <pod>/log?follow=true&timeoutSeconds=N (default 30): the Pod's output so
//   far, then what is appended, until the Pod is deleted (its container ended) or N seconds pass.
//
// Contract
// - Both count as API requests; the caller has checked the bearer token. They block the calling
//   thread (one per connection) and end early when the client has gone (Sink::closed()).
// - The store's lock is never held while writing to the client.
//
// Usage:
//   if (is_follow) { if (auto r = follow_log(store, request, sink)) write(*r); }
//   else watch(store, request, sink);
#pragma once

#include <optional>
#include <string_view>

#include "reply.h"
#include "store.h"

namespace k4ds::fake_apiserver {

// Where a stream goes: the status line and headers (200, the content type, ended by the
// connection's close), then the body piece by piece.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual bool begin(std::string_view content_type) = 0;  // false: the client is gone
  virtual bool write(std::string_view data) = 0;          // false: the client is gone
  virtual bool closed() = 0;                              // the client hung up
};

void watch(Store& store, const Request& request, Sink& sink);
// nullopt after streaming; the answer to send instead (404 when there is no such Pod).
std::optional<Reply> follow_log(Store& store, const Request& request, Sink& sink);

}  // namespace k4ds::fake_apiserver
