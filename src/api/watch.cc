// GET /api/v1/workspaces/{owner}/{name}/watch: Server-Sent Events driven by the store's
// change feed. The stream holds no subscription of its own: each next() blocks in
// Store::wait_for_change, so closing it only has to stop further reads.
#include <boost/json.hpp>

#include <atomic>

#include "api/handler_util.h"
#include "api/json_encode.h"

namespace k4ds::api {

namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

constexpr int kEventBatch = 100;

std::string sse(std::string_view event, const json::value& data,
                std::optional<int64_t> id = std::nullopt) {
  std::string out;
  if (id) out += "id: " + std::to_string(*id) + "\n";
  out += "event: " + std::string(event) + "\ndata: " + json::serialize(data) + "\n\n";
  return out;
}

class WorkspaceWatch {
 public:
  WorkspaceWatch(const ApiCore& core, Workspace workspace, int64_t after_seq, bool secure)
      : core_(core),
        workspace_(std::move(workspace)),
        after_seq_(after_seq),
        secure_(secure) {}

  std::optional<std::string> next(std::chrono::milliseconds wait) {
    if (done_ || closed_) return std::nullopt;
    if (!started_) {
      started_ = true;
      return poll(/*force_workspace=*/true);
    }
    int64_t revision = core_.store.wait_for_change(revision_, wait);
    if (closed_) return std::nullopt;
    if (revision <= revision_) return std::string();
    return poll(false);
  }

  void close() { closed_ = true; }

 private:
  // Reads what changed since the last poll and renders it; "" when nothing concerns us.
  std::string poll(bool force_workspace) {
    std::optional<Workspace> current;
    std::vector<WorkspaceEvent> events;
    int64_t revision = 0;
    Status s = core_.store.read([&](Tx& tx) -> Status {
      Result<int64_t> r = tx.revision();
      if (!r) return r.status();
      revision = *r;
      Result<Workspace> ws = tx.get_workspace(workspace_.id);
      if (ws) current = std::move(ws).value();
      else if (ws.status().code() != Code::not_found) return ws.status();
      if (!current) return ok_status();
      auto listed = tx.list_events(workspace_.id, after_seq_, kEventBatch);
      if (!listed) return listed.status();
      events = std::move(listed).value();
      return ok_status();
    });
    if (!s.ok()) return std::string();  // transient; the next call tries again

    std::string out;
    if (!current) {
      done_ = true;
      return sse("deleted", json::object{{"id", workspace_.id},
                                         {"owner", workspace_.owner},
                                         {"name", workspace_.name}});
    }
    if (force_workspace || current->version != workspace_.version) {
      workspace_ = *current;
      out += sse("workspace", core_.workspace_object(workspace_, secure_));
    }
    for (const auto& event : events) {
      out += sse("event", event_json(event), event.seq);
      after_seq_ = event.seq;
    }
    // A full batch means more events are waiting: keep the old revision so the next call
    // returns at once instead of waiting for another change.
    if (events.size() < static_cast<std::size_t>(kEventBatch)) revision_ = revision;
    return out;
  }

  const ApiCore& core_;
  Workspace workspace_;
  int64_t after_seq_;
  bool secure_;
  int64_t revision_ = 0;
  bool started_ = false;
  bool done_ = false;
  std::atomic<bool> closed_ = false;
};

}  // namespace

Reply handle_watch_workspace(ApiCore& core, ApiCall& call) {
  Result<int64_t> after = parse_after_seq(call);
  if (!after) return fail(call, after.status());
  Result<Workspace> visible = read_value(core.store, [&](Tx& tx) { return visible_workspace(tx, call); });
  if (!visible) return fail(call, visible.status());
  Workspace found = std::move(visible).value();

  auto watch = std::make_shared<WorkspaceWatch>(core, std::move(found), *after, call.context.secure);
  StreamReply reply;
  reply.head = {http::status::ok, call.request.version()};
  reply.head.set(http::field::content_type, "text/event-stream");
  reply.head.set(http::field::cache_control, "no-cache");
  reply.head.keep_alive(call.request.keep_alive());
  reply.next = [watch](std::chrono::milliseconds wait) { return watch->next(wait); };
  reply.close = [watch] { watch->close(); };
  return reply;
}

}  // namespace k4ds::api
