// The REST routes (create, get, list, replace, delete) and the /_test hooks of the test API
// server, with the Status messages tests read kept word for word.
#include "handlers.h"

#include "fields.h"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <random>
#include <thread>
#include <utility>

#include "apply.h"

namespace k4ds::fake_apiserver {
namespace json = boost::json;

namespace {

std::string uuid4() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  uint64_t hi = random(), lo = random();
  hi = (hi & ~0xF000ULL) | 0x4000ULL;                   // version 4
  lo = (lo & ~(0xC000ULL << 48)) | (0x8000ULL << 48);  // RFC 4122 variant
  char text[37];
  std::snprintf(text, sizeof text, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xFFFF), static_cast<unsigned>(hi & 0xFFFF),
                static_cast<unsigned>(lo >> 48), static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFULL));
  return text;
}

std::string utc_now() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::string rstrip_slashes(std::string path) {
  while (!path.empty() && path.back() == '/') path.pop_back();
  return path;
}

bool to_int(const std::string& text, int64_t& out) {
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || errno || *end) return false;
  out = v;
  return true;
}

}  // namespace

bool parse_object(const std::string& body, json::object& out, Reply& refused) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) {
    refused = status_reply(400, "BadRequest", "the body is not a JSON object (" +
                                                  (ec ? ec.message() : std::string("another JSON value")) +
                                                  "); send the object as JSON");
    return false;
  }
  out = std::move(v.get_object());
  return true;
}

std::string meta_text(const json::object& object, std::string_view field) {
  auto* m = object.if_contains("metadata");
  if (!m || !m->is_object()) return "";
  auto* v = m->get_object().if_contains(field);
  return v && v->is_string() ? std::string(v->get_string()) : "";
}

json::object& metadata_of(json::object& object) {
  json::value& m = object["metadata"];
  if (!m.is_object()) m = json::object();
  return m.get_object();
}

std::optional<Reply> pods_over_quota(const Store& store, const std::string& collection, const std::string& pod) {
  if (!collection.ends_with("/pods")) return std::nullopt;
  const std::string ns = collection.substr(0, collection.size() - 5);
  for (const auto& [key, quota] : store.objects) {
    if (!key.starts_with(ns + "/resourcequotas/")) continue;
    const json::value* hard = nullptr;
    if (auto* spec = quota->if_contains("spec"); spec && spec->is_object()) {
      if (auto* h = spec->get_object().if_contains("hard"); h && h->is_object()) hard = h->get_object().if_contains("pods");
    }
    if (!hard) continue;
    int64_t limit = 0;
    std::string limit_text = hard->is_string() ? std::string(hard->get_string()) : json::serialize(*hard);
    if (!to_int(limit_text, limit)) continue;
    int64_t used = 0;
    for (const auto& [k, o] : store.objects) {
      if (parent_of(k) != collection) continue;
      std::string phase = field_text(*o, "status.phase");
      used += phase != "Failed" && phase != "Succeeded";
    }
    if (used + 1 > limit) {
      const std::string name = meta_text(*quota, "name");
      return status_reply(403, "Forbidden",
                          "pods \"" + pod + "\" is forbidden: exceeded quota: " + name +
                              ", requested: pods=1, used: pods=" + std::to_string(used) +
                              ", limited: pods=" + limit_text,
                          {pod, "pods"});
    }
  }
  return std::nullopt;
}

Reply store_new(Store& store, const std::string& key, json::object object, const std::string& manager,
                const std::string& operation) {
  ++store.version;
  json::object& meta = metadata_of(object);
  meta["uid"] = uuid4();
  meta["resourceVersion"] = std::to_string(store.version);
  meta["creationTimestamp"] = utc_now();
  meta["managedFields"] = created_fields(object, manager, operation);
  auto stored = std::make_shared<const json::object>(std::move(object));
  store.objects.put(key, stored);
  store.record("ADDED", key, stored);
  return json_reply(201, *stored);
}

Reply conflict_reply(const std::string& path) {
  return status_reply(409, "Conflict",
                      "Operation cannot be fulfilled: the object has been modified; please apply your changes to "
                      "the latest version and try again",
                      {last_part(path), last_part(parent_of(path))});
}

Api::Api(Store& store, Validator& validator, std::string token)
    : store_(store), validator_(validator), token_(std::move(token)) {
  if (const char* log = std::getenv("K4DS_FAKE_APISERVER_LOG")) log_file_ = log;
}

Reply Api::handle(const Request& request) {
  return request.path.starts_with("/_test/") ? hook(request) : api(request);
}

void Api::log_request(const Request& r) {
  if (log_file_.empty()) return;
  std::lock_guard lock(log_mu_);
  std::ofstream(log_file_, std::ios::app) << r.method << " " << r.path << "?" << r.query << "\n";
}

Reply Api::hook(const Request& r) {
  const Query q = parse_query(r.query);
  std::unique_lock lock(store_.mu);
  if (r.path == "/_test/fail") {
    int64_t code = 0, count = 0;
    if (!to_int(query_value(q, "code"), code) || !to_int(query_value(q, "count"), count)) {
      return status_reply(400, "BadRequest", "/_test/fail needs code=N&count=N");
    }
    Failure f{static_cast<int>(code), query_value(q, "retry_after"), query_value(q, "method"), query_value(q, "match")};
    for (int64_t i = 0; i < count; ++i) store_.failures.push_back(f);
  } else if (r.path == "/_test/slow") {
    store_.slow_seconds = std::atof(query_value(q, "seconds", "0").c_str());
  } else if (r.path == "/_test/status") {  // the kubelet / scheduler: an object's status
    const std::string path = query_value(q, "path");
    json::object body;
    Reply refused;
    if (!parse_object(r.body, body, refused)) return refused;
    std::vector<std::string> keys;
    if (q.contains("labelSelector")) {  // every matching object of a collection
      for (const auto& [k, o] : store_.objects) {
        if (selected(path, q, k, *o)) keys.push_back(k);
      }
    } else if (store_.objects.contains(path)) {
      keys.push_back(path);
    } else {
      return status_reply(404, "NotFound", path);
    }
    for (const std::string& k : keys) {
      json::object changed = *store_.objects.get(k);
      changed["status"] = body;
      ++store_.version;
      metadata_of(changed)["resourceVersion"] = std::to_string(store_.version);
      auto stored = std::make_shared<const json::object>(std::move(changed));
      store_.objects.put(k, stored);
      store_.record("MODIFIED", k, stored);
    }
    return json_reply(200, json::object{{"requests", store_.requests}, {"changed", keys.size()}});
  } else if (r.path == "/_test/log") {  // the container writes output
    json::object body;
    Reply refused;
    if (!parse_object(r.body, body, refused)) return refused;
    auto* text = body.if_contains("text");
    store_.log_of(query_value(q, "path")) += text && text->is_string() ? std::string(text->get_string()) : "";
    store_.changed.notify_all();
  } else if (r.path == "/_test/compact") {  // older resource versions are gone: 410 for them
    store_.compacted = store_.version;
    ++store_.compactions;
    store_.changed.notify_all();
  }
  return json_reply(200, json::object{{"requests", store_.requests}});
}

Reply Api::api(const Request& r) {
  log_request(r);
  double slow = 0;
  std::optional<Failure> failing;
  {
    std::lock_guard lock(store_.mu);
    ++store_.requests;
    slow = std::exchange(store_.slow_seconds, 0.0);
    for (auto it = store_.failures.begin(); it != store_.failures.end(); ++it) {
      if ((it->method.empty() || it->method == r.method) && r.path.find(it->match) != std::string::npos) {
        failing = *it;
        store_.failures.erase(it);
        break;
      }
    }
  }
  if (slow > 0) std::this_thread::sleep_for(std::chrono::duration<double>(slow));
  if (failing) {
    Reply reply =
        failing->code == 409
            ? status_reply(409, "Conflict",
                           "Operation cannot be fulfilled: the object has been modified; please apply your changes "
                           "to the latest version and try again (injected)")
            : status_reply(failing->code, failing->code == 429 ? "TooManyRequests" : "InternalError",
                           "injected failure");
    if (!failing->retry_after.empty()) reply.headers.emplace_back("Retry-After", failing->retry_after);
    return reply;
  }
  if (!authorized(r)) return status_reply(401, "Unauthorized", "Unauthorized");
  const std::string path = rstrip_slashes(r.path);
  const Query q = parse_query(r.query);
  if (r.method == "POST") return create(path, q, r.body);
  if (r.method == "PUT") return replace(path, q, r.body);
  if (r.method == "PATCH") return apply(r, path, q);
  if (r.method == "GET") return get(path, q);
  if (r.method == "DELETE") return remove(path);
  return status_reply(405, "MethodNotAllowed", r.method);
}

Reply Api::create(const std::string& collection, const Query& q, const std::string& body) {
  json::object object;
  Reply refused;
  if (!parse_object(body, object, refused)) return refused;
  if (Verdict v = validator_.check(object); !v.valid) return status_reply(422, "Invalid", v.message);
  const std::string name = meta_text(object, "name");
  if (name.empty()) return status_reply(422, "Invalid", "metadata.name: Required value");
  const std::string key = collection + "/" + name;
  const std::string kind = last_part(collection);
  std::lock_guard lock(store_.mu);
  if (store_.objects.contains(key)) {
    return status_reply(409, "AlreadyExists", kind + " \"" + name + "\" already exists", {name, kind});
  }
  if (auto over = pods_over_quota(store_, collection, name)) return *over;
  return store_new(store_, key, std::move(object), query_value(q, "fieldManager", "unknown"), "Update");
}

Reply Api::replace(const std::string& path, const Query& q, const std::string& body) {
  const About about{last_part(path), last_part(parent_of(path))};
  const std::string not_found = "\"" + last_part(path) + "\" not found";
  {
    std::lock_guard lock(store_.mu);
    if (!store_.objects.contains(path)) return status_reply(404, "NotFound", not_found, about);
  }
  json::object object;
  Reply refused;
  if (!parse_object(body, object, refused)) return refused;
  if (Verdict v = validator_.check(object); !v.valid) return status_reply(422, "Invalid", v.message);
  std::lock_guard lock(store_.mu);
  Object old = store_.objects.get(path);
  if (!old) return status_reply(404, "NotFound", not_found, about);  // deleted meanwhile
  const std::string sent = meta_text(object, "resourceVersion");
  if (!sent.empty() && sent != meta_text(*old, "resourceVersion")) return conflict_reply(path);
  ++store_.version;
  json::object& meta = metadata_of(object);
  const json::object& old_meta = old->at("metadata").as_object();
  if (auto* uid = old_meta.if_contains("uid")) meta["uid"] = *uid;
  meta["resourceVersion"] = std::to_string(store_.version);
  if (auto* created = old_meta.if_contains("creationTimestamp")) meta["creationTimestamp"] = *created;
  update_fields(*old, object, query_value(q, "fieldManager", "unknown"));
  auto stored = std::make_shared<const json::object>(std::move(object));
  store_.objects.put(path, stored);
  store_.record("MODIFIED", path, stored);
  return json_reply(200, *stored);
}

Reply Api::get(const std::string& path, const Query& q) {
  std::lock_guard lock(store_.mu);
  if (path.ends_with("/log") && store_.objects.contains(path.substr(0, path.size() - 4))) {
    return text_reply(200, store_.log_of(path.substr(0, path.size() - 4)));
  }
  if (Object o = store_.objects.get(path)) return json_reply(200, *o);
  if (!is_collection(path)) {
    return status_reply(404, "NotFound", "\"" + path + "\" not found", {last_part(path), last_part(parent_of(path))});
  }
  json::array items;
  for (const auto& [key, o] : store_.objects) {
    if (selected(path, q, key, *o)) items.push_back(*o);
  }
  return json_reply(200, json::object{{"kind", "List"},
                                      {"apiVersion", "v1"},
                                      {"metadata", {{"resourceVersion", std::to_string(store_.version)}}},
                                      {"items", std::move(items)}});
}

Reply Api::remove(const std::string& path) {
  std::lock_guard lock(store_.mu);
  Object removed = store_.objects.erase(path);
  if (!removed) {
    return status_reply(404, "NotFound", "\"" + last_part(path) + "\" not found",
                        {last_part(path), last_part(parent_of(path))});
  }
  ++store_.version;
  store_.record("DELETED", path, removed);
  return json_reply(200, *removed);
}

}  // namespace k4ds::fake_apiserver
