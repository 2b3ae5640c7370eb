// One connection to an LDAP server through OpenLDAP's libldap: TLS set-up, simple bind and
// search, with every libldap result turned into a Status a person can act on.
//
// Contract
// - Every network step has a deadline: connect (LDAP_OPT_NETWORK_TIMEOUT) and each operation
//   (LDAP_OPT_TIMEOUT and the search time limit).
// - TLS: ldaps:// URLs and StartTLS verify the server's certificate (LDAP_OPT_X_TLS_DEMAND)
//   against ca_file (or the system's CAs) and its name against the URL's host. There is no
//   switch to turn that off.
// - bind() refuses an empty password before touching the network: a DN with an empty
//   password is an "unauthenticated bind" (RFC 4513 §5.1.2) that many servers accept.
// - Errors: transport trouble (refused, reset, timed out, TLS failure) is Code::unavailable
//   and marks the connection broken(); a wrong password is unauthenticated; a missing search
//   base is not_found; anything else the server refuses is unavailable with its words.
// - Not thread-safe: one thread uses a connection at a time (ldap_pool.h hands them out).
//
// Usage:
//   auto conn = Connection::open(settings);
//   if (!conn) return conn.status();
//   K4DS_RETURN_IF_ERROR((*conn)->bind(service_dn, service_password));
//   auto found = (*conn)->search("ou=people,dc=example,dc=org", Scope::subtree,
//                                "(uid=alice)", {"cn", "mail"}, 2);
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

typedef struct ldap LDAP;

namespace k4ds::ldap {

struct ConnectionSettings {
  std::string url;  // one or more, space-separated
  bool start_tls = false;
  std::string ca_file;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds timeout{10000};
};

struct Entry {
  std::string dn;
  std::map<std::string, std::vector<std::string>> attributes;  // keys lowercased

  // The values of an attribute (case-insensitive name); empty if it has none.
  const std::vector<std::string>& values(std::string_view attribute) const;
  std::string first(std::string_view attribute) const;  // "" if none
};

enum class Scope { base, subtree };

struct SearchResult {
  std::vector<Entry> entries;
  bool truncated = false;  // the size limit cut the result short
};

class Connection {
 public:
  // Sets the handle up; with StartTLS also connects and upgrades, so a TLS problem shows here.
  // Otherwise the first operation connects.
  static Result<std::unique_ptr<Connection>> open(const ConnectionSettings& settings);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Status bind(std::string_view dn, std::string_view password);
  Result<SearchResult> search(std::string_view base, Scope scope, std::string_view filter,
                              const std::vector<std::string>& attributes, int size_limit);
  bool broken() const { return broken_; }

 private:
  Connection(LDAP* ld, ConnectionSettings settings) : ld_(ld), settings_(std::move(settings)) {}
  // The Status for libldap result `rc` while `doing` ("searching for the user").
  Status failure(int rc, std::string_view doing);

  LDAP* ld_;
  ConnectionSettings settings_;
  bool broken_ = false;
};

// True for the codes that mean the connection itself failed (server gone, timeout, TLS).
bool is_transport_error(int rc);

}  // namespace k4ds::ldap
