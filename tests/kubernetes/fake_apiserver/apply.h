// Server-side apply in the test API server, simplified: the applied object is deep-merged into
// the stored one, with field ownership as fields.h keeps it (a conflict on another manager's
// field unless forced; a field the manager no longer applies removed). The route (Api::apply, apply.cc):
//   PATCH <object path>?fieldManager=M[&force=true]
//   Content-Type: application/apply-patch+yaml, body: the object as JSON
// - other content types: 415 UnsupportedMediaType; no fieldManager: 422 Invalid; metadata.name
//   (and metadata.namespace when given) not those of the path: 400 BadRequest.
// - absent: created as POST creates it (schema check, Pod quota, ADDED), 201.
// - present: merged = merge(stored, applied), keeping uid, resourceVersion, creationTimestamp;
//   a metadata.resourceVersion in the body that is not the current one: 409 Conflict. Without
//   force=true, a different value for a field another manager owns: 409 Conflict "Apply failed
//   with 1 conflict: conflict with \"OTHER\"". Nothing changed (fields and owners): 200 with
//   the stored object, no new version, no event. Else schema check, new version, MODIFIED, 200.
//
// Contract of the helpers below: pure functions on JSON values.
//
// Usage:
//   json::value after = merged(before, applied);
#pragma once

#include <boost/json.hpp>
#include <string>

namespace k4ds::fake_apiserver {

// `applied` merged into `existing`: objects key by key, recursively; every other value (arrays
// included) replaced by the applied one.
boost::json::value merged(const boost::json::value& existing, const boost::json::value& applied);

}  // namespace k4ds::fake_apiserver
