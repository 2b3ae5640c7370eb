#include "directory/ldap_connection.h"

#include <fmt/format.h>
#include <ldap.h>

#include <cctype>

namespace k4ds::ldap {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

bool uses_tls(const ConnectionSettings& s) {
  return s.start_tls || lower(s.url).find("ldaps://") != std::string::npos;
}

std::string diagnostic(LDAP* ld) {
  char* text = nullptr;
  std::string out;
  if (ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &text) == LDAP_OPT_SUCCESS && text) {
    out = text;
    ldap_memfree(text);
  }
  return out;
}

// The handle's options, before anything touches the network.
Status configure(LDAP* ld, const ConnectionSettings& s) {
  int version = LDAP_VERSION3;
  timeval connect = to_timeval(s.connect_timeout);
  timeval operation = to_timeval(s.timeout);
  int demand = LDAP_OPT_X_TLS_DEMAND;
  int zero = 0;
  struct Option {
    int option;
    const void* value;
    const char* what;
  } options[] = {
      {LDAP_OPT_PROTOCOL_VERSION, &version, "the protocol version"},
      {LDAP_OPT_NETWORK_TIMEOUT, &connect, "the connect timeout"},
      {LDAP_OPT_TIMEOUT, &operation, "the operation timeout"},
      // Referrals would send the service account's bind to servers nobody configured.
      {LDAP_OPT_REFERRALS, LDAP_OPT_OFF, "referrals off"},
      {LDAP_OPT_X_TLS_REQUIRE_CERT, &demand, "certificate checking"},
  };
  for (const Option& o : options) {
    if (ldap_set_option(ld, o.option, o.value) != LDAP_OPT_SUCCESS)
      return internal_error(fmt::format("libldap refused to set {}", o.what));
  }
  if (!s.ca_file.empty() &&
      ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, s.ca_file.c_str()) != LDAP_OPT_SUCCESS)
    return unavailable(fmt::format("libldap cannot use the CA file {}; check ca_file", s.ca_file));
  // The TLS options above belong to this handle only once it has its own TLS context.
  if (uses_tls(s) && ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero) != LDAP_OPT_SUCCESS)
    return unavailable(fmt::format(
        "cannot set up TLS for the directory at {} (is ca_file {} a PEM file of CA "
        "certificates?); ask your admin to check ca_file",
        s.url, s.ca_file.empty() ? std::string("(system CAs)") : s.ca_file));
  return ok_status();
}

}  // namespace

const std::vector<std::string>& Entry::values(std::string_view attribute) const {
  static const std::vector<std::string> kNone;
  auto it = attributes.find(lower(attribute));
  return it == attributes.end() ? kNone : it->second;
}

std::string Entry::first(std::string_view attribute) const {
  const auto& v = values(attribute);
  return v.empty() ? std::string() : v.front();
}

bool is_transport_error(int rc) {
  return rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR || rc == LDAP_TIMEOUT ||
         rc == LDAP_TIMELIMIT_EXCEEDED || rc == LDAP_UNAVAILABLE || rc == LDAP_BUSY ||
         rc == LDAP_LOCAL_ERROR || rc == LDAP_ENCODING_ERROR || rc == LDAP_DECODING_ERROR;
}

Result<std::unique_ptr<Connection>> Connection::open(const ConnectionSettings& settings) {
  LDAP* ld = nullptr;
  int rc = ldap_initialize(&ld, settings.url.c_str());
  if (rc != LDAP_SUCCESS || ld == nullptr) {
    return unavailable(fmt::format("\"{}\" is not a URL libldap accepts ({}); ask your admin to "
                                   "check url",
                                   settings.url, ldap_err2string(rc)));
  }
  std::unique_ptr<Connection> conn(new Connection(ld, settings));
  K4DS_RETURN_IF_ERROR(configure(ld, settings));
  if (settings.start_tls) {
    rc = ldap_start_tls_s(ld, nullptr, nullptr);
    if (rc != LDAP_SUCCESS) return conn->failure(rc, "starting TLS");
  }
  return conn;
}

Connection::~Connection() {
  if (ld_ != nullptr) ldap_unbind_ext_s(ld_, nullptr, nullptr);
}

Status Connection::failure(int rc, std::string_view doing) {
  std::string diag = diagnostic(ld_);
  if (is_transport_error(rc)) {
    broken_ = true;
    // libldap reports a failed TLS handshake like a server that is gone, except that it
    // leaves a diagnostic behind ("(unknown error code)" from GnuTLS).
    bool tls_failed = uses_tls(settings_) && (rc == LDAP_CONNECT_ERROR || rc == LDAP_SERVER_DOWN) &&
                      !diag.empty();
    if (tls_failed) {
      return unavailable(fmt::format(
          "the TLS handshake with the directory at {} failed ({}): its certificate is not signed "
          "by a CA in {}, does not name the host in the URL, or the server does not speak TLS "
          "there; ask your admin to check ca_file and url",
          settings_.url, diag,
          settings_.ca_file.empty() ? std::string("the system's CA list") : settings_.ca_file));
    }
    bool timed_out = rc == LDAP_TIMEOUT || rc == LDAP_TIMELIMIT_EXCEEDED;
    return unavailable(fmt::format(
        "the directory at {} did not answer{} while {}; try again in a minute or ask your admin",
        settings_.url, timed_out ? " in time" : fmt::format(" ({})", ldap_err2string(rc)), doing));
  }
  if (rc == LDAP_INVALID_CREDENTIALS) return unauthenticated("the directory refused the password");
  if (rc == LDAP_NO_SUCH_OBJECT) return not_found(fmt::format("no such entry while {}", doing));
  return unavailable(fmt::format("the directory at {} refused {}: {}{}; ask your admin",
                                 settings_.url, doing, ldap_err2string(rc),
                                 diag.empty() ? "" : " (" + diag + ")"));
}

Status Connection::bind(std::string_view dn, std::string_view password) {
  if (password.empty()) return unauthenticated("an empty password is never sent to the directory");
  if (dn.empty()) return unauthenticated("no DN to bind as");
  std::string dn_text(dn);
  std::string secret(password);
  berval credentials{static_cast<ber_len_t>(secret.size()), secret.data()};
  int rc = ldap_sasl_bind_s(ld_, dn_text.c_str(), LDAP_SASL_SIMPLE, &credentials, nullptr, nullptr,
                            nullptr);
  std::fill(secret.begin(), secret.end(), '\0');
  if (rc == LDAP_SUCCESS) return ok_status();
  return failure(rc, "logging in to it");
}

Result<SearchResult> Connection::search(std::string_view base, Scope scope, std::string_view filter,
                                        const std::vector<std::string>& attributes, int size_limit) {
  std::string base_text(base);
  std::string filter_text(filter);
  std::vector<char*> attrs;
  for (const auto& a : attributes) attrs.push_back(const_cast<char*>(a.c_str()));
  attrs.push_back(nullptr);
  timeval limit = to_timeval(settings_.timeout);
  LDAPMessage* result = nullptr;
  int rc = ldap_search_ext_s(ld_, base_text.c_str(),
                             scope == Scope::base ? LDAP_SCOPE_BASE : LDAP_SCOPE_SUBTREE,
                             filter_text.c_str(), attrs.data(), 0, nullptr, nullptr, &limit,
                             size_limit, &result);
  // Found entries come with SIZELIMIT_EXCEEDED too; anything else is a failure.
  if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED) {
    if (result) ldap_msgfree(result);
    return failure(rc, fmt::format("searching {}", base_text));
  }
  SearchResult out;
  out.truncated = rc == LDAP_SIZELIMIT_EXCEEDED;
  for (LDAPMessage* e = ldap_first_entry(ld_, result); e != nullptr; e = ldap_next_entry(ld_, e)) {
    Entry entry;
    if (char* dn = ldap_get_dn(ld_, e)) {
      entry.dn = dn;
      ldap_memfree(dn);
    }
    BerElement* ber = nullptr;
    for (char* a = ldap_first_attribute(ld_, e, &ber); a != nullptr;
         a = ldap_next_attribute(ld_, e, ber)) {
      std::vector<std::string>& values = entry.attributes[lower(a)];
      if (berval** vals = ldap_get_values_len(ld_, e, a)) {
        for (int i = 0; vals[i] != nullptr; ++i) values.emplace_back(vals[i]->bv_val, vals[i]->bv_len);
        ldap_value_free_len(vals);
      }
      ldap_memfree(a);
    }
    if (ber) ber_free(ber, 0);
    out.entries.push_back(std::move(entry));
  }
  ldap_msgfree(result);
  return out;
}

}  // namespace k4ds::ldap
