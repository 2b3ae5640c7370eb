// parse_config_text: the YAML document → Config, collecting every problem with its path.
#include <unistd.h>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <set>

#include "config/checks.h"
#include "config/config.h"
#include "config/parse_identity.h"
#include "config/parse_quotas.h"
#include "config/parse_runtime.h"
#include "config/yaml_reader.h"
#include "model/validation.h"

namespace k4ds {
namespace {

using config::YamlReader;

std::string join_names(const std::set<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "(none)" : out;
}

class Loader {
 public:
  explicit Loader(ParsedConfig& parsed) : parsed_(parsed), r_(parsed.problems) {}

  void load(const YAML::Node& root) {
    Config& c = parsed_.config;
    bool is_map = r_.for_each_key(
        root, "",
        {"domain", "listen", "data_dir", "portal_host", "session_ttl", "idle_stop_after", "trusted_proxies",
         "default_size", "environments", "sizes", "users", "identity_providers", "tls", "runtime",
         "quotas"},
        [&](std::string_view key, const YAML::Node& v, const std::string& path) {
          if (key == "domain") {
            assign_checked(v, path, c.domain, config::check_domain);
          } else if (key == "listen") {
            assign_checked(v, path, c.listen, config::check_listen);
          } else if (key == "data_dir") {
            assign_checked(v, path, c.data_dir, config::check_data_dir);
          } else if (key == "portal_host") {
            if (auto s = r_.string(v, path)) c.portal_host = *s;  // checked with the domain below
            portal_host_path_ = path;
          } else if (key == "session_ttl") {
            if (auto s = r_.string(v, path)) {
              auto ttl = config::parse_duration(*s);
              if (r_.check(ttl.status(), path)) c.session_ttl = *ttl;
            }
          } else if (key == "idle_stop_after") {
            if (auto s = r_.string(v, path)) {
              if (*s == "0" || *s == "never") {
                c.idle_stop_after = std::chrono::seconds(0);
              } else if (auto after = config::parse_duration(*s); r_.check(after.status(), path)) {
                c.idle_stop_after = *after;
              }
            }
          } else if (key == "trusted_proxies") {
            load_proxies(v, path);
          } else if (key == "default_size") {
            auto s = r_.string(v, path);
            if (s && r_.check(validate_catalog_name("size", *s), path)) {
              c.catalog.default_size = *s;
              default_size_given_ = true;
            }
          } else if (key == "environments") {
            environments_given_ = true;
            load_list(v, path, "environment", [&](const YAML::Node& n, const std::string& p) {
              load_environment(n, p);
            });
          } else if (key == "sizes") {
            sizes_given_ = true;
            load_list(v, path, "size",
                      [&](const YAML::Node& n, const std::string& p) { load_size(n, p); });
          } else if (key == "users") {
            c.users.clear();
            r_.for_each_item(v, path, [&](const YAML::Node& n, const std::string& p) {
              load_user(n, p);
            });
          } else if (key == "identity_providers") {
            config::load_identity_providers(r_, v, path, c.identity_providers);
          } else if (key == "tls") {
            load_tls(v, path);
          } else if (key == "runtime") {
            config::load_runtime(r_, v, path, c.runtime, size_references_);
          } else if (key == "quotas") {
            config::load_quotas(r_, v, path, c.quotas);
          }
        });
    if (!is_map) return;
    check_references();
  }

 private:
  void assign_checked(const YAML::Node& v, const std::string& path, std::string& field,
                      Status (*check)(std::string_view)) {
    if (auto s = r_.string(v, path); s && r_.check(check(*s), path)) field = *s;
  }

  void load_proxies(const YAML::Node& v, const std::string& path) {
    auto& proxies = parsed_.config.trusted_proxies;
    proxies.clear();
    r_.for_each_item(v, path, [&](const YAML::Node& n, const std::string& p) {
      if (auto s = r_.string(n, p); s && r_.check(config::check_proxy(*s), p))
        proxies.push_back(*s);
    });
  }

  // environments and sizes: a list in the file replaces the built-in one entirely, so an
  // operator's catalog never silently contains entries they did not write.
  void load_list(const YAML::Node& v, const std::string& path, std::string_view what,
                 const std::function<void(const YAML::Node&, const std::string&)>& load_one) {
    if (what == "environment") parsed_.config.catalog.environments.clear();
    if (what == "size") parsed_.config.catalog.sizes.clear();
    if (!r_.for_each_item(v, path, load_one)) return;
    if (v.size() == 0)
      r_.report(path, fmt::format("is empty; define at least one {}, or remove the key to use "
                                  "the built-in {}s",
                                  what, what));
  }

  // Reads the required `name` of a list entry and refuses repeats; "" when unusable.
  std::string entry_name(const YAML::Node& n, const std::string& path, std::string_view what,
                         std::set<std::string>& seen,
                         const std::function<Status(std::string_view)>& validate) {
    if (!n.IsMap()) return "";  // for_each_key reports it
    std::string name_path = config::child_path(path, "name");
    if (!n["name"]) {
      r_.report(name_path, fmt::format("is missing; every {} needs a name", what));
      return "";
    }
    std::optional<std::string> name = r_.string(n["name"], name_path);
    if (!name || !r_.check(validate(*name), name_path)) return "";
    if (!seen.insert(*name).second) {
      r_.report(name_path, fmt::format("duplicate {} \"{}\"; each name may appear once", what,
                                       *name));
      return "";
    }
    return *name;
  }

  // tls: {listen: ":443", cert: PATH, key: PATH}; the files must be readable now (k4ds re-reads
  // them when they change, so a renewal needs no restart).
  void load_tls(const YAML::Node& n, const std::string& path) {
    Config& c = parsed_.config;
    c.tls_listen = "0.0.0.0:443";
    r_.for_each_key(n, path, {"listen", "cert", "key"},
                    [&](std::string_view key, const YAML::Node& v, const std::string& p) {
                      if (key == "listen") {
                        assign_checked(v, p, c.tls_listen, config::check_listen);
                      } else if (auto s = r_.string(v, p)) {
                        if (s->empty() || ::access(s->c_str(), R_OK) != 0) {
                          r_.report(p, fmt::format("\"{}\" is not a readable file; give the PEM {} file", *s,
                                                   key == "cert" ? "certificate" : "private key"));
                        }
                        (key == "cert" ? c.tls_cert : c.tls_key) = *s;
                      }
                    });
    if (n.IsMap() && (!n["cert"] || !n["key"])) {
      r_.report(path, "needs both cert and key (PEM files: a certificate for *.<domain> and <domain>, and its key)");
    }
  }

  void load_environment(const YAML::Node& n, const std::string& path) {
    Environment env;
    env.name = entry_name(n, path, "environment", environment_names_, [](std::string_view s) {
      return validate_catalog_name("environment", s);
    });
    bool has_display_name = false;
    r_.for_each_key(
        n, path,
        {"name", "display_name", "description", "version", "command", "image", "port",
         "health_path", "env", "default_size", "restarts", "network"},
        [&](std::string_view key, const YAML::Node& v, const std::string& p) {
          if (key == "display_name") {
            has_display_name = true;
            if (auto s = r_.string(v, p)) env.display_name = *s;
          } else if (key == "description") {
            if (auto s = r_.string(v, p)) env.description = *s;
          } else if (key == "version") {
            if (auto s = r_.string(v, p)) env.version = *s;
          } else if (key == "image") {
            if (auto s = r_.string(v, p)) env.image = *s;
          } else if (key == "command") {
            if (auto cmd = r_.strings(v, p)) {
              if (cmd->empty() || cmd->front().empty())
                r_.report(p, "is empty; give the program and its arguments, such as "
                             "[/usr/bin/python3, -m, notebook, --sock={socket}]");
              else
                env.command = std::move(*cmd);
            }
          } else if (key == "port") {
            if (auto port = r_.port(v, p)) env.port = *port;
          } else if (key == "health_path") {
            if (auto s = r_.string(v, p)) {
              if (s->empty() || s->front() != '/')
                r_.report(p, fmt::format("\"{}\" must be a URL path starting with /, such as /api",
                                         *s));
              else
                env.health_path = *s;
            }
          } else if (key == "env") {
            if (auto m = r_.string_map(v, p)) env.env = std::move(*m);
          } else if (key == "network") {
            if (auto s = r_.string(v, p)) {
              if (*s == "private" || *s == "host") {
                env.host_network = *s == "host";
              } else {
                r_.report(p, fmt::format("\"{}\" is not a network; use private (the default: the port is "
                                         "reachable only through the gateway) or host", *s));
              }
            }
          } else if (key == "restarts") {
            if (auto n = r_.integer(v, p, 0, 100, "how often a crashed workspace is started again (0 = never)")) {
              env.restarts = *n;
            }
          } else if (key == "default_size") {
            if (auto s = r_.string(v, p); s && r_.check(validate_catalog_name("size", *s), p)) {
              env.default_size = *s;
              size_references_.push_back({config::child_path(path, "default_size"), *s});
            }
          }
        });
    if (!n.IsMap()) return;
    if (!n["command"] && !n["image"])
      r_.report(path, "needs a command (to run on this machine) or an image (to run on "
                      "Kubernetes)");
    if (env.name.empty()) return;
    if (!has_display_name) env.display_name = env.name;
    parsed_.config.catalog.environments.push_back(std::move(env));
  }

  void load_size(const YAML::Node& n, const std::string& path) {
    Size size;
    size.name = entry_name(n, path, "size", size_names_,
                           [](std::string_view s) { return validate_catalog_name("size", s); });
    bool complete = !size.name.empty();
    bool has_description = false;
    r_.for_each_key(n, path, {"name", "description", "cpu", "memory", "gpus"},
                    [&](std::string_view key, const YAML::Node& v, const std::string& p) {
                      if (key == "description") {
                        has_description = true;
                        if (auto s = r_.string(v, p)) size.description = *s;
                      } else if (key == "cpu") {
                        complete &= quantity(v, p, parse_cpu, "a size needs some CPU, such as 1",
                                             size.cpu_millis);
                      } else if (key == "memory") {
                        complete &= quantity(v, p, parse_memory,
                                             "a size needs some memory, such as 2Gi",
                                             size.memory_bytes);
                      } else if (key == "gpus") {
                        complete &= quantity(v, p, parse_count, "", size.gpus);
                      }
                    });
    if (!n.IsMap()) return;
    for (const char* required : {"cpu", "memory"}) {
      if (!n[required]) {
        r_.report(config::child_path(path, required),
                  fmt::format("is missing; every size needs {}", required == std::string("cpu")
                                                                     ? "cpu (such as 1 or 500m)"
                                                                     : "memory (such as 2Gi)"));
        complete = false;
      }
    }
    if (!complete) return;
    if (!has_description) size.description = config::describe_size(size);
    parsed_.config.catalog.sizes.push_back(std::move(size));
  }

  // Reads a quantity; `zero_refusal` non-empty means zero is not allowed.
  bool quantity(const YAML::Node& v, const std::string& path,
                Result<int64_t> (*parse)(std::string_view), std::string_view zero_refusal,
                int64_t& out) {
    std::optional<std::string> text = r_.string(v, path);
    if (!text) return false;
    Result<int64_t> value = parse(*text);
    if (!r_.check(value.status(), path)) return false;
    if (*value == 0 && !zero_refusal.empty()) {
      r_.report(path, fmt::format("must be more than 0; {}", zero_refusal));
      return false;
    }
    out = *value;
    return true;
  }

  void load_user(const YAML::Node& n, const std::string& path) {
    SeedUser user;
    user.name = entry_name(n, path, "user", user_names_, validate_user_name);
    r_.for_each_key(n, path, {"name", "password", "display_name", "email", "admin"},
                    [&](std::string_view key, const YAML::Node& v, const std::string& p) {
                      if (key == "password") {
                        if (auto s = r_.string(v, p)) user.password = *s;
                      } else if (key == "display_name") {
                        if (auto s = r_.string(v, p)) user.display_name = *s;
                      } else if (key == "email") {
                        if (auto s = r_.string(v, p)) {
                          std::size_t at = s->find('@');
                          if (!s->empty() && (at == 0 || at == std::string::npos ||
                                              at + 1 == s->size()))
                            r_.report(p, fmt::format("\"{}\" is not an email address; use one "
                                                     "such as alice@example.org",
                                                     *s));
                          else
                            user.email = *s;
                        }
                      } else if (key == "admin") {
                        if (auto b = r_.boolean(v, p)) user.admin = *b;
                      }
                    });
    if (user.name.empty()) return;
    parsed_.config.users.push_back(std::move(user));
  }

  // Checks that need the whole document: names that refer to other entries, and the portal
  // host against the domain.
  void check_references() {
    Config& c = parsed_.config;
    // The Ingress serves the workspaces' hosts and sends people to the portal's login.
    if (kubernetes::IngressOptions& in = c.runtime.kubernetes.ingress; in.enabled) {
      if (in.domain.empty()) in.domain = c.domain;
      if (in.signin_url.empty()) in.signin_url = "https://" + (c.portal_host.empty() ? c.domain : c.portal_host) + "/login";
    }
    if (!c.portal_host.empty())
      r_.check(config::check_portal_host(c.portal_host, c.domain), portal_host_path_);
    // Every size with a valid name counts, even one with another problem, so a single mistake
    // is not reported again at each place that names the size.
    std::set<std::string> sizes = sizes_given_ ? size_names_ : std::set<std::string>{};
    if (!sizes_given_)
      for (const auto& s : c.catalog.sizes) sizes.insert(s.name);
    if (default_size_given_) {
      size_references_.insert(size_references_.begin(), {"default_size", c.catalog.default_size});
    } else if (!c.catalog.sizes.empty() && !c.catalog.find_size(c.catalog.default_size)) {
      c.catalog.default_size = c.catalog.sizes.front().name;
    }
    // The built-in environments name the built-in sizes; when the file replaced the sizes only,
    // they fall back to the catalog's default size instead of naming one that is gone.
    if (!environments_given_) {
      for (auto& env : c.catalog.environments)
        if (!sizes.contains(env.default_size)) env.default_size.clear();
    }
    for (const auto& [path, name] : size_references_) {
      if (!sizes.contains(name))
        r_.report(path, fmt::format("size \"{}\" is not defined; defined sizes: {}", name,
                                    join_names(sizes)));
    }
  }

  ParsedConfig& parsed_;
  YamlReader r_;
  std::string portal_host_path_ = "portal_host";
  bool default_size_given_ = false;
  bool sizes_given_ = false;
  bool environments_given_ = false;
  std::set<std::string> environment_names_;
  std::set<std::string> size_names_;
  std::set<std::string> user_names_;
  std::vector<std::pair<std::string, std::string>> size_references_;  // path, size name
};

}  // namespace

ParsedConfig parse_config_text(std::string_view yaml) {
  ParsedConfig parsed{default_config(), {}};
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    parsed.problems.push_back(
        {"", fmt::format("line {}, column {}: {}; fix the YAML syntax there (values "
                         "containing {{ }} [ ] , # or \": \" need quotes)",
                         e.mark.line + 1, e.mark.column + 1, e.msg)});
    return parsed;
  }
  if (!root.IsDefined() || root.IsNull()) return parsed;  // an empty file: all defaults
  Loader(parsed).load(root);
  return parsed;
}

}  // namespace k4ds
