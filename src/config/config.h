// Server configuration: one YAML file plus environment-variable overrides. `k4ds up` needs no
// file: default_config() gives domain `localhost`, a data dir, a default catalog and sizes.
//
// Contract: parse_config() never stops at the first problem; it returns every problem with its
// path in the document ("sizes[2].memory") and a message saying what is allowed
// ("\"8GB\" is not a quantity; use 8Gi"). A config with problems must not be used.
//
// File shape (every key optional):
//   domain: localhost              # workspaces answer on <user>-<name>.<domain>
//   listen: 127.0.0.1:8080         # host:port; port 0 picks a free one
//   data_dir: /var/lib/k4ds
//   portal_host: ""                # defaults to the domain
//   session_ttl: 12h               # browser session lifetime (s, m, h, d)
//   idle_stop_after: 8h            # stop workspaces with no traffic this long; 0 = never
//   trusted_proxies: [10.0.0.0/8]  # X-Forwarded-* is believed only from these
//   default_size: small
//   environments:
//     - name: jupyter-python
//       display_name: "Jupyter · Python 3"
//       version: "6.4"
//       command: [jupyter, notebook, "--sock={socket}"]  # quoted: { } are YAML syntax
//       port: 0                    # 0 = Unix socket
//       health_path: /api
//       env: {JUPYTER_CONFIG_DIR: /tmp}
//       default_size: small
//   sizes:
//     - {name: small, cpu: "1", memory: 2Gi, gpus: 0, description: "1 CPU, 2 GiB"}
//   users:
//     - {name: alice, password: "…", admin: false, display_name: Alice, email: a@example.org}
//   quotas:                        # per user, group, default; see config/parse_quotas.h
//     default: {workspaces: 3, cpu: "8", memory: 32Gi, gpus: 0}
//   identity_providers:            # LDAP / Active Directory, see config/identity.h
//     - {name: corp, type: ldap, url: "ldaps://ldap.example.org", user_base: "ou=people,…"}
//   runtime: {kind: local}         # or kind: kubernetes, see RuntimeConfig below
//
// Keys left out keep their defaults. `environments` and `sizes`, when present, REPLACE the
// built-in lists entirely (they are not merged); an empty list is a problem. Without
// default_size, "small" is kept if defined, else the first size. A size without a description
// gets one such as "2 CPUs, 8 GiB"; an environment without display_name shows its name; each
// environment needs a command or an image. The command is an argv template whose
// placeholders the runtime fills: {socket} (Unix socket path when port is 0), {port}, {home}.
// docs/k4ds.example.yaml shows every key.
//
// Environment overrides: K4DS_DOMAIN, K4DS_LISTEN, K4DS_DATA_DIR, K4DS_PORTAL_HOST, checked like
// the file's keys (a problem's path is the variable name). K4DS_PORTAL_HOST="" means the domain.
//
// Usage:
//   ParsedConfig parsed = parse_config_file("k4ds.yaml");
//   for (const auto& p : parsed.problems) std::cerr << p.path << ": " << p.message << "\n";
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/identity.h"
#include "kubernetes/options.h"  // plain values only; the config component talks to no cluster
#include "model/catalog.h"

namespace k4ds {

struct SeedUser {
  std::string name;
  std::string password;  // plain text in the file; hashed before it is stored
  std::string display_name;
  std::string email;
  bool admin = false;
};

// Where workspaces run: `runtime: {kind: local}` (the default: processes on this machine) or
// `runtime: {kind: kubernetes, ...}` (docs/kubernetes.md lists every key). Secrets
// (registry passwords, JSON keys) are read from the files the config names, at load time.
enum class RuntimeKind { local, kubernetes };

struct RuntimeConfig {
  RuntimeKind kind = RuntimeKind::local;
  // kubernetes: how to reach the cluster. kubeconfig "" = $KUBECONFIG, else ~/.kube/config;
  // context "" = the kubeconfig's current-context; in_cluster = the Pod's service account.
  // With several clusters (kubernetes.clusters, each with its own of these) all three stay unset.
  std::string kubeconfig;
  std::string context;
  bool in_cluster = false;
  kubernetes::KubernetesOptions kubernetes;
};

struct Config {
  std::string domain = "localhost";
  std::string listen = "127.0.0.1:8080";
  std::string data_dir;     // empty until resolved; see default_data_dir()
  std::string portal_host;  // empty = domain
  std::chrono::seconds session_ttl = std::chrono::hours(12);
  // A running workspace with no traffic through the gateway this long is stopped. 0 = never.
  std::chrono::seconds idle_stop_after{0};
  std::vector<std::string> trusted_proxies;  // CIDRs or addresses
  // TLS termination by k4ds itself (tls: {listen, cert, key}); empty listen = off.
  std::string tls_listen;
  std::string tls_cert;
  std::string tls_key;
  Catalog catalog;
  std::vector<SeedUser> users;
  std::vector<LdapProviderConfig> identity_providers;  // LDAP / AD; built-in accounts always on
  std::vector<Quota> quotas;  // seeded into the store at start, see config/parse_quotas.h
  RuntimeConfig runtime;
};

struct ConfigProblem {
  std::string path;     // "sizes[2].memory"; "" for the document as a whole
  std::string message;  // "\"8GB\" is not a quantity; use 8Gi"
};

struct ParsedConfig {
  Config config;
  std::vector<ConfigProblem> problems;
  bool ok() const { return problems.empty(); }
};

// The built-in defaults: domain localhost, listen 127.0.0.1:8080, default catalog and sizes.
Config default_config();
// $K4DS_DATA_DIR is handled by overrides; this is the fallback: /var/lib/k4ds as root, else
// $XDG_DATA_HOME/k4ds or ~/.local/share/k4ds.
std::string default_data_dir();

ParsedConfig parse_config_text(std::string_view yaml);
ParsedConfig parse_config_file(const std::string& path);  // a missing/unreadable file is a problem

// Applies K4DS_* overrides from getenv (injectable for tests); appends problems found.
using GetEnv = std::function<std::optional<std::string>(const char*)>;
void apply_env_overrides(ParsedConfig& parsed, const GetEnv& getenv);

}  // namespace k4ds
