// Authenticator, directory part: logins through DirectoryProviders, provisioning on the first
// login, syncing a directory's groups, and ending a user's credentials. See authenticator.h.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <set>

#include "auth/authenticator.h"
#include "common/logging.h"

namespace k4ds {
namespace {

std::shared_ptr<spdlog::logger> log() {
  static auto logger = component_logger("directory");
  return logger;
}

// Why a directory account may not use a name another provider already owns.
Status name_taken(std::string_view username, std::string_view owner, std::string_view directory) {
  std::string owner_text = owner == kBuiltinProvider
                               ? "a built-in k4ds account"
                               : fmt::format("an account of the identity provider {}", owner);
  return permission_denied(fmt::format(
      "the user name {} belongs to {}, so the account of the same name in the directory {} "
      "cannot log in under it; ask your admin to rename one of them",
      username, owner_text, directory));
}

// Copies what the directory says onto the stored user; true if anything changed.
bool apply_account(User& user, const DirectoryAccount& account) {
  std::string display = account.display_name.empty() ? user.name : account.display_name;
  bool changed = user.display_name != display || user.email != account.email ||
                 user.uid_number != account.uid_number || user.gid_number != account.gid_number;
  user.display_name = std::move(display);
  user.email = account.email;
  user.uid_number = account.uid_number;
  user.gid_number = account.gid_number;
  return changed;
}

// Makes `user`'s membership of `provider`'s groups match `groups`. Groups of that name that
// are local (or another provider's) are left alone: an admin's group never changes because a
// directory has one with the same name.
Status sync_groups(Tx& tx, const std::string& provider, const std::string& user,
                   const std::vector<std::string>& groups, int64_t now_ms) {
  Result<std::vector<Group>> all = tx.list_groups();
  if (!all) return all.status();
  std::set<std::string> wanted(groups.begin(), groups.end());
  for (Group& group : *all) {
    bool member = std::find(group.members.begin(), group.members.end(), user) != group.members.end();
    if (group.provider == provider) {
      bool want = wanted.erase(group.name) > 0;
      if (want == member) continue;
      if (want) group.members.push_back(user);
      else std::erase(group.members, user);
      group.updated_at = now_ms;
      if (auto updated = tx.update_group(group); !updated) return updated.status();
    } else if (wanted.erase(group.name) > 0) {
      log()->warn("directory {} puts {} in group {}, but k4ds has a {} group of that name; it is "
                  "left alone and {} is not added to it",
                  provider, user, group.name,
                  group.provider.empty() ? std::string("local") : "provider " + group.provider + "'s",
                  user);
    }
  }
  for (const std::string& name : wanted) {
    Group group{.name = name,
                .description = "from the directory " + provider,
                .members = {user},
                .provider = provider,
                .created_at = now_ms,
                .updated_at = now_ms};
    if (auto created = tx.create_group(group); !created) return created.status();
  }
  return ok_status();
}

}  // namespace

DirectoryProvider* Authenticator::find_directory(std::string_view name) const {
  for (const auto& provider : options_.directories)
    if (provider->name() == name) return provider.get();
  return nullptr;
}

Result<LoginResult> Authenticator::login_with_directory(const std::optional<User>& known,
                                                        const std::string& username,
                                                        std::string_view password,
                                                        std::string_view client_address) {
  auto wrong = [&]() -> Status {
    limiter_.record_failure(username, client_address);
    return unauthenticated(std::string(kWrongCredentials));
  };
  if (known) {
    DirectoryProvider* provider = find_directory(known->provider);
    if (provider == nullptr) {
      log()->warn("{} belongs to the identity provider {}, which is not configured; they cannot "
                  "log in until it is added to identity_providers again",
                  username, known->provider);
      hasher_.verify_dummy(password);
      return wrong();
    }
    Result<DirectoryAccount> account = provider->authenticate(username, password);
    if (account) return finish_directory_login(*provider, *account, username, client_address);
    switch (account.status().code()) {
      case Code::not_found:
        log()->info("{} is no longer in the directory {}; login refused", username, provider->name());
        return wrong();
      case Code::unauthenticated: {
        Status refused = wrong();
        K4DS_RETURN_IF_ERROR(collision_check(username, password, provider->name()));
        return refused;
      }
      default:
        return account.status();  // unavailable, or permission_denied with its reason
    }
  }

  // A name the store does not know: every directory is asked, so that a person whose password
  // two directories accept is noticed on the first login instead of going to whichever
  // answered first.
  struct Accepted {
    DirectoryProvider* provider;
    Result<DirectoryAccount> account;  // ok, or permission_denied (disabled, unusable name)
  };
  std::vector<Accepted> accepted;
  std::vector<Status> trouble;
  bool refused = false;  // some directory knows the name and refused the password
  for (const auto& provider : options_.directories) {
    Result<DirectoryAccount> account = provider->authenticate(username, password);
    Code code = account.status().code();
    if (code == Code::ok || code == Code::permission_denied)
      accepted.push_back(Accepted{provider.get(), std::move(account)});
    else if (code == Code::unauthenticated) refused = true;
    else if (code != Code::not_found) trouble.push_back(account.status());
  }
  if (accepted.empty()) {
    if (refused) return wrong();
    if (!trouble.empty()) return trouble.front();
    hasher_.verify_dummy(password);
    return wrong();
  }
  if (accepted.size() > 1) {
    std::string names;
    for (const Accepted& a : accepted) names += (names.empty() ? "" : " and ") + a.provider->name();
    return permission_denied(fmt::format(
        "the user name {} exists in the directories {}; k4ds cannot tell which account is "
        "yours, so it lets neither log in under that name; ask your admin",
        username, names));
  }
  Accepted& only = accepted.front();
  if (!only.account) return only.account.status();
  if (!trouble.empty()) {
    // Another directory might hold the same name; provisioning now could hand it to the wrong
    // person. Only a first login waits for that.
    return unavailable(fmt::format("{}; k4ds must check it before your first login, because "
                                   "it may have a user named {} too",
                                   trouble.front().message(), username));
  }
  return finish_directory_login(*only.provider, *only.account, username, client_address);
}

Result<LoginResult> Authenticator::finish_directory_login(const DirectoryProvider& provider,
                                                          const DirectoryAccount& account,
                                                          const std::string& username,
                                                          std::string_view client_address) {
  if (account.name != username) {
    return permission_denied(fmt::format(
        "you logged in as {}, but the directory {} names this account {}; log in as {}",
        username, provider.name(), account.name, account.name));
  }
  limiter_.record_success(username);
  int64_t now_ms = to_unix_ms(services_.clock->now());
  User user;
  std::string owner;  // set when the name belongs to another provider
  bool created = false;
  Status s = store_.write([&](Tx& tx) -> Status {
    Result<User> existing = tx.get_user(username);
    if (existing) {
      if (existing->provider != provider.name()) {
        owner = existing->provider;
        return ok_status();
      }
      if (existing->disabled)
        return permission_denied("the account " + username + " is disabled in k4ds; ask your admin");
      user = std::move(existing).value();
      if (apply_account(user, account)) {
        user.updated_at = now_ms;
        Result<User> updated = tx.update_user(user);
        if (!updated) return updated.status();
        user = std::move(updated).value();
      }
    } else if (existing.status().code() == Code::not_found) {
      User fresh{.name = username, .provider = provider.name(), .created_at = now_ms,
                 .updated_at = now_ms};
      apply_account(fresh, account);
      Result<User> stored = tx.create_user(fresh);
      if (!stored) return stored.status();
      user = std::move(stored).value();
      created = true;
      // Their home volume exists from the first login (its files appear at the first launch).
      Result<Volume> home = tx.create_volume(Volume{.id = random_uuid(*services_.random), .owner = username,
                                                    .name = "home", .created_at = now_ms});
      if (!home) return home.status();
    } else {
      return existing.status();
    }
    return sync_groups(tx, provider.name(), username, account.groups, now_ms);
  });
  if (!s.ok()) return s;
  if (!owner.empty()) return name_taken(username, owner, provider.name());
  if (created) {
    log()->info("provisioned {} from the directory {} ({}), groups: {}", username, provider.name(),
                account.dn, account.groups.empty() ? "(none)" : fmt::format("{}", fmt::join(account.groups, ", ")));
  }
  return start_session(std::move(user), client_address, std::nullopt);
}

Status Authenticator::collision_check(const std::string& username, std::string_view password,
                                      std::string_view owner_provider) {
  for (const auto& provider : options_.directories) {
    if (provider->name() == owner_provider) continue;
    Result<DirectoryAccount> account = provider->authenticate(username, password);
    Code code = account.status().code();
    if (code == Code::ok || code == Code::permission_denied)
      return name_taken(username, owner_provider, provider->name());
  }
  return ok_status();
}

Status Authenticator::refresh_directory_user(const DirectoryProvider& provider,
                                             const DirectoryAccount& account) {
  int64_t now_ms = to_unix_ms(services_.clock->now());
  return store_.write([&](Tx& tx) -> Status {
    Result<User> user = tx.get_user(account.name);
    if (!user) return user.status();
    if (user->provider != provider.name())
      return failed_precondition(account.name + " is not a user of the directory " + provider.name());
    if (apply_account(*user, account)) {
      user->updated_at = now_ms;
      if (auto updated = tx.update_user(*user); !updated) return updated.status();
    }
    return sync_groups(tx, provider.name(), account.name, account.groups, now_ms);
  });
}

Result<int> Authenticator::revoke_credentials(std::string_view user) {
  int revoked = 0;
  Status s = store_.write([&](Tx& tx) -> Status {
    Result<int> sessions = tx.delete_sessions_of_user(user);
    if (!sessions) return sessions.status();
    Result<std::vector<ApiToken>> tokens = tx.list_tokens(user);
    if (!tokens) return tokens.status();
    for (const ApiToken& token : *tokens) K4DS_RETURN_IF_ERROR(tx.delete_token(token.id));
    revoked = *sessions + static_cast<int>(tokens->size());
    return ok_status();
  });
  if (!s.ok()) return s;
  return revoked;
}

}  // namespace k4ds
