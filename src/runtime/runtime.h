// Runtime: where workspaces actually run (local processes, or a cluster). The controller drives
// it toward the store's desired state; the runtime itself holds no opinion about what *should*
// run, it only starts, stops and reports.
//
// Contract
// - apply(spec) makes the workspace run: it starts it when it is not running and does nothing
//   when it already is (never a second copy). A workspace that has exited is cleaned up and
//   started again. Errors: failed_precondition (the spec cannot run here: say why, don't retry
//   as-is), unavailable (transient: retry with backoff), internal.
// - stop(id) ends the workspace and everything it started, and releases what it held
//   (limits, addresses); its output stays readable. Idempotent: stopping a stopped or unknown
//   workspace is ok. remove(id) stops it and forgets it entirely (output included). Neither ever
//   touches the workspace's volumes.
// - observe() reports every workspace the runtime knows about, including ones started before
//   this process (re-adoption after a restart of k4ds).
// - All calls block (processes, files, network probes): call them from a worker thread.
//
// Usage:
//   LaunchSpec spec{.workspace_id = ws.id, .owner = ws.owner, .name = ws.name,
//                   .volume_id = ws.volumes.at(0), .environment = *env, .size = *size};
//   if (Status s = runtime.apply(spec); !s.ok()) ...;
//   for (const ObservedWorkspace& o : runtime.observe().value()) ...;
//   runtime.stop(ws.id);
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "model/model.h"
#include "model/quota.h"

namespace k4ds {

// Everything the runtime needs to run one workspace, resolved from the store and the catalog.
struct LaunchSpec {
  std::string workspace_id;
  std::string owner;
  std::string name;
  std::string volume_id;  // the home volume
  // More of the owner's volumes, mounted as volumes/<name> in the home volume.
  struct Mount {
    std::string volume_id;
    std::string name;
  };
  std::vector<Mount> extra_volumes;
  Environment environment;
  Size size;
  // The owner's POSIX ids from the directory (uidNumber / gidNumber); -1 = not known. Workspaces
  // then run under that uid and gid, so files on shared storage (NFS) keep their owner.
  int64_t owner_uid = -1;
  int64_t owner_gid = -1;
  // The owner's effective k4ds quota (resolve_quota, model/quota.h), for runtimes that enforce
  // it themselves (Kubernetes, per-user namespaces: a ResourceQuota and a LimitRange). nullopt =
  // not known: what such a runtime already enforces is left as it is.
  std::optional<QuotaLimits> owner_quota;
};

enum class RunState {
  starting,  // process up, health check not answered yet
  running,   // health check answered; `upstream` is where to relay
  exited,    // the workspace ended on its own (crash, out of memory, ...); not cleaned up yet
  stopped,   // stopped by stop(): nothing runs, only its output remains
  unknown,   // the runtime cannot tell (see `progress`)
};
const char* run_state_name(RunState state);

struct ObservedWorkspace {
  std::string workspace_id;
  RunState state = RunState::unknown;
  int exit_code = -1;  // exited normally with this code; -1 = not known / killed by a signal
  int signal = 0;      // killed by this signal; 0 = none
  bool out_of_memory = false;
  // It ended for a reason starting again cannot fix (an image that does not exist, a
  // configuration the runtime refuses): no automatic restart; `progress` says why.
  bool permanent = false;
  int64_t memory_limit_bytes = 0;  // 0 = not enforced
  std::string upstream;            // "unix:/path" or "127.0.0.1:port"
  std::string health_path;
  int64_t started_at_ms = 0;
  std::string progress;                  // plain words: "waiting for the health check on /api"
  // The zone the home volume's storage is in (a cluster's "eu-west-1a"), when the runtime knows
  // it; "" otherwise. The controller records it with the volume.
  std::string volume_zone;
  std::vector<std::string> last_output;  // last lines of output, filled when it has exited
};

// Output as it is written. next(wait) returns new text, "" when nothing arrived within `wait`,
// nullopt when the workspace has ended and everything was read. close() releases the stream.
struct LogFollow {
  std::function<std::optional<std::string>(std::chrono::milliseconds wait)> next;
  std::function<void()> close;
};

class Runtime {
 public:
  virtual ~Runtime() = default;

  // "local", "kubernetes": for logs and `k4ds status`.
  virtual std::string name() const = 0;
  // What is enforced and what is not, in plain words, one line each
  // ("memory, CPU and process limits: cgroup v1", or "limits are NOT enforced because ...").
  virtual std::string capabilities() const = 0;
  // What users should know about every workspace here, one sentence each (limits that are not
  // enforced, ...); empty when all is enforced. Shown by the API with each workspace.
  virtual std::vector<std::string> warnings() const { return {}; }
  // What the machines offer, for admission ("no machine has 64 GiB") and the admins' capacity
  // view; nullopt when the runtime cannot tell.
  virtual std::optional<Capacity> capacity() const { return std::nullopt; }
  // How many workspaces may be starting at once before the controller holds further starts
  // back (pending, "waiting to start"), so a burst of launches does not starve every one of
  // them past its start-up timeout; 0 = no limit (a cluster schedules on its own).
  virtual int max_starting() const { return 0; }

  virtual Status apply(const LaunchSpec& spec) = 0;
  virtual Status stop(std::string_view workspace_id) = 0;
  virtual Status remove(std::string_view workspace_id) = 0;
  virtual Result<std::vector<ObservedWorkspace>> observe() = 0;

  // The last max_bytes of output. failed_precondition when the workspace never ran here.
  virtual Result<std::string> tail_logs(std::string_view workspace_id, std::size_t max_bytes) = 0;
  // Follows output, starting with the last `tail_bytes`.
  virtual Result<LogFollow> follow_logs(std::string_view workspace_id, std::size_t tail_bytes) = 0;
};

}  // namespace k4ds
