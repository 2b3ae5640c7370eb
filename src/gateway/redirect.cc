#include "gateway/redirect.h"

#include <algorithm>

#include <boost/url/parse.hpp>

#include "gateway/host.h"

namespace k4ds {
namespace {

// Nested encodings deeper than this are refused outright: no real link needs them.
constexpr int kMaxDecodeLayers = 4;

Status refuse(std::string_view why) {
  return invalid_argument("the redirect target is not allowed (" + std::string(why) +
                          "); after login you can only be sent to the portal or a workspace");
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = lower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// One round of percent-decoding; false if an escape is malformed ("%zz", "%4").
bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    int hi = hex_value(in[i + 1]);
    int lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }

// A path we are willing to send a browser to: absolute, no empty segment ("//" reads as an
// authority to browsers and to many apps that redirect again) and no dot segments ("/./\x",
// "/../" were the shapes of oauth2-proxy's GHSA-5m6c-jp6f-2vcv).
Status check_path_shape(std::string_view path) {
  if (path.empty() || path.front() != '/') return refuse("the path must start with /");
  std::size_t start = 1;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view segment = path.substr(start, end - start);
    bool last = end == path.size();
    if (segment.empty() && !last) return refuse("the path contains //");
    if (segment == "." || segment == "..") return refuse("the path contains . or .. segments");
    start = end + 1;
  }
  return ok_status();
}

// Applies the checks to every percent-decoded layer of `text`, since some apps (and some
// proxies in front of them) decode again before they redirect.
Status check_decoded_layers(std::string_view text, bool is_path) {
  std::string current(text);
  std::string next;
  for (int layer = 0; layer < kMaxDecodeLayers; ++layer) {
    if (current.find('%') == std::string::npos) return ok_status();
    if (!percent_decode(current, next)) {
      // A malformed escape in the text as given is refused; in a decoded layer it is just a
      // literal "%" (as in "100%25" → "100%") and decoding stops there.
      if (layer == 0) return refuse("it has a malformed percent escape");
      return ok_status();
    }
    for (char c : next) {
      if (is_control(static_cast<unsigned char>(c))) {
        return refuse("it contains an encoded control character");
      }
      if (c == '\\') return refuse("it contains an encoded backslash");
    }
    if (is_path) K4DS_RETURN_IF_ERROR(check_path_shape(next));
    current.swap(next);
  }
  return refuse("it is encoded too many times");
}

// The path of a URL: from `from` up to the first '?' or '#'.
std::string_view path_part(std::string_view rd, std::size_t from) {
  std::size_t end = rd.find_first_of("?#", from);
  if (end == std::string_view::npos) end = rd.size();
  return rd.substr(from, end - from);
}

bool port_allowed(uint16_t effective, const RedirectPolicy& policy, uint16_t default_port) {
  if (policy.ports.empty()) return effective == default_port;
  return std::find(policy.ports.begin(), policy.ports.end(), effective) != policy.ports.end();
}

Result<std::string> validate_relative(std::string_view rd) {
  if (rd.size() > 1 && rd[1] == '/') return refuse("it starts with //");
  std::string_view path = path_part(rd, 0);
  K4DS_RETURN_IF_ERROR(check_path_shape(path));
  K4DS_RETURN_IF_ERROR(check_decoded_layers(path, /*is_path=*/true));
  auto parsed = boost::urls::parse_relative_ref(rd);
  if (!parsed || parsed->has_authority() || !parsed->is_path_absolute()) {
    return refuse("it is not a valid path");
  }
  return std::string(rd);
}

Result<std::string> validate_absolute(std::string_view rd, const RedirectPolicy& policy) {
  // The scheme, as browsers read it: letters up to the first ':'.
  std::size_t colon = rd.find(':');
  if (colon == std::string_view::npos) return refuse("it is neither a path nor an http(s) URL");
  std::string scheme;
  for (char c : rd.substr(0, colon)) scheme.push_back(lower(c));
  bool https = scheme == "https";
  if (scheme != "http" && !https) return refuse("only http and https links are allowed");
  if ((https && !policy.allow_https) || (!https && !policy.allow_http)) {
    return refuse("that scheme is not used by this server");
  }
  // Exactly "scheme://" then the authority: "http:evil.com", "https:/evil.com" and
  // "https:///evil.com" are all read by browsers as links to evil.com.
  std::string_view rest = rd.substr(colon + 1);
  if (rest.size() < 3 || rest[0] != '/' || rest[1] != '/' || rest[2] == '/') {
    return refuse("an absolute link must look like https://host/path");
  }
  std::size_t authority_begin = colon + 3;
  std::size_t authority_end = rd.find_first_of("/?#", authority_begin);
  if (authority_end == std::string_view::npos) authority_end = rd.size();
  std::string_view authority = rd.substr(authority_begin, authority_end - authority_begin);
  if (authority.find('@') != std::string_view::npos) return refuse("it contains userinfo (@)");
  if (authority.find('%') != std::string_view::npos) {
    return refuse("the host contains a percent escape");
  }
  for (char c : authority) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
    if (!ok) return refuse("the host contains a character not allowed in a host name");
  }
  Result<NormalizedHost> host = normalize_host(authority);
  if (!host) return refuse("the host is not a valid host name");
  HostClass cls = classify_host(host->host, policy.domain, policy.portal_host);
  if (cls.kind == HostKind::unknown) return refuse("the host is not this server's");
  uint16_t default_port = https ? 443 : 80;
  if (!port_allowed(host->port.value_or(default_port), policy, default_port)) {
    return refuse("the port is not this server's");
  }
  std::string_view path = path_part(rd, authority_end);
  if (!path.empty()) {
    K4DS_RETURN_IF_ERROR(check_path_shape(path));
    K4DS_RETURN_IF_ERROR(check_decoded_layers(path, /*is_path=*/true));
  }
  // Second opinion from an RFC 3986 parser: it must agree on scheme, authority and userinfo.
  auto parsed = boost::urls::parse_uri(rd);  // absolute, fragment allowed
  if (!parsed) return refuse("it is not a valid URL");
  if (parsed->has_userinfo() || parsed->encoded_authority() != authority) {
    return refuse("it is not a valid URL");
  }
  return std::string(rd);
}

}  // namespace

Result<std::string> validate_redirect(std::string_view rd, const RedirectPolicy& policy) {
  if (rd.empty()) return refuse("it is empty");
  if (rd.size() > kMaxRedirectLength) return refuse("it is longer than 2048 characters");
  for (char c : rd) {
    auto u = static_cast<unsigned char>(c);
    // Browsers strip tabs/newlines and trim spaces and controls before parsing ("/\t/evil.com"
    // becomes "//evil.com"), and raw non-ASCII is how IDN look-alikes arrive.
    if (u <= 0x20 || u == 0x7f) return refuse("it contains a space or control character");
    if (u >= 0x80) return refuse("it contains a non-ASCII character");
    if (c == '\\') return refuse("it contains a backslash");
  }
  // Encoded controls anywhere (query and fragment included) are refused: "%0d%0a" is header
  // injection if anything downstream decodes before writing Location.
  K4DS_RETURN_IF_ERROR(check_decoded_layers(rd, /*is_path=*/false));
  if (rd.front() == '/') return validate_relative(rd);
  return validate_absolute(rd, policy);
}

}  // namespace k4ds
