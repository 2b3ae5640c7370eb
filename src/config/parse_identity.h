// Loading `identity_providers:` (see config/identity.h), for parse.cc.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "config/identity.h"
#include "config/yaml_reader.h"

namespace k4ds::config {

// Reads the list at `path`, reporting every problem with its path; only complete providers
// are appended to `out`.
void load_identity_providers(YamlReader& r, const YAML::Node& node, const std::string& path,
                             std::vector<LdapProviderConfig>& out);

// An LDAP filter as an operator writes it: "(…)" with balanced parentheses, and only the
// placeholders in `placeholders` (e.g. {"username"}); `required` must appear.
Status check_ldap_filter(std::string_view filter, std::initializer_list<std::string_view> placeholders,
                         std::string_view required);

}  // namespace k4ds::config
