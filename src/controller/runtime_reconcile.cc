// The controller's pass with a runtime: observe, plan (pure), execute with bounded concurrency.
#include <algorithm>
#include <atomic>
#include <set>

#include "controller/controller.h"

namespace k4ds {

Result<int> Controller::reconcile_with_runtime() {
  // Observe first: anything started after this comes from this very pass.
  auto observed = runtime_impl_->observe();
  if (!observed) {
    if (observed.status().code() == Code::unavailable) note_waiting(observed.status());
    return observed.status();
  }
  auto listed = read_value(store_, [](Tx& tx) { return tx.list_workspaces({}); });
  if (!listed) return listed.status();
  std::vector<Workspace> workspaces = std::move(listed).value();
  std::shared_ptr<const Catalog> catalog = catalog_ ? catalog_() : nullptr;
  std::map<std::string, const ObservedWorkspace*> by_id;
  for (const auto& o : *observed) by_id[o.workspace_id] = &o;
  record_volume_zones(workspaces, by_id);

  struct Work {
    const Workspace* ws;
    const ObservedWorkspace* observed;
    std::string id;
    Plan plan;
  };
  std::vector<Work> work;
  int64_t now_ms = to_unix_ms(services_.clock->now());
  stop_idle(workspaces, now_ms);
  std::set<std::string> known;
  for (const Workspace& ws : workspaces) {
    known.insert(ws.id);
    auto it = by_id.find(ws.id);
    const ObservedWorkspace* o = it == by_id.end() ? nullptr : it->second;
    PlanInput input{.workspace = &ws,
                    .observed = o,
                    .environment = catalog ? catalog->find_environment(ws.environment) : nullptr,
                    .size = catalog ? catalog->find_size(ws.size) : nullptr,
                    .now_ms = now_ms,
                    .start_timeout_ms = options_.start_timeout.count(),
                    .restarts_done = restarts_done(ws, o, now_ms)};
    Plan plan = plan_workspace(input);
    if (plan.action != RuntimeAction::none || plan.status) work.push_back({&ws, o, ws.id, plan});
  }
  for (const auto& o : *observed) {
    if (known.count(o.workspace_id)) continue;
    Plan plan = plan_workspace(PlanInput{.observed = &o, .now_ms = now_ms});
    if (plan.action != RuntimeAction::none) work.push_back({nullptr, &o, o.workspace_id, plan});
  }

  // A burst of launches starts a few at a time, oldest first (the runtime says how many): the
  // rest wait as pending, so none is starved past its start-up timeout.
  if (const int limit = runtime_impl_->max_starting(); limit > 0) {
    int starting = static_cast<int>(std::count_if(observed->begin(), observed->end(), [](const auto& o) {
      return o.state == RunState::starting;
    }));
    std::vector<Work*> starts;
    for (Work& w : work)
      if (w.ws && w.plan.action == RuntimeAction::start) starts.push_back(&w);
    std::stable_sort(starts.begin(), starts.end(),
                     [](const Work* a, const Work* b) { return a->ws->created_at < b->ws->created_at; });
    const std::string waiting = "waiting to start: at most " + std::to_string(limit) +
                                " workspaces start at once on this server";
    for (Work* w : starts) {
      if (starting < limit) {
        ++starting;
        continue;
      }
      w->plan.action = RuntimeAction::none;
      w->plan.status.reset();
      if (w->ws->phase == Phase::pending && w->ws->reason != waiting) {
        w->plan.status = StatusUpdate{Phase::pending, waiting, waiting, false};
      }
    }
  }

  busy_ = !work.empty() || std::any_of(observed->begin(), observed->end(), [](const auto& o) {
    return o.state == RunState::starting || o.state == RunState::unknown;
  });
  std::atomic<size_t> next{0};
  std::atomic<int> changed{0};
  auto worker = [&] {
    for (size_t i; (i = next++) < work.size();) {
      changed += execute(work[i].ws, work[i].observed, work[i].id, work[i].plan);
    }
  };
  size_t threads = std::min<size_t>(work.size(), static_cast<size_t>(std::max(1, options_.concurrency)));
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  return changed.load();
}

void Controller::record_volume_zones(const std::vector<Workspace>& workspaces,
                                     const std::map<std::string, const ObservedWorkspace*>& observed) {
  for (const Workspace& ws : workspaces) {
    auto it = observed.find(ws.id);
    if (it == observed.end() || it->second->volume_zone.empty() || ws.volumes.empty()) continue;
    const std::string& volume = ws.volumes.front();
    const std::string& zone = it->second->volume_zone;
    {
      std::lock_guard lock(volume_zones_mutex_);
      if (auto known = volume_zones_.find(volume); known != volume_zones_.end() && known->second == zone) continue;
    }
    Status s = store_.write([&](Tx& tx) -> Status { return tx.set_volume_zone(volume, zone).status(); });
    if (!s.ok()) {
      log_->warn("volume {} of {}/{}: cannot record its zone {}, will retry: {}", volume, ws.owner, ws.name, zone,
                 s.to_string());
      continue;
    }
    {
      std::lock_guard lock(volume_zones_mutex_);
      volume_zones_[volume] = zone;
    }
    log_->info("volume {} of {}/{}: its storage is in zone {}", volume, ws.owner, ws.name, zone);
  }
}

int Controller::execute(const Workspace* ws, const ObservedWorkspace* observed,
                        const std::string& id, const Plan& plan) {
  (void)observed;
  if (ws == nullptr) {
    if (in_backoff(id)) return 0;
    Status s = runtime_impl_->remove(id);
    if (s.ok()) {
      log_->info("workspace {}: no longer in the store; removed its processes (volumes kept)", id);
      record_success(id);
    } else {
      log_->warn("workspace {}: cannot remove: {}", id, s.to_string());
      record_failure(id);
    }
    return 0;
  }
  const std::string who = ws->owner + "/" + ws->name;
  if (plan.restart) {
    // The pause before the start grows with each crash (backoff_base, doubled, up to backoff_max).
    record_failure(id);
    std::lock_guard lock(backoff_mutex_);
    ++restarts_[id];
  }
  if (plan.action == RuntimeAction::start) {
    if (in_backoff(id)) return 0;
    auto catalog = catalog_ ? catalog_() : nullptr;
    const Environment* env = catalog ? catalog->find_environment(ws->environment) : nullptr;
    const Size* size = catalog ? catalog->find_size(ws->size) : nullptr;
    if (env == nullptr || size == nullptr) return 0;  // the catalog changed under us; re-plan next pass
    LaunchSpec spec{.workspace_id = ws->id,
                    .owner = ws->owner,
                    .name = ws->name,
                    .volume_id = ws->volumes.empty() ? "" : ws->volumes.front(),
                    .environment = *env,
                    .size = *size};
    Status read = store_.read([&](Tx& tx) -> Status {
      if (Result<User> owner = tx.get_user(ws->owner)) {
        spec.owner_uid = owner->uid_number;
        spec.owner_gid = owner->gid_number;
      }
      // For runtimes that enforce quotas themselves (Kubernetes namespaces); unknown if unreadable.
      auto groups = groups_of(tx, ws->owner);
      auto quotas = tx.list_quotas();
      if (groups && quotas) spec.owner_quota = resolve_quota(ws->owner, *groups, *quotas);
      for (std::size_t i = 1; i < ws->volumes.size(); ++i) {
        Result<Volume> volume = tx.get_volume(ws->volumes[i]);
        if (!volume) return volume.status();
        spec.extra_volumes.push_back({.volume_id = volume->id, .name = volume->name});
      }
      return ok_status();
    });
    if (!read.ok()) {
      log_->warn("workspace {}: cannot read its volumes, will retry: {}", who, read.to_string());
      return 0;
    }
    Status s = runtime_impl_->apply(spec);
    if (!s.ok()) {
      if (s.code() == Code::failed_precondition || s.code() == Code::invalid_argument) {
        StatusUpdate update{Phase::failed, s.message(), "cannot start: " + s.message(), true};
        return write_status(*ws, update).ok() ? 1 : 0;
      }
      record_failure(id);
      log_->warn("workspace {}: start failed, will retry: {}", who, s.to_string());
      StatusUpdate update{Phase::pending, "could not start yet, retrying: " + s.message(),
                          "start failed, retrying: " + s.message(), true};
      return write_status(*ws, update).ok() ? 1 : 0;
    }
    record_success(id);
    log_->info("workspace {}: process started", who);
  }
  if (plan.status && plan.action != RuntimeAction::start) {
    // Say "stopping" before the (possibly slow) stop, "failed" before the clean-up.
    if (!write_status(*ws, *plan.status).ok()) return 0;
  }
  if (plan.action == RuntimeAction::stop) {
    if (in_backoff(id)) return plan.status ? 1 : 0;
    Status s = runtime_impl_->stop(id);
    if (s.ok()) {
      record_success(id);
    } else {
      record_failure(id);
      log_->warn("workspace {}: stop failed, will retry: {}", who, s.to_string());
    }
  }
  if (plan.status && plan.action == RuntimeAction::start) {
    return write_status(*ws, *plan.status).ok() ? 1 : 0;
  }
  return plan.status ? 1 : 0;
}

void Controller::stop_idle(std::vector<Workspace>& workspaces, int64_t now_ms) {
  const int64_t limit = options_.idle_stop_after.count();
  for (Workspace& seen : workspaces) {
    if (!is_idle(seen, now_ms, limit)) continue;
    const std::string reason = idle_stop_reason(limit);
    Workspace ws;
    Status s = store_.write([&](Tx& tx) -> Status {
      // Read again inside the write: activity recorded since the list keeps it running.
      Result<Workspace> current = tx.get_workspace(seen.id);
      if (!current) return current.status();
      if (!is_idle(*current, now_ms, limit)) return aborted("active again");
      ws = std::move(current).value();
      ws.desired = DesiredState::stopped;
      ws.reason = reason;
      ws.updated_at = now_ms;
      Result<Workspace> updated = tx.update_workspace(ws);
      if (!updated) return updated.status();
      ws = std::move(updated).value();
      return tx.append_event(WorkspaceEvent{.workspace_id = ws.id, .time = now_ms, .message = reason}).status();
    });
    if (!s.ok()) {
      if (s.code() != Code::aborted && s.code() != Code::not_found) {
        log_->warn("workspace {}/{}: cannot stop it after inactivity: {}", seen.owner, seen.name, s.to_string());
      }
      continue;
    }
    log_->info("workspace {}/{}: {}", ws.owner, ws.name, reason);
    seen = std::move(ws);
  }
}

// The runtime cannot be observed (a cluster that does not answer): workspaces waiting for their
// first start say why, instead of "queued". Running ones are left as they are (they may well
// still run), and so is any other reason; once written, a pass writes nothing more.
void Controller::note_waiting(const Status& why) {
  auto listed = read_value(store_, [](Tx& tx) { return tx.list_workspaces({}); });
  if (!listed) return;
  const std::string reason = "waiting to start: " + why.message();
  for (const Workspace& ws : *listed) {
    if (ws.phase != Phase::pending || ws.desired != DesiredState::running || ws.reason != "queued") continue;
    (void)write_status(ws, StatusUpdate{Phase::pending, reason, reason, true});
  }
}

Status Controller::write_status(const Workspace& seen, const StatusUpdate& update) {
  Status s = store_.write([&](Tx& tx) -> Status {
    // The version we planned from: a newer record (say, a stop request) is re-planned next pass.
    Workspace ws = seen;
    ws.phase = update.phase;
    ws.reason = update.reason;
    ws.upstream = update.upstream;
    ws.updated_at = to_unix_ms(services_.clock->now());
    auto updated = tx.update_workspace(ws);
    if (!updated) return updated.status();
    std::vector<std::string> events{update.event};
    events.insert(events.end(), update.more_events.begin(), update.more_events.end());
    for (const auto& message : events) {
      auto event = tx.append_event(WorkspaceEvent{.workspace_id = ws.id,
                                                  .time = ws.updated_at,
                                                  .warning = update.warning,
                                                  .message = message});
      if (!event) return event.status();
    }
    return ok_status();
  });
  if (!s.ok() && s.code() != Code::not_found && s.code() != Code::aborted) {
    log_->warn("workspace {}/{}: cannot record status: {}", seen.owner, seen.name, s.to_string());
  } else if (s.ok()) {
    log_->info("workspace {}/{}: {} ({})", seen.owner, seen.name, phase_name(update.phase), update.reason);
  }
  return s;
}

int Controller::restarts_done(const Workspace& ws, const ObservedWorkspace* o, int64_t now_ms) {
  std::lock_guard lock(backoff_mutex_);
  auto it = restarts_.find(ws.id);
  if (it == restarts_.end()) return 0;
  // A new count after a stop or once it gave up (a start from the user begins afresh), and
  // after it has run steadily for a while.
  const bool steady = o && o->state == RunState::running && o->started_at_ms > 0 &&
                      now_ms - o->started_at_ms > options_.steady_after.count();
  if (ws.desired == DesiredState::stopped || ws.phase == Phase::failed || steady) {
    restarts_.erase(it);
    return 0;
  }
  return it->second;
}

bool Controller::in_backoff(const std::string& id) {
  std::lock_guard lock(backoff_mutex_);
  auto it = backoff_.find(id);
  return it != backoff_.end() && std::chrono::steady_clock::now() < it->second.next_try;
}

void Controller::record_failure(const std::string& id) {
  std::lock_guard lock(backoff_mutex_);
  Backoff& b = backoff_[id];
  b.failures = std::min(b.failures + 1, 20);
  auto delay = options_.backoff_base * (1 << std::min(b.failures - 1, 16));
  b.next_try = std::chrono::steady_clock::now() + std::min<std::chrono::milliseconds>(delay, options_.backoff_max);
}

void Controller::record_success(const std::string& id) {
  std::lock_guard lock(backoff_mutex_);
  backoff_.erase(id);
}

}  // namespace k4ds
