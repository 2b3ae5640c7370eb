// WorkspaceGate: who may reach a workspace host, decided from the store (blocking; runs on the
// worker pool) and remembered per credential and workspace until something relevant changes.
//
// Contract
// - Credentials: the workspace host's own cookie (k4ds_ws, created by the login code exchange
//   and bound to that host: its stored hash covers the host, so a value replayed on another
//   host matches nothing) or a personal API token (Authorization: Bearer k4ds_…).
// - check() answers allowed (with the user and groups to pass on), unauthenticated (no valid
//   credential: redirect or 401) or denied (a 403 page saying whose workspace it is).
// - Verdicts are cached by (credential hash, workspace id); invalidate() drops them all (the
//   gateway calls it on every change to users, groups, shares, sessions, tokens, workspaces).
// - The login code exchange: issue_code() (portal side, after login) gives a one-time code
//   bound to one host, valid for kCodeLifetime; redeem_code() (workspace side) consumes it
//   whatever the outcome, so a code never works twice.
//
// Usage:
//   WorkspaceGate gate(store, auth, services);
//   Credential cred = Credential::from_cookie(host, cookie_value);
//   GateVerdict v = gate.check(cred, route);           // on a worker thread
//   if (v.kind == GateVerdict::Kind::allowed) relay_as(v.user, v.groups);
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "auth/authenticator.h"
#include "auth/policy.h"
#include "common/generation_cache.h"
#include "common/services.h"
#include "gateway/route_table.h"
#include "store/store.h"

namespace k4ds {

inline constexpr const char* kWorkspaceCookie = "k4ds_ws";
inline constexpr const char* kPortalCookie = "k4ds_session";
inline constexpr std::chrono::seconds kCodeLifetime{60};

struct Credential {
  enum class Kind { none, workspace_cookie, token };
  Kind kind = Kind::none;
  std::string secret;  // the cookie value or the token; never logged
  std::string host;    // the workspace host the cookie belongs to
  // The cache key: sha256 of the host-bound cookie or of the token.
  std::string key() const;
};

struct GateVerdict {
  enum class Kind { allowed, unauthenticated, denied };
  Kind kind = Kind::unauthenticated;
  std::string user;
  std::vector<std::string> groups;
  std::string message;  // for unauthenticated/denied: what happened and what to do
};

class WorkspaceGate {
 public:
  WorkspaceGate(Store& store, Authenticator& auth, Services services);

  // Blocking on a cache miss.
  GateVerdict check(const Credential& credential, const Route& route);
  // Who the credential belongs to, without any workspace (blocking, uncached): allowed with
  // the user's name, or unauthenticated. Used for hosts that name no workspace.
  GateVerdict identify(const Credential& credential);
  // The cached verdict, if any (cheap; safe on I/O threads).
  std::optional<GateVerdict> cached(const Credential& credential, const Route& route);
  void invalidate();
  // Moves on every invalidate(): a verdict obtained at generation g may be reused while
  // generation() == g (the gateway remembers one per client connection this way).
  uint64_t generation() const { return cache_.generation(); }

  // Portal side: a one-time code that lets `user` sign in on `host`.
  std::string issue_code(const std::string& user, const std::string& host);
  // Workspace side: consumes the code; on success returns a new host-bound cookie value.
  Result<std::string> redeem_code(const std::string& code, const std::string& host,
                                  const std::string& client_address);

 private:
  struct Code {
    std::string user;
    std::string host;
    TimePoint expires;
  };

  GateVerdict decide(const Credential& credential, const Route& route);

  Store& store_;
  Authenticator& auth_;
  Services services_;
  GenerationCache<GateVerdict> cache_{200'000};
  std::mutex codes_mutex_;
  std::unordered_map<std::string, Code> codes_;  // key: sha256 of the code
};

}  // namespace k4ds
