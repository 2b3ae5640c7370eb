// Incremental parser for Server-Sent Events (the `watch` routes in docs/api.md).
//
// Contract: feed() takes body bytes in arbitrary pieces and returns the events completed by
// them, in order. Comment lines (": keep-alive") are dropped; multi-line data is joined with
// '\n'; an event with a type but no data is still delivered; "\r\n" and "\n" line endings
// both work. Fields other than event/data/id are ignored.
//
// Usage:
//   SseParser parser;
//   for (const SseEvent& e : parser.feed(chunk)) handle(e.event, e.data);
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace k4ds::cli {

struct SseEvent {
  std::string event = "message";
  std::string data;
  std::string id;
};

class SseParser {
 public:
  std::vector<SseEvent> feed(std::string_view bytes);

 private:
  void line(std::string_view text, std::vector<SseEvent>& out);

  std::string partial_;  // an unfinished line
  SseEvent current_;
  bool has_data_ = false;
};

}  // namespace k4ds::cli
