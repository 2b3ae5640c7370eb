// The k4ds data model: the records users and operators see, in the vocabulary of DESIGN.md.
//
// Contract: plain value types, no I/O. Every stored record carries `version`, the store
// revision at which it was last written (0 = never stored). An update must present the version
// it read; the store refuses a stale one (Code::aborted) rather than merging.
// Times are milliseconds since the Unix epoch (UTC).
//
// Usage:
//   Workspace ws{.owner = "alice", .name = "analysis", .environment = "jupyter-python",
//                .size = "small"};
//   std::string host = workspace_host(ws.owner, ws.name, "localhost");  // alice-analysis.localhost
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace k4ds {

// The identity provider of built-in accounts (argon2id passwords in the store).
inline constexpr const char* kBuiltinProvider = "local";

struct User {
  std::string name;          // DNS-label safe, see validate_user_name
  std::string display_name;  // free text, shown in the portal
  std::string email;
  std::string provider = kBuiltinProvider;  // identity provider that owns this account
  std::string password_hash;       // argon2id (libsodium string format); empty = no local password
  bool admin = false;
  bool disabled = false;
  // POSIX ids from the directory (uidNumber/gidNumber), for the local runtime's accounts;
  // -1 = not known (built-in users, or a directory that has none).
  int64_t uid_number = -1;
  int64_t gid_number = -1;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  int64_t version = 0;
};

struct Group {
  std::string name;
  std::string description;
  std::vector<std::string> members;  // user names, sorted, unique
  // "" = a local group, edited by admins. Otherwise the identity provider whose directory
  // owns it: its members are synced from the directory at each login and re-check.
  std::string provider;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  int64_t version = 0;
};

// A resource class. Quantities are exact integers: CPU in millicores, memory in bytes.
struct Size {
  std::string name;         // "small"
  std::string description;  // "2 CPUs, 8 GiB"
  int64_t cpu_millis = 0;
  int64_t memory_bytes = 0;
  int64_t gpus = 0;
};

// A catalog entry: what a workspace runs. Locally a command, on Kubernetes an image.
struct Environment {
  std::string name;          // "jupyter-python"
  std::string display_name;  // "Jupyter · Python 3"
  std::string description;
  std::string version;                // "7.0"
  std::vector<std::string> command;   // local runtime: argv template
  std::string image;                  // Kubernetes runtime
  int port = 0;                       // 0 = the environment listens on a Unix socket
  // Local runtime, environments with a port, k4ds as root: false (the default) runs the
  // workspace in a private network, so only the gateway reaches its port; true listens on the
  // host's 127.0.0.1 (any local user can connect) for apps that need the host's own services.
  bool host_network = false;
  std::string health_path = "/";
  std::map<std::string, std::string> env;
  std::string default_size;
  // How many times a workspace whose process ended on its own (a crash, not running out of
  // memory) is started again, with growing pauses, before it stays failed. 0 = never.
  int restarts = 3;
  bool available = true;          // false when the host lacks what it needs
  std::string unavailable_reason;  // "python3-notebook is not installed; ask your admin"
};

// Lifecycle: pending → starting → running → stopping → stopped, or failed (with reason).
enum class Phase { pending, starting, running, stopping, stopped, failed };
const char* phase_name(Phase phase);
std::optional<Phase> parse_phase(std::string_view text);

// What the user asked for; the controller drives the runtime toward it.
enum class DesiredState { running, stopped };
const char* desired_state_name(DesiredState state);
std::optional<DesiredState> parse_desired_state(std::string_view text);

struct Workspace {
  std::string id;  // random UUID
  std::string owner;
  std::string name;
  std::string environment;
  std::string size;
  std::vector<std::string> volumes;  // volume ids mounted into the workspace
  // Spec.
  DesiredState desired = DesiredState::running;
  // Status.
  Phase phase = Phase::pending;
  std::string reason;    // plain words: why it is in this phase
  std::string upstream;  // where the gateway relays: "unix:/path" or "127.0.0.1:8888"; empty = none
  int64_t created_at = 0;
  int64_t updated_at = 0;
  int64_t last_activity_at = 0;
  int64_t version = 0;
};

// Progress and history of a workspace, in plain words, in order (seq increases per workspace).
struct WorkspaceEvent {
  std::string workspace_id;
  int64_t seq = 0;
  int64_t time = 0;
  bool warning = false;
  std::string message;  // "waiting for health check on /api"
};

// Persistent storage, named by UUID, independent of any workspace's life.
struct Volume {
  std::string id;  // random UUID
  std::string owner;
  std::string name;  // "home"
  int64_t created_at = 0;
  // Where its storage is, as the runtime reported it: a cluster's zone ("eu-west-1a"); "" = not
  // known, or storage that is not tied to a zone (local disk, NFS).
  std::string zone;
  int64_t version = 0;
};

// Access to a workspace granted to a user or a group.
enum class PrincipalKind { user, group };
struct Share {
  std::string workspace_id;
  PrincipalKind kind = PrincipalKind::user;
  std::string principal;  // user or group name
  std::string created_by;
  int64_t created_at = 0;
  int64_t version = 0;
};

// An operator's access rule. The rules form one ordered list (AccessPolicy); for each
// question (may this user launch this environment in this size, reach this owner's workspace,
// act as an admin) the first rule of that action whose `who` and targets match decides, and
// when none matches the answer is no (default deny). See auth/rules.h.
enum class RuleEffect { allow, deny };
enum class RuleAction { launch, access, admin };
struct AccessRule {
  std::string id;                         // "r7": stable, unique within the policy
  RuleEffect effect = RuleEffect::deny;
  RuleAction action = RuleAction::launch;
  std::vector<std::string> who;           // "*", "user:NAME", "group:NAME"
  std::vector<std::string> environments;  // launch: environment names or "*"
  std::vector<std::string> sizes;         // launch: size names or "*"
  std::vector<std::string> owners;        // access: whose workspaces: "*", "user:N", "group:N"
  std::string description;
};
struct AccessPolicy {
  std::vector<AccessRule> rules;  // in order; the first match wins
  std::string updated_by;
  int64_t updated_at = 0;
  int64_t version = 0;  // 0 until an admin first changes the seeded policy
};

// Limits on what one user's active workspaces may hold at once (DESIGN.md "Quota"). Set for
// one user, one group, or everyone ("default"); a limit left out (nullopt) is inherited, see
// model/quota.h for how the limits of a user are found.
struct Quota {
  std::string subject;                    // "default", "user:NAME" or "group:NAME"
  std::optional<int64_t> workspaces;      // active workspaces at once
  std::optional<int64_t> cpu_millis;      // summed over active workspaces' sizes
  std::optional<int64_t> memory_bytes;
  std::optional<int64_t> gpus;
  std::string updated_by;
  int64_t updated_at = 0;
  int64_t version = 0;
};

// What the machines that run workspaces offer (this machine, or a cluster's nodes): totals, and
// the largest single machine, since one workspace cannot span machines.
struct Capacity {
  std::string description;  // the largest machine, in words: "this machine", "the largest machine"
  int64_t cpu_millis = 0;
  int64_t memory_bytes = 0;
  int64_t gpus = 0;
  int64_t largest_cpu_millis = 0;
  int64_t largest_memory_bytes = 0;
  int64_t largest_gpus = 0;
};

// A browser session. Only the SHA-256 of the cookie value is stored.
struct Session {
  std::string id_hash;
  std::string user;
  int64_t created_at = 0;
  int64_t expires_at = 0;
  int64_t last_seen_at = 0;
  std::string client_address;
  int64_t version = 0;
};

// A personal API token. The secret is shown once; only its SHA-256 is stored.
struct ApiToken {
  std::string id;  // public id, "tok_…", used to list and revoke
  std::string user;
  std::string name;  // "laptop"
  std::string secret_hash;
  std::string prefix;  // first characters of the secret, to recognise it in a list
  int64_t created_at = 0;
  int64_t expires_at = 0;  // 0 = never
  int64_t last_used_at = 0;
  int64_t version = 0;
};

// The host a workspace answers on: "<owner>-<name>.<domain>".
std::string workspace_host(std::string_view owner, std::string_view name, std::string_view domain);

}  // namespace k4ds
