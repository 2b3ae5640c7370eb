#include "directory/ldap_directory.h"

#include <fmt/format.h>

#include <algorithm>
#include <csignal>
#include <mutex>
#include <set>

#include "common/logging.h"
#include "directory/ldap_text.h"
#include "model/validation.h"

namespace k4ds {
namespace {

using ldap::Connection;
using ldap::Entry;
using ldap::Scope;
using ldap::SearchResult;

constexpr int kMaxGroups = 1000;
constexpr int kMaxNesting = 8;

std::shared_ptr<spdlog::logger> log() {
  static auto logger = component_logger("directory");
  return logger;
}

// libldap and GnuTLS write to sockets with plain write(); a directory that drops the
// connection must cost one failed login, not the whole process.
void ignore_sigpipe() {
  static std::once_flag once;
  std::call_once(once, [] { std::signal(SIGPIPE, SIG_IGN); });
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

int64_t posix_id(const std::string& text) {
  if (text.empty() || text.size() > 10 || text.find_first_not_of("0123456789") != std::string::npos)
    return -1;
  int64_t id = std::stoll(text);
  // 0 is root: a directory that says so must not decide who runs as root here.
  return id > 0 && id <= 0x7fffffff ? id : -1;
}

}  // namespace

LdapDirectory::LdapDirectory(LdapProviderConfig config) : config_(std::move(config)) {
  ignore_sigpipe();
  ldap::ConnectionSettings settings{.url = config_.url,
                                    .start_tls = config_.start_tls,
                                    .ca_file = config_.ca_file,
                                    .connect_timeout = config_.connect_timeout,
                                    .timeout = config_.timeout};
  std::optional<ldap::Identity> service;
  if (!config_.bind_dn.empty()) service = ldap::Identity{config_.bind_dn, config_.bind_password};
  auto quiet = std::make_shared<ldap::QuietState>();
  service_ = std::make_unique<ldap::Pool>(settings, config_.pool_size, std::move(service), quiet);
  binds_ = std::make_unique<ldap::Pool>(settings, config_.pool_size, std::nullopt, quiet);
}

LdapDirectory::~LdapDirectory() = default;

std::string LdapDirectory::describe() const {
  return fmt::format("the directory {} at {}", config_.name, config_.url);
}

bool LdapDirectory::reads_as_service() const {
  return !config_.direct_bind() || !config_.bind_dn.empty();
}

std::vector<std::string> LdapDirectory::entry_attributes() const {
  const LdapAttributes& a = config_.attributes;
  std::vector<std::string> out;
  for (const std::string* name : {&a.username, &a.display_name, &a.email, &a.uid_number, &a.gid_number})
    if (!name->empty()) out.push_back(*name);
  if (config_.groups.from == LdapGroupSource::member_of) out.push_back(a.member_of);
  return out;
}

Result<Entry> LdapDirectory::find_entry(std::string_view username) {
  return service_->with<Entry>([&](Connection& conn) { return find_entry_on(conn, username); });
}

Result<Entry> LdapDirectory::find_entry_on(Connection& conn, std::string_view username) {
  auto none = [&] {
    return not_found(fmt::format("the directory {} has no user {}", config_.name, username));
  };
  if (config_.direct_bind()) {
    std::string dn = ldap::fill_username(config_.user_dn_template, ldap::escape_dn_value(username));
    Result<SearchResult> found = conn.search(dn, Scope::base, "(objectClass=*)", entry_attributes(), 1);
    if (!found) return found.status().code() == Code::not_found ? none() : found.status();
    if (found->entries.empty()) return none();
    return std::move(found->entries.front());
  }
  std::string filter = ldap::fill_username(config_.user_filter, ldap::escape_filter_value(username));
  Result<SearchResult> found = conn.search(config_.user_base, Scope::subtree, filter, entry_attributes(), 2);
  if (!found) {
    if (found.status().code() != Code::not_found) return found.status();
    return unavailable(fmt::format("the user_base {} does not exist in the directory at {}; ask "
                                   "your admin to check user_base",
                                   config_.user_base, config_.url));
  }
  if (found->entries.empty()) return none();
  if (found->entries.size() > 1 || found->truncated) {
    log()->error("directory {}: user_filter {} matches more than one entry for {}", config_.name,
                 config_.user_filter, username);
    return permission_denied(fmt::format(
        "the directory {} has more than one entry for {}, so k4ds cannot tell which is yours; "
        "ask your admin to make user_filter match one entry",
        config_.name, username));
  }
  return std::move(found->entries.front());
}

Result<std::vector<std::string>> LdapDirectory::read_groups(Connection& conn, const Entry& entry,
                                                            std::string_view uid) {
  const LdapGroups& g = config_.groups;
  std::vector<std::pair<std::string, std::string>> found;  // dn, directory name
  auto search_groups = [&](const std::string& filter) -> Result<SearchResult> {
    Result<SearchResult> r = conn.search(g.base, Scope::subtree, filter, {g.name_attribute}, kMaxGroups);
    if (!r && r.status().code() == Code::not_found)
      return unavailable(fmt::format("groups.base {} does not exist in the directory at {}; ask "
                                     "your admin to check groups.base",
                                     g.base, config_.url));
    return r;
  };
  if (g.from == LdapGroupSource::none) return std::vector<std::string>{};
  if (g.from == LdapGroupSource::member_of) {
    for (const std::string& dn : entry.values(config_.attributes.member_of)) {
      std::optional<std::string> name = ldap::first_rdn_value(dn, g.name_attribute);
      if (!name) {
        // The RDN is not the name attribute (e.g. AD groups named by sAMAccountName): ask.
        Result<SearchResult> r = conn.search(dn, Scope::base, "(objectClass=*)", {g.name_attribute}, 1);
        if (!r && r.status().code() != Code::not_found) return r.status();
        if (r && !r->entries.empty()) name = r->entries.front().first(g.name_attribute);
      }
      if (name && !name->empty()) found.emplace_back(dn, *name);
    }
  } else {
    Result<SearchResult> r = search_groups(ldap::group_filter(g, entry.dn, uid));
    if (!r) return r.status();
    for (const Entry& e : r->entries) found.emplace_back(e.dn, e.first(g.name_attribute));
  }
  if (g.nested == LdapNestedGroups::search && !g.base.empty()) {
    std::set<std::string> seen;
    std::vector<std::string> frontier;
    for (const auto& [dn, name] : found)
      if (seen.insert(lower(dn)).second) frontier.push_back(dn);
    for (int depth = 0; depth < kMaxNesting && !frontier.empty() && found.size() < kMaxGroups; ++depth) {
      std::string filter = ldap::parent_groups_filter(g, frontier);
      if (filter.empty()) break;
      Result<SearchResult> r = search_groups(filter);
      if (!r) return r.status();
      frontier.clear();
      for (const Entry& e : r->entries) {
        if (!seen.insert(lower(e.dn)).second) continue;  // cycles end here
        found.emplace_back(e.dn, e.first(g.name_attribute));
        frontier.push_back(e.dn);
      }
    }
  }
  std::vector<std::string> names;
  for (const auto& [dn, name] : found) {
    std::string k4ds_name = ldap::k4ds_group_name(name);
    if (k4ds_name.empty()) {
      log()->warn("directory {}: group {} has a name k4ds cannot use as a group name; skipped",
                  config_.name, dn);
      continue;
    }
    names.push_back(std::move(k4ds_name));
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

Result<DirectoryAccount> LdapDirectory::to_account(const Entry& entry, std::string_view username,
                                                   std::vector<std::string> groups, bool disabled) {
  const LdapAttributes& a = config_.attributes;
  const std::vector<std::string>& names = entry.values(a.username);
  if (names.empty()) {
    return permission_denied(fmt::format(
        "your entry in the directory {} has no {} attribute, which k4ds uses as the user name; "
        "ask your admin to check attributes.username",
        config_.name, a.username));
  }
  // A multi-valued username attribute (uid often is): the value that was logged in with.
  std::string chosen = names.front();
  for (const std::string& n : names)
    if (lower(n) == username) chosen = n;
  std::string name = lower(chosen);
  if (Status valid = validate_user_name(name); !valid.ok()) {
    return permission_denied(fmt::format(
        "your directory user name \"{}\" cannot be a k4ds user name ({}); ask your admin to map "
        "attributes.username to an attribute k4ds can use",
        chosen, valid.message()));
  }
  DirectoryAccount account{.name = std::move(name),
                           .dn = entry.dn,
                           .display_name = a.display_name.empty() ? "" : entry.first(a.display_name),
                           .email = a.email.empty() ? "" : entry.first(a.email),
                           .uid_number = a.uid_number.empty() ? -1 : posix_id(entry.first(a.uid_number)),
                           .gid_number = a.gid_number.empty() ? -1 : posix_id(entry.first(a.gid_number)),
                           .groups = std::move(groups),
                           .disabled = disabled};
  return account;
}

Result<DirectoryAccount> LdapDirectory::read_account(Connection& conn, const std::string& dn,
                                                     std::string_view username) {
  Result<SearchResult> read = conn.search(dn, Scope::base, "(objectClass=*)", entry_attributes(), 1);
  if (!read && read.status().code() == Code::not_found)
    return not_found(fmt::format("the directory {} has no user {}", config_.name, username));
  if (!read) return read.status();
  if (read->entries.empty())
    return not_found(fmt::format("the directory {} has no user {}", config_.name, username));
  const Entry& entry = read->entries.front();
  bool disabled = false;
  if (!config_.disabled_filter.empty()) {
    // The directory evaluates the filter, so AD's bit-mask rule works like any other.
    Result<SearchResult> match = conn.search(dn, Scope::base, config_.disabled_filter, {"1.1"}, 1);
    if (!match) return match.status();
    disabled = !match->entries.empty();
  }
  std::string uid = entry.first(config_.attributes.username);
  for (const std::string& n : entry.values(config_.attributes.username))
    if (lower(n) == username) uid = n;
  Result<std::vector<std::string>> groups = read_groups(conn, entry, uid);
  if (!groups) return groups.status();
  return to_account(entry, username, std::move(groups).value(), disabled);
}

Result<DirectoryAccount> LdapDirectory::authenticate(std::string_view username,
                                                     std::string_view password) {
  if (password.empty()) return unauthenticated("an empty password is never sent to the directory");
  std::string dn;
  if (config_.direct_bind()) {
    dn = ldap::fill_username(config_.user_dn_template, ldap::escape_dn_value(username));
  } else {
    Result<Entry> entry = find_entry(username);
    if (!entry) return entry.status();
    dn = entry->dn;
  }
  Result<DirectoryAccount> account = unavailable("not read");
  if (reads_as_service()) {
    Status bound = binds_->run([&](Connection& conn) { return conn.bind(dn, password); });
    if (!bound.ok()) return bound;
    account = service_->with<DirectoryAccount>(
        [&](Connection& conn) { return read_account(conn, dn, username); });
  } else {
    // No service account: the user reads their own entry and groups.
    account = binds_->with<DirectoryAccount>([&](Connection& conn) -> Result<DirectoryAccount> {
      K4DS_RETURN_IF_ERROR(conn.bind(dn, password));
      return read_account(conn, dn, username);
    });
  }
  if (!account) return account.status();
  if (account->disabled) {
    return permission_denied(fmt::format(
        "the account {} is disabled in the directory {}; ask your admin", account->name, config_.name));
  }
  return account;
}

Result<DirectoryAccount> LdapDirectory::lookup(std::string_view username) {
  if (!reads_as_service()) {
    return failed_precondition(fmt::format(
        "the directory {} has no bind_dn, so k4ds cannot look users up between logins; add a "
        "service account to re-check signed-in users",
        config_.name));
  }
  return service_->with<DirectoryAccount>([&](Connection& conn) -> Result<DirectoryAccount> {
    Result<Entry> entry = find_entry_on(conn, username);
    if (!entry) return entry.status();
    return read_account(conn, entry->dn, username);
  });
}

std::vector<std::shared_ptr<DirectoryProvider>> make_directory_providers(
    const std::vector<LdapProviderConfig>& configs) {
  std::vector<std::shared_ptr<DirectoryProvider>> out;
  for (const auto& config : configs) out.push_back(std::make_shared<LdapDirectory>(config));
  return out;
}

}  // namespace k4ds
