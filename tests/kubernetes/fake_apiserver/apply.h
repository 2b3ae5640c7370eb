// Server-side apply in the test API server, simplified: the applied object is deep-merged into
// the stored one, field managers are recorded per object, and changing a value another manager
// has is a conflict unless forced. The route (Api::apply, apply.cc):
//   PATCH <object path>?fieldManager=M[&force=true]
//   Content-Type: application/apply-patch+yaml, body: the object as JSON
// - other content types: 415 UnsupportedMediaType; no fieldManager: 422 Invalid; metadata.name
//   (and metadata.namespace when given) not those of the path: 400 BadRequest.
// - absent: created as POST creates it (schema check, Pod quota, ADDED), 201.
// - present: merged = merge(stored, applied), keeping uid, resourceVersion, creationTimestamp;
//   a metadata.resourceVersion in the body that is not the current one: 409 Conflict. Without
//   force=true, when another manager has an entry and the merge changes a value that was there:
//   409 Conflict "Apply failed with 1 conflict: conflict with \"OTHER\"". Nothing changed: 200
//   with the stored object, no new version, no event. Else schema check, new version, MODIFIED,
//   200; the manager's entry becomes {M, "Apply"}.
//
// Contract of the helpers below: pure functions on JSON values.
//
// Usage:
//   json::value after = merged(before, applied);
//   if (changes_existing_value(before, after)) ...
#pragma once

#include <boost/json.hpp>
#include <string>

namespace k4ds::fake_apiserver {

// `applied` merged into `existing`: objects key by key, recursively; every other value (arrays
// included) replaced by the applied one.
boost::json::value merged(const boost::json::value& existing, const boost::json::value& applied);

// Whether `after` holds a different value somewhere `before` had one (keys only added do not count).
bool changes_existing_value(const boost::json::value& before, const boost::json::value& after);

// metadata.managedFields of `object` with `manager`'s entry set to {manager, operation}: in its
// place when it has one, else appended.
boost::json::array with_manager(const boost::json::object& object, const std::string& manager,
                                const std::string& operation);

// The first field manager of `object` other than `manager`; "" when none.
std::string other_manager(const boost::json::object& object, const std::string& manager);

}  // namespace k4ds::fake_apiserver
