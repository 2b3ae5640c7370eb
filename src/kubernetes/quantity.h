// Kubernetes resource quantities ("500m", "8Gi", "1.5", "129e6", "4") as whole numbers, parsed
// as the API server does (k8s.io/apimachinery resource.Quantity), so what k4ds reads from a
// cluster (node allocatable, limits) means what Kubernetes means.
//
// Contract
// - Grammar: [+-] digits [. digits] then one suffix: binary Ki Mi Gi Ti Pi Ei (powers of 1024),
//   decimal n u m "" k M G T P E (powers of 1000), or an exponent e<int> / E<int> ("1E3" is 1000,
//   "1E" alone is 10^18). No spaces, no hex, no "inf".
// - parse_quantity(text, scale) is the value times 10^scale, rounded up to a whole number as
//   Kubernetes' Value()/MilliValue() do (scale 3 = milli-units, for CPUs); nullopt when the
//   text is not a quantity or the result does not fit in int64.
// - Pure, no allocation beyond the call.
//
// Usage:
//   parse_quantity("8Gi")        // 8589934592
//   parse_quantity("250m", 3)    // 250   (millicores)
//   parse_quantity("2", 3)       // 2000
//   parse_quantity("12e3")       // 12000
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace k4ds::kubernetes {

std::optional<int64_t> parse_quantity(std::string_view text, int scale = 0);

}  // namespace k4ds::kubernetes
