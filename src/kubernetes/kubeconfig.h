// Where a cluster is and how to authenticate to it: from a kubeconfig file (kubectl's format)
// or from inside a Pod (the service account). Reads files only; talks to no cluster.
//
// Contract
// - parse_kubeconfig picks `context` (or the file's current-context) and resolves its cluster
//   and user: server, CA (certificate-authority-data, or certificate-authority relative to the
//   kubeconfig's directory), client certificate and key (data or files), a bearer token
//   (token, or tokenFile: re-read on every use), or an exec credential plugin (command, args,
//   env, apiVersion) such as `aws eks get-token` or `gke-gcloud-auth-plugin`.
// - Errors are invalid_argument and name the kubeconfig, the entry and what to fix.
// - in_cluster_config reads KUBERNETES_SERVICE_HOST/PORT and the service account directory;
//   the token is given as a file, to be re-read as the kubelet rotates it.
//
// Usage:
//   auto c = load_kubeconfig(std::getenv("KUBECONFIG"), "prod");
//   if (!c) return c.status();
//   connect(c->server, c->ca_pem, ...);
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace k4ds::kubernetes {

struct ExecPlugin {
  std::string api_version;  // "client.authentication.k8s.io/v1" (or v1beta1)
  std::string command;
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
};

struct ClusterConnection {
  std::string context;  // the kubeconfig context, or "in-cluster"
  std::string server;   // "https://203.0.113.7:6443"
  std::string ca_pem;   // "" = the system's trusted CAs
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;  // "" = the server's host
  std::string client_cert_pem;
  std::string client_key_pem;
  std::string token;       // static bearer token
  std::string token_file;  // bearer token read from this file at each use
  std::optional<ExecPlugin> exec;
  std::string namespace_name;  // the context's namespace ("" = not set)
};

// `base_dir` resolves relative file names (the kubeconfig's directory); `source` names the
// file in error messages.
Result<ClusterConnection> parse_kubeconfig(std::string_view yaml, std::string_view context,
                                           const std::string& base_dir, const std::string& source);
Result<ClusterConnection> load_kubeconfig(const std::string& path, std::string_view context = "");

// `root` prefixes the service account directory (tests); env is read from the process.
Result<ClusterConnection> in_cluster_config(const std::string& root = "");

// Standard base64 (padding optional, whitespace ignored); nullopt when malformed.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace k4ds::kubernetes
