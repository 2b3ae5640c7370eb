// Field ownership in the test API server, as a real API server keeps it in
// metadata.managedFields: each writer (field manager) owns the fields it set, written as
// fieldsV1 ({"f:spec": {"f:hard": {"f:pods": {}}}}). Simplified: objects nest, every other
// value (lists included) is one field; status is not owned.
//
// Contract (pure functions on JSON)
// - fields_of(object): the fields an object sets (metadata's uid, resourceVersion,
//   creationTimestamp and managedFields left out: the server sets them).
// - apply_fields(existing, applied, manager, force): server-side apply. A field another manager
//   owns with a different value is a conflict (its name in `conflict`) unless forced, when it
//   changes owner; a field `manager` applied before and leaves out now is removed unless
//   another manager owns it too. Returns the merged object with its managedFields set.
// - update_fields(old, object, manager): an update (PUT) by `manager` takes the fields it
//   changed from everyone else (updates are always forced); sets object's managedFields.
// - created_fields(object, manager): managedFields of an object a POST created.
//
// Usage:
//   std::string conflict;
//   json::object after = apply_fields(*existing, applied, "k4ds", force, conflict);
//   if (!conflict.empty()) return 409;
#pragma once

#include <boost/json.hpp>
#include <set>
#include <string>
#include <vector>

namespace k4ds::fake_apiserver {

using FieldPath = std::vector<std::string>;
using FieldSet = std::set<FieldPath>;

FieldSet fields_of(const boost::json::object& object);

boost::json::object apply_fields(const boost::json::object& existing, const boost::json::object& applied,
                                 const std::string& manager, bool force, std::string& conflict);

void update_fields(const boost::json::object& old, boost::json::object& object, const std::string& manager);

boost::json::array created_fields(const boost::json::object& object, const std::string& manager,
                                  const std::string& operation);

}  // namespace k4ds::fake_apiserver
