#include "kubernetes/kubeconfig.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace k4ds::kubernetes {

namespace {

Result<std::string> read_file(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return invalid_argument("cannot read " + what + " " + path +
                            "; check that the file exists and k4ds may read it");
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string resolve(const std::string& base_dir, const std::string& file) {
  if (file.empty() || file.front() == '/' || base_dir.empty()) return file;
  return (std::filesystem::path(base_dir) / file).string();
}

// The `name`d entry of a kubeconfig list (clusters, users, contexts): its inner map. A null
// node when there is none (a default YAML::Node is *defined*: test with IsMap()).
YAML::Node find_named(const YAML::Node& list, std::string_view name, std::string_view key) {
  if (!list || !list.IsSequence()) return {};
  for (const auto& item : list) {
    if (item["name"] && item["name"].as<std::string>("") == name) return item[std::string(key)];
  }
  return {};
}

std::string names_of(const YAML::Node& list) {
  std::string out;
  if (list && list.IsSequence()) {
    for (const auto& item : list) out += (out.empty() ? "" : ", ") + item["name"].as<std::string>("?");
  }
  return out.empty() ? "(none)" : out;
}

std::string str(const YAML::Node& n, const char* key) {
  return n && n[key] && n[key].IsScalar() ? n[key].as<std::string>() : "";
}

// "<key>-data" (base64) or "<key>" (a file); "" when neither is set.
Result<std::string> data_or_file(const YAML::Node& n, const std::string& key, const std::string& base_dir,
                                 const std::string& where) {
  std::string data = str(n, (key + "-data").c_str());
  if (!data.empty()) {
    auto decoded = base64_decode(data);
    if (!decoded) return invalid_argument(where + ": " + key + "-data is not valid base64");
    return *decoded;
  }
  std::string file = str(n, key.c_str());
  if (file.empty()) return std::string();
  return read_file(resolve(base_dir, file), where + " " + key);
}

}  // namespace

std::optional<std::string> base64_decode(std::string_view text) {
  static constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  bool padding = false;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (c == '=') {
      padding = true;
      continue;
    }
    size_t v = alphabet.find(c);
    if (v == std::string_view::npos || padding) return std::nullopt;
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  if (bits >= 6) return std::nullopt;  // a lone trailing character carries no whole byte
  return out;
}

Result<ClusterConnection> parse_kubeconfig(std::string_view yaml, std::string_view context,
                                           const std::string& base_dir, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return invalid_argument("kubeconfig " + source + " is not valid YAML: " + e.what());
  }
  if (!root.IsMap()) return invalid_argument("kubeconfig " + source + " is empty or not a kubeconfig");
  ClusterConnection c;
  c.context = context.empty() ? str(root, "current-context") : std::string(context);
  if (c.context.empty()) {
    return invalid_argument("kubeconfig " + source + " has no current-context; name a context (one of: " +
                            names_of(root["contexts"]) + ")");
  }
  YAML::Node ctx = find_named(root["contexts"], c.context, "context");
  if (!ctx.IsMap()) {
    return invalid_argument("kubeconfig " + source + " has no context \"" + c.context +
                            "\"; contexts: " + names_of(root["contexts"]));
  }
  std::string cluster_name = str(ctx, "cluster");
  std::string user_name = str(ctx, "user");
  c.namespace_name = str(ctx, "namespace");
  YAML::Node cluster = find_named(root["clusters"], cluster_name, "cluster");
  std::string where = "kubeconfig " + source + ", cluster \"" + cluster_name + "\"";
  if (!cluster.IsMap()) {
    return invalid_argument("kubeconfig " + source + ": context \"" + c.context + "\" uses cluster \"" +
                            cluster_name + "\", which is not defined; clusters: " + names_of(root["clusters"]));
  }
  c.server = str(cluster, "server");
  if (c.server.rfind("https://", 0) != 0) {
    return invalid_argument(where + ": server \"" + c.server +
                            "\" must be an https:// URL (k4ds does not talk to clusters in plain HTTP)");
  }
  c.insecure_skip_tls_verify = str(cluster, "insecure-skip-tls-verify") == "true";
  c.tls_server_name = str(cluster, "tls-server-name");
  auto ca = data_or_file(cluster, "certificate-authority", base_dir, where);
  if (!ca) return ca.status();
  c.ca_pem = *ca;

  if (user_name.empty()) return c;  // anonymous: unusual, but a valid kubeconfig
  YAML::Node user = find_named(root["users"], user_name, "user");
  where = "kubeconfig " + source + ", user \"" + user_name + "\"";
  if (!user.IsMap()) {
    return invalid_argument("kubeconfig " + source + ": context \"" + c.context + "\" uses user \"" +
                            user_name + "\", which is not defined; users: " + names_of(root["users"]));
  }
  auto cert = data_or_file(user, "client-certificate", base_dir, where);
  if (!cert) return cert.status();
  auto key = data_or_file(user, "client-key", base_dir, where);
  if (!key) return key.status();
  c.client_cert_pem = *cert;
  c.client_key_pem = *key;
  if (c.client_cert_pem.empty() != c.client_key_pem.empty()) {
    return invalid_argument(where + ": a client certificate needs its key and the other way round; "
                            "set both client-certificate(-data) and client-key(-data)");
  }
  c.token = str(user, "token");
  if (std::string file = str(user, "tokenFile"); !file.empty()) c.token_file = resolve(base_dir, file);
  if (YAML::Node exec = user["exec"]) {
    ExecPlugin p{.api_version = str(exec, "apiVersion"), .command = str(exec, "command")};
    if (p.command.empty()) return invalid_argument(where + ": exec has no command");
    if (p.api_version.empty()) p.api_version = "client.authentication.k8s.io/v1";
    if (exec["args"] && exec["args"].IsSequence()) {
      for (const auto& a : exec["args"]) p.args.push_back(a.as<std::string>());
    }
    if (exec["env"] && exec["env"].IsSequence()) {
      for (const auto& e : exec["env"]) p.env[str(e, "name")] = str(e, "value");
    }
    c.exec = std::move(p);
  }
  if (user["auth-provider"]) {
    return invalid_argument(where + ": auth-provider plugins were removed from Kubernetes; use an exec "
                            "plugin (for GKE: gke-gcloud-auth-plugin, for EKS: aws eks get-token)");
  }
  return c;
}

Result<ClusterConnection> load_kubeconfig(const std::string& path, std::string_view context) {
  auto text = read_file(path, "the kubeconfig");
  if (!text) return text.status();
  return parse_kubeconfig(*text, context, std::filesystem::path(path).parent_path().string(), path);
}

Result<ClusterConnection> in_cluster_config(const std::string& root) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (!host || !*host || !port || !*port) {
    return failed_precondition("not running in a Kubernetes Pod (KUBERNETES_SERVICE_HOST and "
                               "KUBERNETES_SERVICE_PORT are not set); give k4ds a kubeconfig instead");
  }
  std::string dir = root + "/var/run/secrets/kubernetes.io/serviceaccount";
  ClusterConnection c;
  c.context = "in-cluster";
  std::string h = host;
  c.server = "https://" + (h.find(':') != std::string::npos ? "[" + h + "]" : h) + ":" + port;
  auto ca = read_file(dir + "/ca.crt", "the service account's CA");
  if (!ca) return ca.status();
  c.ca_pem = *ca;
  c.token_file = dir + "/token";
  if (auto ns = read_file(dir + "/namespace", "the service account's namespace")) c.namespace_name = *ns;
  return c;
}

}  // namespace k4ds::kubernetes
