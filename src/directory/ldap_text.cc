#include "directory/ldap_text.h"

#include <fmt/format.h>
#include <ldap.h>

#include <cctype>

#include "model/validation.h"

namespace k4ds::ldap {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::string hex_escape(unsigned char c) { return fmt::format("\\{:02x}", c); }

// "(&(objectClass=OC)(ATTR=VALUE))" with VALUE escaped for a filter.
std::string class_and(std::string_view object_class, std::string_view attribute,
                      std::string_view value) {
  return fmt::format("(&(objectClass={})({}={}))", escape_filter_value(object_class), attribute,
                     escape_filter_value(value));
}

std::string any_of(const std::vector<std::string>& terms) {
  if (terms.size() == 1) return terms.front();
  std::string out = "(|";
  for (const auto& t : terms) out += t;
  return out + ")";
}

// The member attribute of a DN-valued group kind, or "" for posixGroup.
std::string_view dn_member_attribute(std::string_view object_class) {
  if (iequals(object_class, "groupOfNames") || iequals(object_class, "group")) return "member";
  if (iequals(object_class, "groupOfUniqueNames")) return "uniqueMember";
  return "";
}

}  // namespace

std::string escape_filter_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char ch : value) {
    auto c = static_cast<unsigned char>(ch);
    // Bytes above 0x7f too: an escaped octet is always valid, a stray byte that is not UTF-8
    // would make the whole filter a protocol error.
    if (c == '*' || c == '(' || c == ')' || c == '\\' || c < 0x20 || c >= 0x7f) out += hex_escape(c);
    else out += ch;
  }
  return out;
}

std::string escape_dn_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    auto c = static_cast<unsigned char>(value[i]);
    bool leading = i == 0 && (c == ' ' || c == '#');
    bool trailing = i + 1 == value.size() && c == ' ';
    if (c == 0 || c < 0x20 || c == 0x7f) {
      out += hex_escape(c);
    } else if (leading || trailing || c == '"' || c == '+' || c == ',' || c == ';' || c == '<' ||
               c == '>' || c == '\\' || c == '=') {
      out += '\\';
      out += static_cast<char>(c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string fill_username(std::string_view text, std::string_view escaped_value) {
  constexpr std::string_view kPlaceholder = "{username}";
  std::string out;
  std::size_t start = 0;
  for (;;) {
    std::size_t at = text.find(kPlaceholder, start);
    if (at == std::string_view::npos) break;
    out.append(text.substr(start, at - start));
    out.append(escaped_value);
    start = at + kPlaceholder.size();
  }
  out.append(text.substr(start));
  return out;
}

std::string group_filter(const LdapGroups& groups, std::string_view user_dn, std::string_view uid) {
  std::vector<std::string> terms;
  for (const std::string& oc : groups.object_classes) {
    std::string_view attribute = dn_member_attribute(oc);
    if (attribute.empty()) {
      terms.push_back(class_and(oc, "memberUid", uid));
    } else if (attribute == "member" && groups.nested == LdapNestedGroups::in_chain) {
      terms.push_back(class_and(oc, fmt::format("member:{}:", kInChainRule), user_dn));
    } else {
      terms.push_back(class_and(oc, attribute, user_dn));
    }
  }
  return any_of(terms);
}

std::string parent_groups_filter(const LdapGroups& groups, const std::vector<std::string>& group_dns) {
  std::vector<std::string> terms;
  for (const std::string& oc : groups.object_classes) {
    std::string_view attribute = dn_member_attribute(oc);
    if (attribute.empty()) continue;
    for (const std::string& dn : group_dns) terms.push_back(class_and(oc, attribute, dn));
  }
  if (terms.empty()) return "";
  if (terms.size() == 1) return terms.front();
  std::string out = "(|";
  for (const auto& t : terms) out += t;
  return out + ")";
}

std::string k4ds_group_name(std::string_view directory_name) {
  std::string out;
  bool dash = false;
  for (char ch : directory_name) {
    char c = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (keep) {
      if (dash && !out.empty()) out += '-';
      out += c;
      dash = false;
    } else {
      dash = true;
    }
  }
  if (!validate_group_name(out).ok()) return "";
  return out;
}

std::optional<std::string> first_rdn_value(std::string_view dn, std::string_view attribute) {
  LDAPDN parsed = nullptr;
  std::string text(dn);
  if (ldap_str2dn(text.c_str(), &parsed, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS || !parsed)
    return std::nullopt;
  std::optional<std::string> out;
  LDAPRDN rdn = parsed[0];
  if (rdn != nullptr && rdn[0] != nullptr) {
    LDAPAVA* ava = rdn[0];
    std::string_view name(ava->la_attr.bv_val, ava->la_attr.bv_len);
    if (iequals(name, attribute) && !(ava->la_flags & LDAP_AVA_BINARY))
      out = std::string(ava->la_value.bv_val, ava->la_value.bv_len);
  }
  ldap_dnfree(parsed);
  return out;
}

}  // namespace k4ds::ldap
