// `runtime:` → RuntimeConfig, collecting every problem with its path (see parse_runtime.h).
#include "config/parse_runtime.h"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

#include "config/checks.h"
#include "config/parse_clusters.h"
#include "config/runtime_values.h"
#include "model/validation.h"

namespace k4ds::config {
namespace {

using kubernetes::KubernetesOptions;
using kubernetes::NamespaceMode;
using kubernetes::NodePool;
using kubernetes::RegistryCredential;
using kubernetes::Toleration;

std::optional<std::string> read_file(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A label key ("[prefix/]name") or value: what the API server accepts, checked here so the
// mistake is found before the first launch.
bool label_part_ok(std::string_view s, bool may_be_empty) {
  if (s.empty()) return may_be_empty;
  if (s.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  if (!alnum(s.front()) || !alnum(s.back())) return false;
  for (char c : s) {
    if (!alnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

bool label_key_ok(std::string_view key) {
  auto slash = key.find('/');
  if (slash == std::string_view::npos) return label_part_ok(key, false);
  std::string_view prefix = key.substr(0, slash);
  return !prefix.empty() && prefix.size() <= 253 &&
         prefix.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-.") == std::string_view::npos &&
         label_part_ok(key.substr(slash + 1), false);
}

// A DNS subdomain, as Kubernetes names most objects (Secrets, IngressClasses).
bool dns_subdomain_ok(std::string_view s) {
  if (s.empty() || s.size() > 253 || s.front() == '.' || s.back() == '.' || s.front() == '-' || s.back() == '-')
    return false;
  return s.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-.") == std::string_view::npos &&
         s.find("..") == std::string_view::npos;
}

bool http_url_ok(std::string_view s) {
  std::string_view rest = s.starts_with("https://") ? s.substr(8) : s.starts_with("http://") ? s.substr(7) : "";
  return !rest.empty() && rest.front() != '/' && s.find_first_of(" \t\r\n#") == std::string_view::npos;
}

class RuntimeLoader {
 public:
  RuntimeLoader(YamlReader& r, RuntimeConfig& out, std::vector<std::pair<std::string, std::string>>& sizes)
      : r_(r), out_(out), k_(out.kubernetes), sizes_(sizes) {}

  void load(const YAML::Node& node, const std::string& path) {
    std::vector<std::pair<std::string, std::string>> kubernetes_only;  // key, path
    bool is_map = r_.for_each_key(node, path,
                                  {"kind", "kubeconfig", "context", "in_cluster", "namespace_mode", "namespace", "namespace_prefix",
    "storage_class", "volume_size", "nfs", "registries", "node_pools", "gateway_pod_labels",
    "gateway_namespace", "default_uid", "default_gid", "upstream", "qps", "burst", "ingress", "clusters"},
                                  [&](std::string_view key, const YAML::Node& v, const std::string& p) {
                                    if (key == "kind") {
                                      load_kind(v, p);
                                    } else {
                                      kubernetes_only.emplace_back(std::string(key), p);
                                      load_key(key, v, p);
                                    }
                                  });
    if (!is_map) return;
    if (!node["kind"]) {
      r_.report(child_path(path, "kind"), "is missing; use kind: local (processes on this machine) or kind: kubernetes");
      return;
    }
    if (out_.kind == RuntimeKind::local) {
      for (const auto& [key, p] : kubernetes_only)
        r_.report(p, fmt::format("applies only to kind: kubernetes; remove {} or set kind: kubernetes", key));
      return;
    }
    if (out_.in_cluster && (node["kubeconfig"] || node["context"]))
      r_.report(child_path(path, "in_cluster"),
                "in_cluster: true uses the service account of the Pod k4ds runs in; remove kubeconfig and context, "
                "or set in_cluster: false");
    if (k_.namespace_mode == NamespaceMode::per_user && node["namespace"])
      r_.report(child_path(path, "namespace"),
                "applies only to namespace_mode: shared; with per_user every user gets "
                "<namespace_prefix><user> (set namespace_prefix instead)");
    if (k_.namespace_mode == NamespaceMode::shared && node["namespace_prefix"])
      r_.report(child_path(path, "namespace_prefix"),
                "applies only to namespace_mode: per_user; with shared, set namespace");
    check_clusters(r_, node, path, k_, pool_clusters_);
  }

 private:
  void load_kind(const YAML::Node& v, const std::string& p) {
    auto s = r_.string(v, p);
    if (!s) return;
    if (*s == "local") out_.kind = RuntimeKind::local;
    else if (*s == "kubernetes") out_.kind = RuntimeKind::kubernetes;
    else r_.report(p, fmt::format("\"{}\" is not a runtime; use local or kubernetes", *s));
  }

  void load_key(std::string_view key, const YAML::Node& v, const std::string& p) {
    if (key == "kubeconfig") {
      if (auto s = kubeconfig_value(r_, v, p)) out_.kubeconfig = *s;
    } else if (key == "context") {
      if (auto s = context_value(r_, v, p)) out_.context = *s;
    } else if (key == "in_cluster") {
      if (auto b = r_.boolean(v, p)) out_.in_cluster = *b;
    } else if (key == "namespace_mode") {
      if (auto s = r_.string(v, p)) {
        if (*s == "per_user") k_.namespace_mode = NamespaceMode::per_user;
        else if (*s == "shared") k_.namespace_mode = NamespaceMode::shared;
        else r_.report(p, fmt::format("\"{}\" is not a namespace mode; use per_user or shared", *s));
      }
    } else if (key == "namespace") {
      if (auto s = r_.string(v, p); s && r_.check(check_kubernetes_label_name("namespace", *s), p))
        k_.shared_namespace = *s;
    } else if (key == "namespace_prefix") {
      if (auto s = r_.string(v, p)) {
        // The user name (at most 32 characters) follows; the whole must stay a namespace name.
        bool ok = !s->empty() && s->size() <= 30 && s->front() >= 'a' && s->front() <= 'z' &&
                  s->find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string::npos;
        if (ok) k_.namespace_prefix = *s;
        else r_.report(p, fmt::format("\"{}\" cannot start a namespace name; use at most 30 characters a-z, 0-9 and "
                                      "\"-\", starting with a letter, such as k4ds-", *s));
      }
    } else if (key == "storage_class") {
      if (auto s = storage_class_value(r_, v, p)) k_.storage_class = *s;
    } else if (key == "volume_size") {
      if (auto s = r_.string(v, p)) {
        auto bytes = parse_memory(*s);
        if (r_.check(bytes.status(), p)) {
          if (*bytes <= 0) r_.report(p, "must be more than 0, such as 10Gi");
          else k_.volume_size_bytes = *bytes;
        }
      }
    } else if (key == "nfs") {
      if (auto nfs = nfs_value(r_, v, p)) std::tie(k_.nfs_server, k_.nfs_export) = *nfs;
    } else if (key == "clusters") {
      load_clusters(r_, v, p, k_.clusters);
    } else if (key == "registries") {
      k_.registries.clear();
      r_.for_each_item(v, p, [&](const YAML::Node& n, const std::string& ip) { load_registry(n, ip); });
    } else if (key == "node_pools") {
      load_node_pools(v, p);
    } else if (key == "gateway_pod_labels") {
      if (auto m = labels(v, p)) {
        if (m->empty()) r_.report(p, "is empty; give the labels of k4ds's own Pods, such as {app.kubernetes.io/name: k4ds}");
        else k_.gateway_pod_labels = std::move(*m);
      }
    } else if (key == "gateway_namespace") {
      if (auto s = r_.string(v, p)) {
        if (s->empty() || r_.check(check_kubernetes_label_name("gateway_namespace", *s), p)) k_.gateway_namespace = *s;
      }
    } else if (key == "default_uid" || key == "default_gid") {
      if (auto n = r_.integer(v, p, 0, 2147483647, "the POSIX id workspaces run as when the directory has none")) {
        (key == "default_uid" ? k_.default_uid : k_.default_gid) = *n;
        if (key == "default_uid" && *n == 0)
          r_.report(p, "workspaces never run as root (uid 0); use an ordinary uid such as 1000");
      }
    } else if (key == "qps") {
      if (auto s = r_.string(v, p)) {
        char* end = nullptr;
        double qps = std::strtod(s->c_str(), &end);
        bool number = !s->empty() && end == s->c_str() + s->size() && s->find_first_not_of("0123456789.") == std::string::npos;
        if (number && qps > 0 && qps <= 10000) k_.api_qps = qps;
        else r_.report(p, fmt::format("must be a number of requests per second to the Kubernetes API, above 0 and at "
                                      "most 10000, such as 20; not \"{}\"", *s));
      }
    } else if (key == "burst") {
      if (auto n = r_.integer(v, p, 1, 100000, "how many requests k4ds may send to the Kubernetes API at once before qps applies"))
        k_.api_burst = *n;
    } else if (key == "ingress") {
      load_ingress(v, p);
    } else if (key == "upstream") {
      if (auto mode = upstream_value(r_, v, p)) k_.upstream = *mode;
    }
  }

  // A mapping of Kubernetes labels (key: value), each checked as the API server would.
  std::optional<std::map<std::string, std::string>> labels(const YAML::Node& n, const std::string& path) {
    if (!n.IsMap()) {
      r_.report(path, "must be a mapping of label: value, such as {app.kubernetes.io/name: k4ds}");
      return std::nullopt;
    }
    std::map<std::string, std::string> out;
    bool ok = true;
    for (const auto& entry : n) {
      std::string lk = entry.first.Scalar();
      std::string p = child_path(path, lk);
      auto lv = r_.string(entry.second, p);
      if (!lv) {
        ok = false;
      } else if (!label_key_ok(lk) || !label_part_ok(*lv, true)) {
        r_.report(p, fmt::format("\"{}: {}\" is not a Kubernetes label; keys ([prefix/]name) and values use letters, "
                                 "digits, \"-\", \"_\" and \".\" (at most 63)", lk, *lv));
        ok = false;
      } else {
        out[lk] = *lv;
      }
    }
    return ok ? std::optional(std::move(out)) : std::nullopt;
  }

  // `ingress:` turns on an Ingress per workspace for the site's own ingress-nginx.
  void load_ingress(const YAML::Node& n, const std::string& path) {
    kubernetes::IngressOptions& in = k_.ingress;
    in.enabled = r_.for_each_key(
        n, path,
        {"domain", "class", "tls_secret", "auth_url", "signin_url", "gateway_service", "gateway_port", "cluster_domain",
         "controller_namespace", "controller_pod_labels"},
        [&](std::string_view key, const YAML::Node& v, const std::string& p) {
          if (key == "gateway_port") {
            if (auto port = r_.integer(v, p, 1, 65535, "the port of k4ds's own Service")) in.gateway_port = *port;
            return;
          }
          if (key == "controller_pod_labels") {
            if (auto m = labels(v, p)) {
              if (m->empty()) r_.report(p, "is empty; give the labels of the controller's Pods, such as {app.kubernetes.io/name: ingress-nginx}");
              else in.controller_pod_labels = std::move(*m);
            }
            return;
          }
          auto s = r_.string(v, p);
          if (!s) return;
          if (key == "domain") {
            if (r_.check(check_domain(*s), p)) in.domain = *s;
          } else if (key == "class" || key == "tls_secret" || key == "cluster_domain") {
            if (dns_subdomain_ok(*s)) {
              (key == "class" ? in.class_name : key == "tls_secret" ? in.tls_secret : in.cluster_domain) = *s;
            } else {
              r_.report(p, fmt::format("\"{}\" is not a Kubernetes name; use a-z, 0-9, \"-\" and \".\", such as {}", *s,
                                       key == "class" ? "nginx (kubectl get ingressclass)"
                                       : key == "tls_secret" ? "wildcard-tls (a kubernetes.io/tls Secret)"
                                                             : "cluster.local"));
            }
          } else if (key == "auth_url" || key == "signin_url") {
            if (!http_url_ok(*s)) {
              r_.report(p, fmt::format("\"{}\" is not an http:// or https:// URL; use one such as {}", *s,
                                       key == "auth_url" ? "http://k4ds.k4ds.svc.cluster.local:8080/_k4ds/auth/nginx"
                                                         : "https://k4ds.example.org/login"));
            } else if (key == "signin_url" && s->find("rd=") != std::string::npos) {
              r_.report(p, "must not carry rd=; k4ds adds rd=<the original URL> itself");
            } else {
              (key == "auth_url" ? in.auth_url : in.signin_url) = *s;
            }
          } else if (key == "gateway_service") {
            if (r_.check(check_kubernetes_label_name("gateway_service", *s), p)) in.gateway_service = *s;
          } else if (key == "controller_namespace") {
            if (s->empty() || r_.check(check_kubernetes_label_name("controller_namespace", *s), p))
              in.controller_namespace = *s;
          }
        });
    // Without `domain` and `signin_url`, the top-level domain and the portal host are used
    // (filled in once the whole file is read: parse.cc, check_references).
  }

  void load_registry(const YAML::Node& n, const std::string& path) {
    RegistryCredential reg;
    bool complete = true;
    r_.for_each_key(n, path, {"server", "username", "password_file", "json_key_file"},
                    [&](std::string_view key, const YAML::Node& v, const std::string& p) {
                      auto s = r_.string(v, p);
                      if (!s) {
                        complete = false;
                        return;
                      }
                      if (key == "server") {
                        reg.server = *s;
                        if (s->empty()) r_.report(p, "is empty; give the registry's host, such as registry.example.com");
                      } else if (key == "username") {
                        reg.username = *s;
                      } else {
                        complete &= read_secret(*s, p, key == "json_key_file", key == "json_key_file" ? reg.json_key : reg.password);
                      }
                    });
    if (!n.IsMap()) return;
    if (!n["server"]) {
      r_.report(child_path(path, "server"), "is missing; give the registry's host, such as registry.example.com");
      complete = false;
    }
    const bool password = static_cast<bool>(n["password_file"]), key = static_cast<bool>(n["json_key_file"]);
    if (password == key) {
      r_.report(path, "needs either username and password_file, or json_key_file (a Google Cloud service-account key "
                      "for GCR / Artifact Registry)");
      complete = false;
    } else if (password && !n["username"]) {
      r_.report(child_path(path, "username"), "is missing; password_file needs the user name it belongs to");
      complete = false;
    } else if (key && n["username"]) {
      r_.report(child_path(path, "username"), "is not used with json_key_file (the user is always _json_key); remove it");
      complete = false;
    }
    if (complete) k_.registries.push_back(std::move(reg));
  }

  // Reads a secret file; its content never appears in a problem.
  bool read_secret(const std::string& file, const std::string& path, bool json_key, std::string& into) {
    auto text = readable_file(file) ? read_file(file) : std::nullopt;
    if (!text) {
      r_.report(path, fmt::format("\"{}\" is not a readable file; give the file that holds the {}", file,
                                  json_key ? "service-account JSON key" : "registry password"));
      return false;
    }
    if (json_key) {
      boost::system::error_code ec;
      auto v = boost::json::parse(*text, ec);
      if (ec || !v.is_object() || !v.as_object().contains("private_key")) {
        r_.report(path, fmt::format("\"{}\" is not a Google Cloud service-account key (JSON with a private_key); "
                                    "download one with gcloud iam service-accounts keys create", file));
        return false;
      }
    } else {
      while (!text->empty() && (text->back() == '\n' || text->back() == '\r')) text->pop_back();
      if (text->empty()) {
        r_.report(path, fmt::format("\"{}\" is empty; write the registry password into it", file));
        return false;
      }
    }
    into = std::move(*text);
    return true;
  }

  void load_node_pools(const YAML::Node& n, const std::string& path) {
    k_.node_pools.clear();
    if (!n.IsMap()) {
      r_.report(path, "must be a mapping of size name: {node_selector, tolerations}");
      return;
    }
    for (const auto& entry : n) {
      std::string size = entry.first.Scalar();
      std::string p = child_path(path, size);
      NodePool pool;
      r_.for_each_key(entry.second, p, {"node_selector", "tolerations", "cluster"},
                      [&](std::string_view key, const YAML::Node& v, const std::string& kp) {
                        if (key == "cluster") {
                          if (auto name = r_.string(v, kp)) {
                            pool.cluster = *name;
                            pool_clusters_.emplace_back(kp, *name);
                          }
                        } else if (key == "node_selector") {
                          if (auto m = labels(v, kp)) pool.node_selector = std::move(*m);
                        } else {
                          r_.for_each_item(v, kp, [&](const YAML::Node& t, const std::string& tp) {
                            if (auto tol = load_toleration(t, tp)) pool.tolerations.push_back(std::move(*tol));
                          });
                        }
                      });
      sizes_.emplace_back(p, size);
      k_.node_pools[size] = std::move(pool);
    }
  }

  std::optional<Toleration> load_toleration(const YAML::Node& n, const std::string& path) {
    Toleration t;
    bool ok = true;
    r_.for_each_key(n, path, {"key", "operator", "value", "effect"},
                    [&](std::string_view key, const YAML::Node& v, const std::string& p) {
                      auto s = r_.string(v, p);
                      if (!s) {
                        ok = false;
                      } else if (key == "key") {
                        t.key = *s;
                      } else if (key == "operator") {
                        if (*s != "Exists" && *s != "Equal") {
                          r_.report(p, fmt::format("\"{}\" is not an operator; use Exists or Equal", *s));
                          ok = false;
                        }
                        t.op = *s;
                      } else if (key == "value") {
                        t.value = *s;
                      } else if (key == "effect") {
                        if (!s->empty() && *s != "NoSchedule" && *s != "PreferNoSchedule" && *s != "NoExecute") {
                          r_.report(p, fmt::format("\"{}\" is not an effect; use NoSchedule, PreferNoSchedule or "
                                                   "NoExecute (or leave it out for all)", *s));
                          ok = false;
                        }
                        t.effect = *s;
                      }
                    });
    if (!n.IsMap()) return std::nullopt;
    if (t.op == "Equal" && (t.key.empty() || !n["value"])) {
      r_.report(path, "operator Equal needs a key and a value (the node taint's key=value)");
      ok = false;
    }
    if (t.op == "Exists" && n["value"]) {
      r_.report(child_path(path, "value"), "is not used with operator Exists; remove it or use operator: Equal");
      ok = false;
    }
    return ok ? std::optional<Toleration>(std::move(t)) : std::nullopt;
  }

  YamlReader& r_;
  RuntimeConfig& out_;
  KubernetesOptions& k_;
  std::vector<std::pair<std::string, std::string>>& sizes_;
  std::vector<std::pair<std::string, std::string>> pool_clusters_;  // path, cluster name
};

}  // namespace

void load_runtime(YamlReader& r, const YAML::Node& node, const std::string& path, RuntimeConfig& out,
                  std::vector<std::pair<std::string, std::string>>& size_references) {
  out = RuntimeConfig{};
  RuntimeLoader(r, out, size_references).load(node, path);
}

std::vector<ConfigProblem> check_catalog_for_runtime(const Config& config) {
  std::vector<ConfigProblem> problems;
  if (config.runtime.kind != RuntimeKind::kubernetes) return problems;
  const auto& envs = config.catalog.environments;
  for (std::size_t i = 0; i < envs.size(); ++i) {
    const std::string path = index_path("environments", i);
    if (envs[i].image.empty()) {
      problems.push_back({child_path(path, "image"),
                          fmt::format("environment \"{}\" has no image; on Kubernetes every environment runs a "
                                      "container image: set image (such as quay.io/jupyter/scipy-notebook:2024-04-01){}",
                                      envs[i].name,
                                      envs[i].command.empty() ? ""
                                                              : " — a command alone runs only on this machine (the "
                                                                "built-in environments are such); define environments "
                                                                "with an image and a port")});
    }
    if (envs[i].port == 0) {
      problems.push_back({child_path(path, "port"),
                          fmt::format("environment \"{}\" has port 0 (a Unix socket on this machine), which a cluster "
                                      "cannot use; set port to the TCP port its image listens on (such as 8888)",
                                      envs[i].name)});
    }
  }
  // The Ingress serves the hosts the gateway and forward-auth answer for, and sends people to
  // the portal's login: both must agree with the top-level domain and portal host.
  const kubernetes::IngressOptions& in = config.runtime.kubernetes.ingress;
  if (in.enabled && !in.domain.empty() && in.domain != config.domain) {
    problems.push_back({"runtime.ingress.domain",
                        fmt::format("\"{}\" differs from the domain \"{}\"; k4ds answers for workspaces on "
                                    "<user>-<name>.{}, so set runtime.ingress.domain: {}",
                                    in.domain, config.domain, config.domain, config.domain)});
  }
  const std::string portal = config.portal_host.empty() ? config.domain : config.portal_host;
  if (in.enabled && !in.domain.empty()) {
    std::string_view login = in.signin_url;
    std::string fallback = "https://" + in.domain + "/login";
    if (login.empty()) login = fallback;
    login.remove_prefix(login.find("://") + 3);
    std::string_view host = login.substr(0, login.find_first_of(":/?"));
    if (host != portal) {
      problems.push_back(
          {"runtime.ingress.signin_url",
           fmt::format("{} is not on the portal host {}; set runtime.ingress.signin_url: https://{}/login",
                       in.signin_url.empty() ? "the default " + fallback : "\"" + in.signin_url + "\"", portal,
                       portal)});
    }
  }
  return problems;
}

Status check_kubernetes_label_name(std::string_view what, std::string_view name) {
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  bool ok = !name.empty() && name.size() <= 63 && alnum(name.front()) && alnum(name.back()) &&
            name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string_view::npos;
  if (ok) return ok_status();
  return invalid_argument(fmt::format("{} \"{}\" is not a Kubernetes name; use at most 63 characters a-z, 0-9 and "
                                      "\"-\", starting and ending with a letter or digit",
                                      what, name));
}

}  // namespace k4ds::config
