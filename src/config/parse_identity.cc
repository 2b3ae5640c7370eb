// `identity_providers:`: LDAP / Active Directory providers, each checked completely so that
// `k4ds config check` lists every mistake with its path.
#include "config/parse_identity.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include "config/checks.h"
#include "model/validation.h"

namespace k4ds::config {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "500ms" or anything parse_duration takes ("5s", "2m").
Result<std::chrono::milliseconds> parse_timeout(std::string_view text) {
  if (text.size() > 2 && text.ends_with("ms")) {
    std::string_view digits = text.substr(0, text.size() - 2);
    if (digits.size() <= 7 && digits.find_first_not_of("0123456789") == std::string_view::npos) {
      long ms = std::stol(std::string(digits));
      if (ms > 0) return std::chrono::milliseconds(ms);
    }
    return invalid_argument(fmt::format("\"{}\" is not a timeout; use one such as 500ms, 5s or 1m", text));
  }
  Result<std::chrono::seconds> s = parse_duration(text);
  if (!s) return s.status();
  return std::chrono::duration_cast<std::chrono::milliseconds>(*s);
}

Status check_url(std::string_view urls) {
  constexpr std::string_view kHint = "use ldap://host, ldaps://host or ldaps://host:636";
  std::istringstream in{std::string(urls)};
  std::string url;
  int count = 0;
  while (in >> url) {
    ++count;
    std::string l = lower(url);
    std::string_view rest;
    if (l.starts_with("ldap://")) rest = std::string_view(url).substr(7);
    else if (l.starts_with("ldaps://")) rest = std::string_view(url).substr(8);
    else
      return invalid_argument(fmt::format("\"{}\" is not an LDAP URL; {}", url, kHint));
    if (rest.empty() || rest.front() == '/' || rest.front() == ':')
      return invalid_argument(fmt::format("\"{}\" names no host; {}", url, kHint));
    std::size_t slash = rest.find('/');
    if (slash != std::string_view::npos && slash + 1 != rest.size())
      return invalid_argument(fmt::format(
          "\"{}\" has a path; give the base DNs in user_base and groups.base instead", url));
  }
  if (count == 0) return invalid_argument(fmt::format("is empty; {}", kHint));
  return ok_status();
}

bool mixes_schemes(std::string_view urls) {
  std::string l = lower(urls);
  return l.find("ldaps://") != std::string::npos;
}

std::string canonical_object_class(std::string_view name) {
  static const char* kKnown[] = {"groupOfNames", "groupOfUniqueNames", "posixGroup", "group"};
  for (const char* known : kKnown)
    if (lower(known) == lower(name)) return known;
  return "";
}

class ProviderLoader {
 public:
  ProviderLoader(YamlReader& r, std::set<std::string>& names) : r_(r), names_(names) {}

  bool load(const YAML::Node& n, const std::string& path, LdapProviderConfig& p) {
    if (!n.IsMap()) {
      r_.for_each_key(n, path, {}, [](auto, auto&, auto&) {});  // reports "must be a mapping"
      return false;
    }
    bool has_password = false, has_password_file = false, type_ok = false;
    r_.for_each_key(
        n, path,
        {"name", "type", "url", "start_tls", "ca_file", "connect_timeout", "timeout", "pool_size",
         "bind_dn", "bind_password", "bind_password_file", "user_base", "user_filter",
         "user_dn_template", "disabled_filter", "attributes", "groups", "recheck_interval"},
        [&](std::string_view key, const YAML::Node& v, const std::string& kp) {
          if (key == "name") {
            load_name(v, kp, p);
          } else if (key == "type") {
            type_ok = load_type(v, kp);
          } else if (key == "url") {
            if (auto s = r_.string(v, kp); s && r_.check(check_url(*s), kp)) p.url = *s;
          } else if (key == "start_tls") {
            if (auto b = r_.boolean(v, kp)) p.start_tls = *b;
          } else if (key == "ca_file") {
            if (auto s = r_.string(v, kp); s && check_readable(*s, kp, "the CA certificates (PEM)"))
              p.ca_file = *s;
          } else if (key == "connect_timeout" || key == "timeout") {
            if (auto s = r_.string(v, kp)) {
              auto t = parse_timeout(*s);
              if (r_.check(t.status(), kp)) (key == "timeout" ? p.timeout : p.connect_timeout) = *t;
            }
          } else if (key == "pool_size") {
            load_pool_size(v, kp, p);
          } else if (key == "bind_dn") {
            if (auto s = r_.string(v, kp)) p.bind_dn = *s;
          } else if (key == "bind_password") {
            has_password = true;
            if (auto s = r_.string(v, kp)) {
              if (s->empty())
                r_.report(kp, "is empty; k4ds never binds with an empty password (give the "
                              "service account's password, or remove bind_dn for anonymous "
                              "searches)");
              p.bind_password = *s;
            }
          } else if (key == "bind_password_file") {
            has_password_file = true;
            if (auto s = r_.string(v, kp)) read_password_file(*s, kp, p);
          } else if (key == "user_base") {
            if (auto s = r_.string(v, kp)) p.user_base = *s;
          } else if (key == "user_filter") {
            if (auto s = r_.string(v, kp);
                s && r_.check(check_ldap_filter(*s, {"username"}, "username"), kp))
              p.user_filter = *s;
          } else if (key == "user_dn_template") {
            if (auto s = r_.string(v, kp)) {
              if (s->find("{username}") == std::string::npos)
                r_.report(kp, fmt::format("\"{}\" has no {{username}}; write one such as "
                                          "uid={{username}},ou=people,dc=example,dc=org",
                                          *s));
              else
                p.user_dn_template = *s;
            }
          } else if (key == "disabled_filter") {
            if (auto s = r_.string(v, kp); s && r_.check(check_ldap_filter(*s, {}, ""), kp))
              p.disabled_filter = *s;
          } else if (key == "attributes") {
            load_attributes(v, kp, p.attributes);
          } else if (key == "groups") {
            load_groups(v, kp, p.groups);
          } else if (key == "recheck_interval") {
            if (auto s = r_.string(v, kp)) {
              auto d = parse_duration(*s);
              if (r_.check(d.status(), kp)) p.recheck_interval = *d;
            }
          }
        });
    bool complete = !p.name.empty() && type_ok && !p.url.empty();
    if (!n["name"]) r_.report(child_path(path, "name"), "is missing; every identity provider needs a name, such as corp");
    if (!n["type"]) r_.report(child_path(path, "type"), "is missing; use type: ldap");
    if (!n["url"]) r_.report(child_path(path, "url"), "is missing; use one such as ldaps://ldap.example.org");
    if (p.start_tls && mixes_schemes(p.url)) {
      r_.report(child_path(path, "start_tls"),
                "is true with an ldaps:// URL, which is TLS already; use ldap:// with start_tls, "
                "or remove start_tls");
      complete = false;
    }
    if (has_password && has_password_file) {
      r_.report(child_path(path, "bind_password"),
                "and bind_password_file are both given; keep one (the file is safer)");
      complete = false;
    }
    if (!p.bind_dn.empty() && !has_password && !has_password_file) {
      r_.report(child_path(path, "bind_dn"),
                "has no password; add bind_password_file (or bind_password)");
      complete = false;
    }
    if (p.bind_dn.empty() && (has_password || has_password_file)) {
      r_.report(child_path(path, "bind_password"), "is given without bind_dn; add the service account's DN");
      complete = false;
    }
    if (!p.direct_bind() && p.user_base.empty()) {
      r_.report(child_path(path, "user_base"),
                "is missing; give where users are searched (such as ou=people,dc=example,dc=org), "
                "or a user_dn_template to bind directly");
      complete = false;
    }
    if (p.groups.from == LdapGroupSource::search && p.groups.base.empty()) {
      r_.report(child_path(path, "groups.base"),
                "is missing; groups.from: search needs where to search, such as "
                "ou=groups,dc=example,dc=org");
      complete = false;
    }
    if (p.groups.nested == LdapNestedGroups::search && p.groups.base.empty()) {
      r_.report(child_path(path, "groups.nested"),
                "search needs groups.base, where k4ds looks for the groups that contain groups");
      complete = false;
    }
    if (p.groups.nested == LdapNestedGroups::in_chain && p.groups.from != LdapGroupSource::search) {
      r_.report(child_path(path, "groups.nested"),
                "in_chain works with groups.from: search (it is a search filter); set it");
      complete = false;
    }
    return complete && valid_;
  }

 private:
  void load_name(const YAML::Node& v, const std::string& kp, LdapProviderConfig& p) {
    auto s = r_.string(v, kp);
    if (!s || !r_.check(validate_catalog_name("identity provider", *s), kp)) return invalid();
    if (*s == kBuiltinProvider || *s == "builtin") {
      r_.report(kp, fmt::format("\"{}\" is the name of the built-in accounts; choose another, "
                                "such as corp",
                                *s));
      return invalid();
    }
    if (!names_.insert(*s).second) {
      r_.report(kp, fmt::format("duplicate identity provider \"{}\"; each name may appear once", *s));
      return invalid();
    }
    p.name = *s;
  }

  bool load_type(const YAML::Node& v, const std::string& kp) {
    auto s = r_.string(v, kp);
    if (!s) return false;
    if (*s == "ldap") return true;
    if (*s == "builtin" || *s == "local")
      r_.report(kp, "the built-in accounts are always on; list only LDAP providers here");
    else
      r_.report(kp, fmt::format("\"{}\" is not a provider type; use ldap (it also speaks to "
                                "Active Directory)",
                                *s));
    return false;
  }

  void load_pool_size(const YAML::Node& v, const std::string& kp, LdapProviderConfig& p) {
    auto s = r_.string(v, kp);
    if (!s) return invalid();
    bool digits = !s->empty() && s->size() <= 3 &&
                  s->find_first_not_of("0123456789") == std::string::npos;
    int n = digits ? std::stoi(*s) : 0;
    if (n < 1 || n > 64) {
      r_.report(kp, fmt::format("must be a whole number from 1 to 64, not \"{}\"", *s));
      return invalid();
    }
    p.pool_size = n;
  }

  bool check_readable(const std::string& file, const std::string& kp, std::string_view what) {
    if (file.empty() || file.front() != '/') {
      r_.report(kp, fmt::format("\"{}\" is not an absolute path to {}", file, what));
      invalid();
      return false;
    }
    if (::access(file.c_str(), R_OK) != 0) {
      r_.report(kp, fmt::format("cannot read {} ({}); check the path and that k4ds may read it",
                                file, what));
      invalid();
      return false;
    }
    return true;
  }

  void read_password_file(const std::string& file, const std::string& kp, LdapProviderConfig& p) {
    if (!check_readable(file, kp, "the service account's password")) return;
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    std::string password = text.str();
    while (!password.empty() && (password.back() == '\n' || password.back() == '\r'))
      password.pop_back();
    if (password.empty()) {
      r_.report(kp, fmt::format("{} is empty; k4ds never binds with an empty password", file));
      return invalid();
    }
    p.bind_password = std::move(password);
  }

  void load_attributes(const YAML::Node& v, const std::string& path, LdapAttributes& a) {
    r_.for_each_key(v, path,
                    {"username", "display_name", "email", "uid_number", "gid_number", "member_of"},
                    [&](std::string_view key, const YAML::Node& n, const std::string& kp) {
                      auto s = r_.string(n, kp);
                      if (!s) return invalid();
                      if (s->empty() && (key == "username" || key == "member_of")) {
                        r_.report(kp, "is empty; name an attribute, such as uid");
                        return invalid();
                      }
                      if (s->find_first_of(" (),=*\\") != std::string::npos) {
                        r_.report(kp, fmt::format("\"{}\" is not an attribute name", *s));
                        return invalid();
                      }
                      if (key == "username") a.username = *s;
                      else if (key == "display_name") a.display_name = *s;
                      else if (key == "email") a.email = *s;
                      else if (key == "uid_number") a.uid_number = *s;
                      else if (key == "gid_number") a.gid_number = *s;
                      else if (key == "member_of") a.member_of = *s;
                    });
  }

  void load_groups(const YAML::Node& v, const std::string& path, LdapGroups& g) {
    r_.for_each_key(
        v, path, {"from", "base", "object_classes", "name_attribute", "nested"},
        [&](std::string_view key, const YAML::Node& n, const std::string& kp) {
          if (key == "from") {
            auto s = r_.string(n, kp);
            if (!s) return invalid();
            if (*s == "none") g.from = LdapGroupSource::none;
            else if (*s == "member_of") g.from = LdapGroupSource::member_of;
            else if (*s == "search") g.from = LdapGroupSource::search;
            else {
              r_.report(kp, fmt::format("\"{}\" is not a group source; use none, member_of or "
                                        "search",
                                        *s));
              invalid();
            }
          } else if (key == "base") {
            if (auto s = r_.string(n, kp)) g.base = *s;
          } else if (key == "object_classes") {
            auto list = r_.strings(n, kp);
            if (!list) return invalid();
            g.object_classes.clear();
            for (const auto& oc : *list) {
              std::string known = canonical_object_class(oc);
              if (known.empty()) {
                r_.report(kp, fmt::format("\"{}\" is not a group kind k4ds knows; use "
                                          "groupOfNames, groupOfUniqueNames, posixGroup or group "
                                          "(Active Directory)",
                                          oc));
                invalid();
              } else {
                g.object_classes.push_back(known);
              }
            }
            if (list->empty()) {
              r_.report(kp, "is empty; name at least one, such as groupOfNames");
              invalid();
            }
          } else if (key == "name_attribute") {
            if (auto s = r_.string(n, kp); s && !s->empty()) g.name_attribute = *s;
          } else if (key == "nested") {
            auto s = r_.string(n, kp);
            if (!s) return invalid();
            if (*s == "off" || *s == "false") g.nested = LdapNestedGroups::off;
            else if (*s == "in_chain") g.nested = LdapNestedGroups::in_chain;
            else if (*s == "search") g.nested = LdapNestedGroups::search;
            else {
              r_.report(kp, fmt::format("\"{}\" is not a way to follow nested groups; use off, "
                                        "in_chain (Active Directory) or search",
                                        *s));
              invalid();
            }
          }
        });
  }

  void invalid() { valid_ = false; }

  YamlReader& r_;
  std::set<std::string>& names_;
  bool valid_ = true;
};

}  // namespace

Status check_ldap_filter(std::string_view filter, std::initializer_list<std::string_view> placeholders,
                         std::string_view required) {
  if (filter.size() < 3 || filter.front() != '(' || filter.back() != ')')
    return invalid_argument(fmt::format(
        "\"{}\" is not an LDAP filter; write one in parentheses, such as {}", filter,
        required.empty() ? "(employeeType=disabled)" : "(uid={username})"));
  int depth = 0;
  for (std::size_t i = 0; i < filter.size(); ++i) {
    char c = filter[i];
    if (c == '(') ++depth;
    if (c == ')' && --depth < 0) break;
    if (depth == 0 && i + 1 != filter.size())
      return invalid_argument(fmt::format(
          "\"{}\" has text after its closing parenthesis; combine filters with (&(…)(…))", filter));
    if (c == '{') {
      std::size_t close = filter.find('}', i);
      std::string_view name = filter.substr(i + 1, close == std::string_view::npos ? 0 : close - i - 1);
      bool known = std::find(placeholders.begin(), placeholders.end(), name) != placeholders.end();
      if (close == std::string_view::npos || !known)
        return invalid_argument(fmt::format(
            "\"{}\" has an unknown placeholder at \"{}\"{}", filter, filter.substr(i, 12),
            placeholders.size() ? "; the only one is {username}" : "; this filter takes none"));
    }
  }
  if (depth != 0)
    return invalid_argument(fmt::format("\"{}\" has unbalanced parentheses", filter));
  if (!required.empty() && filter.find("{" + std::string(required) + "}") == std::string_view::npos)
    return invalid_argument(fmt::format(
        "\"{}\" has no {{{}}}; write one such as (&(objectClass=inetOrgPerson)(uid={{{}}}))",
        filter, required, required));
  return ok_status();
}

void load_identity_providers(YamlReader& r, const YAML::Node& node, const std::string& path,
                             std::vector<LdapProviderConfig>& out) {
  out.clear();
  std::set<std::string> names;
  r.for_each_item(node, path, [&](const YAML::Node& n, const std::string& p) {
    LdapProviderConfig provider;
    if (ProviderLoader(r, names).load(n, p, provider)) out.push_back(std::move(provider));
  });
}

}  // namespace k4ds::config
