#include "gateway/workspace_gate.h"

#include <algorithm>

namespace k4ds {
namespace {

constexpr std::size_t kMaxPendingCodes = 100'000;

std::string host_bound_hash(const std::string& host, const std::string& secret) {
  return sha256_hex(host + "\n" + secret);
}

}  // namespace

std::string Credential::key() const {
  switch (kind) {
    case Kind::workspace_cookie: return "c:" + host_bound_hash(host, secret);
    case Kind::token: return "t:" + sha256_hex(secret);
    case Kind::none: return "";
  }
  return "";
}

WorkspaceGate::WorkspaceGate(Store& store, Authenticator& auth, Services services)
    : store_(store), auth_(auth), services_(std::move(services)) {}

void WorkspaceGate::invalidate() { cache_.invalidate_all(); }

std::optional<GateVerdict> WorkspaceGate::cached(const Credential& credential, const Route& route) {
  if (credential.kind == Credential::Kind::none) return std::nullopt;
  return cache_.get(credential.key(), route.workspace_id);
}

GateVerdict WorkspaceGate::check(const Credential& credential, const Route& route) {
  if (auto hit = cached(credential, route)) return *hit;
  const uint64_t generation = cache_.generation();
  GateVerdict verdict = decide(credential, route);
  // put() keeps it only if no change arrived while we decided.
  if (credential.kind != Credential::Kind::none) {
    cache_.put(credential.key(), route.workspace_id, verdict, generation);
  }
  return verdict;
}

namespace {

Result<Principal> principal_of(Authenticator& auth, const Credential& credential) {
  switch (credential.kind) {
    case Credential::Kind::workspace_cookie:
      return auth.authenticate_session_hash(host_bound_hash(credential.host, credential.secret));
    case Credential::Kind::token:
      return auth.authenticate_token(credential.secret);
    case Credential::Kind::none:
      break;
  }
  return unauthenticated("log in to open this workspace");
}

}  // namespace

GateVerdict WorkspaceGate::identify(const Credential& credential) {
  GateVerdict verdict;
  Result<Principal> principal = principal_of(auth_, credential);
  if (!principal) {
    verdict.message = principal.status().message();
    return verdict;
  }
  verdict.kind = GateVerdict::Kind::allowed;
  verdict.user = principal->user.name;
  return verdict;
}

GateVerdict WorkspaceGate::decide(const Credential& credential, const Route& route) {
  GateVerdict verdict;
  Result<Principal> principal = principal_of(auth_, credential);
  if (!principal) {
    verdict.message = principal.status().message();
    return verdict;
  }
  const User& user = principal->user;
  AccessRequest request{.user = {.name = user.name, .admin = user.admin, .disabled = user.disabled},
                        .workspace = {.id = route.workspace_id, .owner = route.owner, .name = route.name}};
  AccessPolicy policy;
  Status read = store_.read([&](Tx& tx) -> Status {
    auto groups = tx.list_groups();
    if (!groups) return groups.status();
    for (const Group& g : *groups) {
      if (std::binary_search(g.members.begin(), g.members.end(), user.name)) request.user.groups.push_back(g.name);
      if (std::binary_search(g.members.begin(), g.members.end(), route.owner)) request.owner_groups.push_back(g.name);
    }
    auto shares = tx.list_shares(route.workspace_id);
    if (!shares) return shares.status();
    request.shares = std::move(shares.value());
    auto stored = tx.get_policy();
    if (!stored) return stored.status();
    policy = std::move(stored).value();
    return ok_status();
  });
  if (!read.ok()) {
    verdict.kind = GateVerdict::Kind::denied;
    verdict.message = "access could not be checked (" + read.message() + "); try again shortly";
    return verdict;
  }
  request.policy = &policy;
  if (!user.admin && !user.disabled) {
    request.user.admin = evaluate_admin(policy, RuleSubject{user.name, request.user.groups}).allowed;
  }
  Decision decision = decide_access(request);
  verdict.user = user.name;
  verdict.groups = request.user.groups;
  verdict.kind = decision.allowed ? GateVerdict::Kind::allowed : GateVerdict::Kind::denied;
  verdict.message = decision.reason;
  return verdict;
}

std::string WorkspaceGate::issue_code(const std::string& user, const std::string& host) {
  std::string code = random_token(*services_.random, 32);
  TimePoint now = services_.clock->now();
  std::lock_guard lock(codes_mutex_);
  if (codes_.size() >= kMaxPendingCodes) {
    std::erase_if(codes_, [&](const auto& entry) { return entry.second.expires <= now; });
  }
  codes_[sha256_hex(code)] = Code{user, host, now + kCodeLifetime};
  return code;
}

Result<std::string> WorkspaceGate::redeem_code(const std::string& code, const std::string& host,
                                               const std::string& client_address) {
  Code entry;
  {
    std::lock_guard lock(codes_mutex_);
    auto it = codes_.find(sha256_hex(code));
    if (it == codes_.end()) {
      return unauthenticated("this sign-in link was already used or is unknown; open the workspace again");
    }
    entry = it->second;
    codes_.erase(it);  // one use, whatever happens next
  }
  if (entry.expires <= services_.clock->now()) {
    return unauthenticated("this sign-in link has expired; open the workspace again");
  }
  if (entry.host != host) {
    return unauthenticated("this sign-in link was made for another workspace; open the workspace again");
  }
  std::string secret = random_token(*services_.random, 32);
  auto session = auth_.create_session(entry.user, host_bound_hash(host, secret), client_address);
  if (!session) return session.status();
  return secret;
}

}  // namespace k4ds
