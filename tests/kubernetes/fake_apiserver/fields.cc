// Field managers and their fields (fields.h): what server-side apply keeps, takes over and removes.
#include "fields.h"

#include <map>

#include "apply.h"

namespace k4ds::fake_apiserver {
namespace json = boost::json;

namespace {

constexpr const char* kServerSet[] = {"uid", "resourceVersion", "creationTimestamp", "managedFields"};

void collect(const json::object& object, FieldPath& prefix, FieldSet& out, bool top) {
  for (const auto& [key, value] : object) {
    if (top && key == "status") continue;
    const bool metadata = top && key == "metadata";
    prefix.emplace_back(key);
    if (value.is_object() && !value.get_object().empty()) {
      if (metadata) {
        json::object kept = value.get_object();
        for (const char* k : kServerSet) kept.erase(k);
        collect(kept, prefix, out, false);
      } else {
        collect(value.get_object(), prefix, out, false);
      }
    } else {
      out.insert(prefix);
    }
    prefix.pop_back();
  }
}

json::object tree_of(const FieldSet& fields) {
  json::object out;
  for (const FieldPath& path : fields) {
    json::object* node = &out;
    for (const std::string& part : path) {
      json::value& next = (*node)["f:" + part];
      if (!next.is_object()) next = json::object{};
      node = &next.get_object();
    }
  }
  return out;
}

void leaves(const json::object& tree, FieldPath& prefix, FieldSet& out) {
  for (const auto& [key, value] : tree) {
    prefix.emplace_back(std::string(key).substr(2));  // "f:name" → "name"
    if (value.is_object() && !value.get_object().empty()) leaves(value.get_object(), prefix, out);
    else out.insert(prefix);
    prefix.pop_back();
  }
}

const json::value* value_at(const json::object& object, const FieldPath& path) {
  const json::object* node = &object;
  const json::value* v = nullptr;
  for (const std::string& part : path) {
    if (!node) return nullptr;
    v = node->if_contains(part);
    if (!v) return nullptr;
    node = v->is_object() ? &v->get_object() : nullptr;
  }
  return v;
}

bool same_value(const json::object& a, const json::object& b, const FieldPath& path) {
  const json::value* x = value_at(a, path);
  const json::value* y = value_at(b, path);
  return x && y ? *x == *y : x == y;
}

// Removes the field at `path`, then the objects it leaves empty.
void drop(json::object& object, const FieldPath& path, std::size_t at = 0) {
  auto* v = object.if_contains(path[at]);
  if (!v) return;
  if (at + 1 == path.size()) {
    object.erase(path[at]);
    return;
  }
  if (!v->is_object()) return;
  drop(v->get_object(), path, at + 1);
  if (v->get_object().empty()) object.erase(path[at]);
}

std::string text(const json::value& entry, const char* key) {
  auto* v = entry.is_object() ? entry.get_object().if_contains(key) : nullptr;
  return v && v->is_string() ? std::string(v->get_string()) : "";
}

// Each manager's entry and fields, in the object's order.
struct Owners {
  std::vector<std::string> order;
  std::map<std::string, json::object> entries;
  std::map<std::string, FieldSet> fields;
};

Owners owners_of(const json::object& object) {
  Owners out;
  auto* meta = object.if_contains("metadata");
  auto* managed = meta && meta->is_object() ? meta->get_object().if_contains("managedFields") : nullptr;
  if (!managed || !managed->is_array()) return out;
  for (const json::value& entry : managed->get_array()) {
    std::string manager = text(entry, "manager");
    if (manager.empty() || out.entries.count(manager)) continue;
    out.order.push_back(manager);
    out.entries[manager] = entry.get_object();
    FieldSet set;
    FieldPath prefix;
    if (auto* f = entry.get_object().if_contains("fieldsV1"); f && f->is_object()) leaves(f->get_object(), prefix, set);
    out.fields[manager] = std::move(set);
  }
  return out;
}

json::object entry(const json::object& object, const std::string& manager, const std::string& operation,
                   const FieldSet& fields) {
  auto* api = object.if_contains("apiVersion");
  return json::object{{"manager", manager},
                      {"operation", operation},
                      {"apiVersion", api ? *api : json::value("v1")},
                      {"fieldsType", "FieldsV1"},
                      {"fieldsV1", tree_of(fields)}};
}

// managedFields: every other manager with what it still owns, then `manager`'s entry.
json::array managed_fields(const Owners& owners, const json::object& object, const std::string& manager,
                           const std::string& operation, const FieldSet& fields) {
  json::array out;
  for (const std::string& other : owners.order) {
    if (other == manager) continue;
    json::object e = owners.entries.at(other);
    e["fieldsV1"] = tree_of(owners.fields.at(other));
    out.push_back(std::move(e));
  }
  out.push_back(entry(object, manager, operation, fields));
  return out;
}

}  // namespace

FieldSet fields_of(const json::object& object) {
  FieldSet out;
  FieldPath prefix;
  collect(object, prefix, out, true);
  return out;
}

json::object apply_fields(const json::object& existing, const json::object& applied, const std::string& manager,
                          bool force, std::string& conflict) {
  const FieldSet wanted = fields_of(applied);
  Owners owners = owners_of(existing);
  const FieldSet mine = owners.fields[manager];
  for (const FieldPath& path : wanted) {
    if (!value_at(existing, path) || same_value(existing, applied, path)) continue;
    for (const std::string& other : owners.order) {
      if (other == manager || !owners.fields[other].count(path)) continue;
      if (!force) {
        conflict = other;
        return {};
      }
      owners.fields[other].erase(path);
    }
  }
  json::value after = merged(existing, applied);
  json::object& out = after.as_object();
  for (const FieldPath& path : mine) {
    if (wanted.count(path)) continue;
    bool shared = false;
    for (const std::string& other : owners.order) shared = shared || (other != manager && owners.fields[other].count(path));
    if (!shared) drop(out, path);
  }
  json::object& meta = out["metadata"].as_object();
  meta["managedFields"] = managed_fields(owners, applied, manager, "Apply", wanted);
  return std::move(out);
}

void update_fields(const json::object& old, json::object& object, const std::string& manager) {
  FieldSet changed;
  for (const FieldPath& path : fields_of(object)) {
    if (!same_value(old, object, path)) changed.insert(path);
  }
  Owners owners = owners_of(old);
  FieldSet mine = owners.fields[manager];
  mine.insert(changed.begin(), changed.end());
  for (const std::string& other : owners.order) {
    if (other == manager) continue;
    for (const FieldPath& path : changed) owners.fields[other].erase(path);
  }
  object["metadata"].as_object()["managedFields"] = managed_fields(owners, object, manager, "Update", mine);
}

json::array created_fields(const json::object& object, const std::string& manager, const std::string& operation) {
  return json::array{entry(object, manager, operation, fields_of(object))};
}

}  // namespace k4ds::fake_apiserver
