// The text k4ds sends to a directory: escaping of every value that goes into an LDAP filter
// (RFC 4515) or a DN (RFC 4514), the filters for groups, and names that come back.
//
// Contract: pure functions, no I/O. A value escaped here cannot change the structure of the
// filter or DN it is put into: "*)(uid=*" becomes "\2a\29\28uid=\2a" and matches only itself.
//
// Usage:
//   std::string filter = fill_username("(&(objectClass=person)(uid={username}))",
//                                      escape_filter_value(name));
//   std::string dn = fill_username("uid={username},ou=people,dc=example,dc=org",
//                                  escape_dn_value(name));
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/identity.h"

namespace k4ds::ldap {

// RFC 4515 §3: NUL, "*", "(", ")" and "\" as \XX; other control bytes and bytes above 0x7e
// too (always valid, and a stray non-UTF-8 byte cannot break the filter).
std::string escape_filter_value(std::string_view value);
// RFC 4514 §2.4: "\"", "+", ",", ";", "<", ">", "\", "=" escaped with a backslash; NUL as \00;
// a leading space or "#" and a trailing space escaped.
std::string escape_dn_value(std::string_view value);
// Every "{username}" in text replaced by the (already escaped) value.
std::string fill_username(std::string_view text, std::string_view escaped_value);

// The OID of Active Directory's LDAP_MATCHING_RULE_IN_CHAIN: "member" matched through any
// depth of nested groups.
inline constexpr std::string_view kInChainRule = "1.2.840.113556.1.4.1941";

// Groups that have the user as a member, for groups.object_classes: groupOfNames/group by
// `member` = user_dn (through the in-chain rule when nested is in_chain), groupOfUniqueNames
// by uniqueMember = user_dn, posixGroup by memberUid = uid (the entry's username attribute).
std::string group_filter(const LdapGroups& groups, std::string_view user_dn, std::string_view uid);
// Groups that have one of group_dns as a member (one level of nesting), for nested: search.
// Empty when no configured kind holds DNs (posixGroup only).
std::string parent_groups_filter(const LdapGroups& groups, const std::vector<std::string>& group_dns);

// A directory group name as a k4ds group name: lowercased, each run of characters other than
// a-z and 0-9 turned into one "-", dashes trimmed ("Data Scientists" → "data-scientists").
// Empty when the result is still not a valid group name.
std::string k4ds_group_name(std::string_view directory_name);
// The value of dn's first RDN when its attribute is `attribute` (case-insensitive), unescaped:
// ("cn=Data Scientists,ou=groups,…", "cn") → "Data Scientists". nullopt otherwise.
std::optional<std::string> first_rdn_value(std::string_view dn, std::string_view attribute);

}  // namespace k4ds::ldap
