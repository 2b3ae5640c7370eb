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

struct User {
  std::string name;          // DNS-label safe, see validate_user_name
  std::string display_name;  // free text, shown in the portal
  std::string email;
  std::string provider = "local";  // identity provider that owns this account
  std::string password_hash;       // argon2id (libsodium string format); empty = no local password
  bool admin = false;
  bool disabled = false;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  int64_t version = 0;
};

struct Group {
  std::string name;
  std::string description;
  std::vector<std::string> members;  // user names, sorted, unique
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
  std::string health_path = "/";
  std::map<std::string, std::string> env;
  std::string default_size;
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
