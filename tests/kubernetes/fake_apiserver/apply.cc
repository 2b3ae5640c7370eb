// Server-side apply (PATCH with application/apply-patch+yaml) in the test API server: the
// merge, the field managers and the conflicts described in apply.h.
#include "apply.h"

#include <algorithm>
#include <cctype>

#include "fields.h"
#include "handlers.h"

namespace k4ds::fake_apiserver {
namespace json = boost::json;

json::value merged(const json::value& existing, const json::value& applied) {
  if (!existing.is_object() || !applied.is_object()) return applied;
  json::object out = existing.get_object();
  for (const auto& [key, value] : applied.get_object()) {
    auto* before = out.if_contains(key);
    out[key] = before ? merged(*before, value) : value;
  }
  return out;
}

namespace {

std::string media_type(const std::string& content_type) {
  std::string t = content_type.substr(0, content_type.find(';'));
  t.erase(0, t.find_first_not_of(" \t"));
  t.erase(t.find_last_not_of(" \t") + 1);
  for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return t;
}

// `after` keeps what the server owns from `existing`: uid, resourceVersion, creationTimestamp.
void keep_server_fields(const json::object& existing, json::object& after) {
  const json::object* old = nullptr;
  if (auto* m = existing.if_contains("metadata"); m && m->is_object()) old = &m->get_object();
  json::object& meta = metadata_of(after);
  for (const char* field : {"uid", "resourceVersion", "creationTimestamp"}) {
    const json::value* kept = old ? old->if_contains(field) : nullptr;
    if (kept) meta[field] = *kept;
    else meta.erase(field);
  }
}

}  // namespace

Reply Api::apply(const Request& r, const std::string& path, const Query& q) {
  if (media_type(r.content_type) != "application/apply-patch+yaml") {
    return status_reply(415, "UnsupportedMediaType",
                        "the body of the request was in an unknown format (Content-Type \"" + r.content_type +
                            "\"); this API server takes PATCH only as server-side apply: send "
                            "Content-Type: application/apply-patch+yaml");
  }
  const std::string manager = query_value(q, "fieldManager");
  if (manager.empty()) return status_reply(422, "Invalid", "fieldManager is required for apply patches");
  json::object applied;
  Reply refused;
  if (!parse_object(r.body, applied, refused)) return refused;
  const std::string name = last_part(path), kind = last_part(parent_of(path));
  const About about{name, kind};
  if (meta_text(applied, "name") != name) {
    return status_reply(400, "BadRequest",
                        "metadata.name \"" + meta_text(applied, "name") + "\" in the body is not the name \"" + name +
                            "\" in the path; apply the object at its own path",
                        about);
  }
  if (std::string ns = meta_text(applied, "namespace"); !ns.empty() && ns != path_namespace(path)) {
    return status_reply(400, "BadRequest",
                        "metadata.namespace \"" + ns + "\" in the body is not the namespace \"" + path_namespace(path) +
                            "\" of the path; apply the object at its own path",
                        about);
  }
  const bool force = query_value(q, "force") == "true";
  // The schema check runs without the lock; when the object changed meanwhile, start again.
  for (int attempt = 0; attempt < 10; ++attempt) {
    Object existing;
    {
      std::lock_guard lock(store_.mu);
      existing = store_.objects.get(path);
    }
    if (!existing) {  // created exactly as POST creates it
      if (Verdict v = validator_.check(applied); !v.valid) return status_reply(422, "Invalid", v.message);
      std::lock_guard lock(store_.mu);
      if (store_.objects.contains(path)) continue;
      if (auto over = pods_over_quota(store_, parent_of(path), name)) return *over;
      return store_new(store_, path, applied, manager, "Apply");
    }
    const std::string sent = meta_text(applied, "resourceVersion");
    if (!sent.empty() && sent != meta_text(*existing, "resourceVersion")) return conflict_reply(path);
    std::string conflict;
    json::object after = apply_fields(*existing, applied, manager, force, conflict);
    if (!conflict.empty()) {
      return status_reply(409, "Conflict", "Apply failed with 1 conflict: conflict with \"" + conflict + "\"", about);
    }
    keep_server_fields(*existing, after);
    if (after == *existing) {
      return json_reply(200, *existing);  // nothing to change: no new version, no event
    }
    if (Verdict v = validator_.check(after); !v.valid) return status_reply(422, "Invalid", v.message);
    std::lock_guard lock(store_.mu);
    if (store_.objects.get(path) != existing) continue;
    ++store_.version;
    json::object& meta = metadata_of(after);
    meta["resourceVersion"] = std::to_string(store_.version);
    auto stored = std::make_shared<const json::object>(std::move(after));
    store_.objects.put(path, stored);
    store_.record("MODIFIED", path, stored);
    return json_reply(200, *stored);
  }
  return conflict_reply(path);
}

}  // namespace k4ds::fake_apiserver
