// Watch streams and log follows of the test API server (see streams.h).
#include "streams.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "selectors.h"

namespace k4ds::fake_apiserver {
namespace json = boost::json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

std::string event_line(std::string_view type, const json::object& object) {
  return "{\"type\":\"" + std::string(type) + "\",\"object\":" + json::serialize(object) + "}\n";
}

std::string rstrip_slashes(std::string path) {
  while (!path.empty() && path.back() == '/') path.pop_back();
  return path;
}

Clock::time_point deadline_from(const Query& q, const char* fallback) {
  double seconds = std::atof(query_value(q, "timeoutSeconds", fallback).c_str());
  return Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

// Waits (lock held) until `changed` holds, the deadline passes or the client hangs up, looking
// at the connection every `slice`. False when the client has gone.
template <class Pred>
bool wait_for(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, Clock::time_point deadline,
              Clock::duration slice, Sink& sink, Pred changed) {
  while (!changed() && Clock::now() < deadline) {
    cv.wait_until(lock, std::min(deadline, Clock::now() + slice), changed);
    if (sink.closed()) return false;
  }
  return true;
}

}  // namespace

void watch(Store& store, const Request& request, Sink& sink) {
  const Query q = parse_query(request.query);
  const int64_t since = std::strtoll(query_value(q, "resourceVersion", "0").c_str(), nullptr, 10);
  const Clock::time_point deadline = deadline_from(q, "5");
  const std::string path = rstrip_slashes(request.path);
  if (!sink.begin("application/json")) return;
  std::unique_lock lock(store.mu);
  ++store.requests;
  auto end_with = [&](const std::string& line) {
    lock.unlock();
    sink.write(line);
  };
  if (since < store.compacted) {
    const std::string message = "too old resource version: " + std::to_string(since) + " (" +
                                std::to_string(store.compacted) + ")";
    return end_with(event_line("ERROR", status_object(410, "Expired", message)));
  }
  int64_t sent = since;
  const int64_t compactions = store.compactions;
  for (;;) {
    if (store.compactions != compactions) {
      return end_with(event_line("ERROR", status_object(410, "Expired", "too old resource version: the watch was dropped")));
    }
    std::string batch;
    for (auto it = store.events_after(sent); it != store.events.end(); ++it) {
      if (selected(path, q, it->key, *it->object)) batch += event_line(it->type, *it->object);
    }
    sent = store.version;
    if (!batch.empty()) {
      lock.unlock();
      const bool written = sink.write(batch);
      lock.lock();
      if (!written) return;
    }
    if (Clock::now() >= deadline) break;
    auto changed = [&] { return store.version != sent || store.compactions != compactions; };
    if (!wait_for(lock, store.changed, deadline, 250ms, sink, changed)) return;
  }
  json::object bookmark{{"kind", "Pod"},
                        {"apiVersion", "v1"},
                        {"metadata", {{"resourceVersion", std::to_string(store.version)}}}};
  end_with(event_line("BOOKMARK", bookmark));
}

std::optional<Reply> follow_log(Store& store, const Request& request, Sink& sink) {
  const std::string log_path = rstrip_slashes(request.path);
  const std::string pod = log_path.substr(0, log_path.size() - 4);  // without "/log"
  const Query q = parse_query(request.query);
  const Clock::time_point deadline = deadline_from(q, "30");
  std::unique_lock lock(store.mu);
  ++store.requests;
  if (!store.objects.contains(pod)) {
    return status_reply(404, "NotFound", "pods \"" + last_part(pod) + "\" not found", {last_part(pod), "pods"});
  }
  lock.unlock();
  if (!sink.begin("text/plain")) return std::nullopt;
  lock.lock();
  size_t sent = 0;
  for (;;) {
    const std::string& text = store.log_of(pod);
    if (text.size() > sent) {
      std::string more = text.substr(sent);
      sent = text.size();
      lock.unlock();
      const bool written = sink.write(more);
      lock.lock();
      if (!written) return std::nullopt;
    }
    if (!store.objects.contains(pod) || Clock::now() >= deadline) break;
    // Woken by an append, else every 200 ms: a deleted Pod ends the stream.
    auto appended = [&] { return store.log_of(pod).size() > sent; };
    if (!wait_for(lock, store.changed, std::min(deadline, Clock::now() + 200ms), 200ms, sink, appended)) break;
  }
  return std::nullopt;
}

}  // namespace k4ds::fake_apiserver
