#include "kubernetes/names.h"

#include <cctype>

#include "common/services.h"

namespace k4ds::kubernetes {

std::string short_hash(std::string_view text) { return sha256_hex(text).substr(0, 8); }

std::string dns_label(std::string_view text, std::size_t max) {
  std::string out;
  for (char c : text) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    bool ok = (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9');
    if (ok) {
      out += l;
    } else if (!out.empty() && out.back() != '-') {
      out += '-';  // runs of other characters become one '-'
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  if (out.empty()) out = "x";
  if (out.size() > max) {
    // Cut, then hash the *original* text so two long names sharing a prefix stay distinct.
    out.resize(max - 9);
    while (!out.empty() && out.back() == '-') out.pop_back();
    out += "-" + short_hash(text);
  }
  return out;
}

std::string label_value(std::string_view text) {
  std::string out;
  for (char c : text) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    out += ok ? c : '_';
  }
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  if (out.size() > 63) out = out.substr(0, 54) + "-" + short_hash(text);
  while (!out.empty() && !alnum(out.front())) out.erase(out.begin());
  while (!out.empty() && !alnum(out.back())) out.pop_back();
  return out;  // "" is a valid (empty) label value
}

std::string workspace_object_name(const LaunchSpec& spec) {
  std::string suffix = "-" + short_hash(spec.workspace_id);
  std::string base = dns_label(std::string(kWorkspacePodPrefix) + spec.owner + "-" + spec.name, 63 - suffix.size());
  return base + suffix;
}

std::string workspace_namespace(std::string_view owner, const KubernetesOptions& options) {
  if (options.namespace_mode == NamespaceMode::shared) return dns_label(options.shared_namespace);
  return dns_label(options.namespace_prefix + std::string(owner));
}

std::string volume_object_name(std::string_view volume_id) {
  return dns_label("k4ds-vol-" + std::string(volume_id));
}

std::map<std::string, std::string> workspace_labels(const LaunchSpec& spec) {
  return {
      {kManagedByLabel, kManagedByValue},
      {kWorkspaceIdLabel, label_value(spec.workspace_id)},
      {kOwnerLabel, label_value(spec.owner)},
      {"app.kubernetes.io/name", label_value(spec.environment.name)},
      {"app.kubernetes.io/instance", label_value(spec.name)},
  };
}

}  // namespace k4ds::kubernetes
