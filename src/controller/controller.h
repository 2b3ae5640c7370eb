// Controller: the level-triggered loop that drives every workspace toward its desired state.
// It wakes on the store's change feed and also resyncs periodically (jittered), so a missed
// wake-up only delays convergence. Planning is pure (planner.h); this file only executes.
//
// Contract: start() runs the loop on its own thread; stop() ends it and joins. reconcile_once()
// is the body of one pass (public for tests): it reads every workspace and writes only those
// whose planned status differs, with optimistic concurrency (a conflicting write is retried on
// the next pass, never merged).
//
// With a runtime, each pass also observes the runtime, plans every workspace (plan_workspace)
// and executes the runtime actions with bounded concurrency; a workspace whose start or stop
// keeps failing is retried with exponential backoff. A workspace that crashes is started again
// up to its environment's `restarts` times, after pauses that grow the same way; the count is
// kept in memory and starts afresh after a stop, a failure, or 10 minutes of steady running. A
// runtime workspace with no record in the store is removed (no orphans); volumes are never
// touched. With idle_stop_after, a workspace idle that long is stopped, with the reason.
//
// Usage:
//   Controller controller(store, services, RuntimeAvailability{.configured = false});
//   // or, with a runtime and the current catalog:
//   Controller controller(store, services, runtime, [&] { return catalog_snapshot(); });
//   controller.start();
//   ...
//   controller.stop();
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "common/logging.h"
#include "common/services.h"
#include "model/catalog.h"
#include "runtime/runtime.h"
#include "controller/planner.h"
#include "store/store.h"

namespace k4ds {

struct ControllerOptions {
  std::chrono::milliseconds resync = std::chrono::seconds(30);
  std::chrono::milliseconds start_timeout = std::chrono::seconds(60);
  // How often the runtime is observed when nothing changes in the store (crashes, health),
  // and while something is starting or stopping.
  std::chrono::milliseconds observe_interval = std::chrono::seconds(2);
  std::chrono::milliseconds busy_interval = std::chrono::milliseconds(300);
  int concurrency = 8;  // runtime calls in flight at once
  std::chrono::milliseconds backoff_base = std::chrono::seconds(2);
  std::chrono::milliseconds backoff_max = std::chrono::minutes(5);
  // A workspace running this long since its last start has its crash-restart count reset.
  std::chrono::milliseconds steady_after = std::chrono::minutes(10);
  // A running workspace with no activity through the gateway for this long is stopped (its
  // volume is kept; its owner starts it again). 0 = never.
  std::chrono::milliseconds idle_stop_after{0};
};

using CatalogSource = std::function<std::shared_ptr<const Catalog>()>;

class Controller {
 public:
  Controller(Store& store, Services services, RuntimeAvailability runtime,
             std::chrono::milliseconds resync = std::chrono::seconds(30));
  Controller(Store& store, Services services, Runtime& runtime, CatalogSource catalog,
             ControllerOptions options = {});
  ~Controller();

  void start();
  void stop();
  // One reconcile pass. Returns the number of workspaces whose status it changed.
  Result<int> reconcile_once();

 private:
  void loop();
  Result<int> reconcile_with_runtime();
  // Runs the plan for one workspace (ws null = orphan); returns 1 if it changed the status.
  int execute(const Workspace* ws, const ObservedWorkspace* observed, const std::string& id,
              const Plan& plan);
  Status write_status(const Workspace& ws, const StatusUpdate& update);
  void note_waiting(const Status& why);
  // Records with each home volume the zone the runtime reports its storage in (once per volume).
  void record_volume_zones(const std::vector<Workspace>& workspaces,
                           const std::map<std::string, const ObservedWorkspace*>& observed);
  // Records desired = stopped for each idle workspace (see is_idle), updating `workspaces`.
  void stop_idle(std::vector<Workspace>& workspaces, int64_t now_ms);
  bool in_backoff(const std::string& id);
  int restarts_done(const Workspace& ws, const ObservedWorkspace* observed, int64_t now_ms);
  void record_failure(const std::string& id);
  void record_success(const std::string& id);

  Store& store_;
  Services services_;
  RuntimeAvailability runtime_;
  std::chrono::milliseconds resync_;
  Runtime* runtime_impl_ = nullptr;
  CatalogSource catalog_;
  ControllerOptions options_;
  struct Backoff {
    int failures = 0;
    std::chrono::steady_clock::time_point next_try;
  };
  std::mutex backoff_mutex_;
  std::map<std::string, Backoff> backoff_;
  std::map<std::string, int> restarts_;  // automatic restarts after crashes, by workspace id
  std::mutex volume_zones_mutex_;
  std::map<std::string, std::string> volume_zones_;  // volume id → the zone recorded with it
  std::atomic<bool> stopping_{false};
  std::atomic<bool> busy_{false};  // something is starting or stopping: look again soon
  std::thread thread_;
  std::shared_ptr<spdlog::logger> log_ = component_logger("controller");
};

}  // namespace k4ds
