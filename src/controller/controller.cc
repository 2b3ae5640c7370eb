#include "controller/controller.h"

#include "common/logging.h"

#include <random>

namespace k4ds {

Controller::Controller(Store& store, Services services, RuntimeAvailability runtime,
                       std::chrono::milliseconds resync)
    : store_(store), services_(std::move(services)), runtime_(runtime), resync_(resync) {}

Controller::Controller(Store& store, Services services, Runtime& runtime, CatalogSource catalog,
                       ControllerOptions options)
    : store_(store),
      services_(std::move(services)),
      runtime_(RuntimeAvailability{.configured = true}),
      resync_(options.resync),
      runtime_impl_(&runtime),
      catalog_(std::move(catalog)),
      options_(options) {}

Controller::~Controller() { stop(); }

void Controller::start() {
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void Controller::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

Result<int> Controller::reconcile_once() {
  if (runtime_impl_ != nullptr) return reconcile_with_runtime();
  auto listed = read_value(store_, [](Tx& tx) { return tx.list_workspaces({}); });
  if (!listed) return listed.status();
  std::vector<Workspace> workspaces = std::move(listed).value();

  int changed = 0;
  for (const Workspace& seen : workspaces) {
    auto update = plan_status(seen, runtime_);
    if (!update) continue;
    Status s = store_.write([&](Tx& tx) -> Status {
      // Re-plan against the current record: the one we listed may be stale.
      auto current = tx.get_workspace(seen.id);
      if (!current) return current.status();
      auto fresh = plan_status(*current, runtime_);
      if (!fresh) return ok_status();
      Workspace ws = *current;
      ws.phase = fresh->phase;
      ws.reason = fresh->reason;
      ws.updated_at = to_unix_ms(services_.clock->now());
      auto updated = tx.update_workspace(ws);
      if (!updated) return updated.status();
      auto event = tx.append_event(WorkspaceEvent{.workspace_id = ws.id,
                                                  .time = ws.updated_at,
                                                  .warning = fresh->warning,
                                                  .message = fresh->event});
      return event.status();
    });
    if (s.ok()) {
      ++changed;
    } else if (s.code() != Code::not_found && s.code() != Code::aborted) {
      log_->warn("workspace {}/{}: {}", seen.owner, seen.name, s.to_string());
    }
  }
  return changed;
}

void Controller::loop() {
  std::mt19937_64 jitter_source(std::random_device{}());
  int64_t revision = 0;
  while (!stopping_) {
    int64_t before = 0;
    (void)store_.read([&](Tx& tx) -> Status {
      auto r = tx.revision();
      if (r) before = *r;
      return ok_status();
    });
    auto result = reconcile_once();
    if (!result) log_->warn("reconcile failed: {}", result.status().to_string());
    revision = before;
    // Wake on the next change after what we reconciled, or resync with ±20% jitter; wait in
    // short slices so stop() is prompt.
    auto period = resync_;
    if (runtime_impl_ != nullptr) period = busy_ ? options_.busy_interval : std::min(resync_, options_.observe_interval);
    auto jittered = period * (80 + static_cast<int>(jitter_source() % 41)) / 100;
    auto deadline = std::chrono::steady_clock::now() + jittered;
    while (!stopping_ && std::chrono::steady_clock::now() < deadline) {
      if (store_.wait_for_change(revision, std::chrono::milliseconds(200)) > revision) break;
    }
  }
}

}  // namespace k4ds
