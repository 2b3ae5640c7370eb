// The REST API under /api/v1 (docs/api.md is the reference; /api/v1/openapi.json is served).
//
// Contract: Api::handle is a synchronous function of the request: it authenticates (session
// cookie or bearer token), authorizes, calls the store and returns a reply. It blocks on the
// store, so the listener calls it on a worker thread, never on an I/O thread. It never throws
// for bad input: every refusal is a JSON body {"code": ..., "message": ...} with the matching
// HTTP status. Streaming replies (Server-Sent Events, followed logs) are returned as a
// StreamReply that the listener pumps.
//
// Usage:
//   Api api(deps);
//   Reply reply = api.handle(request, RequestContext{.client_address = "127.0.0.1"});
//   if (auto* full = std::get_if<HttpResponse>(&reply)) write(*full);
#pragma once

#include <boost/beast/http.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>

namespace k4ds {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

struct RequestContext {
  std::string client_address;  // the peer (after trusted-proxy resolution)
  bool secure = false;         // the client reached us over HTTPS (directly or via a trusted proxy)
};

// A streaming reply. The listener writes `head` (its body is sent chunked), then calls next()
// on a worker thread until it returns nullopt. next(wait) blocks at most `wait` and returns the
// text to send; an empty string means "nothing new" (the listener may send a keep-alive).
struct StreamReply {
  boost::beast::http::response<boost::beast::http::empty_body> head;
  std::function<std::optional<std::string>(std::chrono::milliseconds wait)> next;
  // Called once when the client goes away or the stream ends; releases subscriptions.
  std::function<void()> close;
  // 0: new data only follows store changes, so the listener waits for the change feed.
  // Otherwise the source changes outside the store (a log file) and is polled this often.
  std::chrono::milliseconds poll_every{0};
};

using Reply = std::variant<HttpResponse, StreamReply>;

}  // namespace k4ds
