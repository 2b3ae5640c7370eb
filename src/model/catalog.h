// The catalog: environments and sizes an operator offers. Immutable once built; the server
// holds it as shared_ptr<const Catalog> and swaps the pointer when configuration changes.
#pragma once

#include <string_view>
#include <vector>

#include "model/model.h"

namespace k4ds {

struct Catalog {
  std::vector<Environment> environments;
  std::vector<Size> sizes;
  std::string default_size;  // used when neither the request nor the environment names one

  const Environment* find_environment(std::string_view name) const {
    for (const auto& e : environments)
      if (e.name == name) return &e;
    return nullptr;
  }
  const Size* find_size(std::string_view name) const {
    for (const auto& s : sizes)
      if (s.name == name) return &s;
    return nullptr;
  }
};

}  // namespace k4ds
