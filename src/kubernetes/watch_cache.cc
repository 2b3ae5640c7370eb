#include "kubernetes/watch_cache.h"

#include <algorithm>

#include "common/logging.h"

namespace k4ds::kubernetes {
namespace json = boost::json;

std::string object_key(const json::object& object) {
  auto* m = object.if_contains("metadata");
  if (!m || !m->is_object()) return "";
  auto str = [&](std::string_view k) {
    auto* v = m->as_object().if_contains(k);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
  };
  return str("namespace") + "/" + str("name");
}

WatchCache::WatchCache(std::shared_ptr<KubeClient> client, std::string path, WatchStore& store,
                       WatchCacheOptions options)
    : client_(std::move(client)),
      path_(std::move(path)),
      store_(store),
      options_(std::move(options)),
      error_(unavailable(options_.what + " have not been read from the cluster yet")) {}

WatchCache::~WatchCache() { stop(); }

void WatchCache::start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void WatchCache::stop() {
  stopping_ = true;
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status WatchCache::status() const {
  std::lock_guard lock(mu_);
  return synced_ ? ok_status() : error_;
}

bool WatchCache::wait_synced(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return synced_; });
}

void WatchCache::fail(const Status& status) {
  std::lock_guard lock(mu_);
  synced_ = false;
  version_.clear();
  error_ = unavailable(status.message());
}

void WatchCache::wait(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, d, [&] { return stopping_.load(); });
}

bool WatchCache::list() {
  auto listed = client_->get(path_);
  if (!listed || !listed->is_object()) {
    fail(listed ? internal_error("the cluster answered the list of " + options_.what + " with something that is not a list")
                : listed.status());
    return false;
  }
  std::vector<json::object> items;
  if (auto* found = listed->as_object().if_contains("items"); found && found->is_array()) {
    for (auto& item : found->as_array()) {
      if (item.is_object()) items.push_back(std::move(item.as_object()));
    }
  }
  std::string version;
  boost::system::error_code ec;
  if (auto* rv = listed->find_pointer("/metadata/resourceVersion", ec); rv && rv->is_string()) {
    version = std::string(rv->as_string());
  }
  store_.replace(std::move(items));
  ++lists_;
  {
    std::lock_guard lock(mu_);
    version_ = version;
    synced_ = true;
    error_ = ok_status();
  }
  cv_.notify_all();
  return true;
}

void WatchCache::run() {
  auto log = component_logger("kubernetes");
  std::chrono::milliseconds backoff = options_.retry_first;
  bool reported = false;  // one warning per outage, not one per retry
  while (!stopping_) {
    std::string version;
    {
      std::lock_guard lock(mu_);
      version = version_;
    }
    if (version.empty()) {
      if (!list()) {
        if (!reported) log->warn("cannot read {}: {}", options_.what, status().message());
        reported = true;
        wait(backoff);
        backoff = std::min(backoff * 2, options_.retry_max);
        continue;
      }
      if (reported) log->info("reading {} again", options_.what);
      reported = false;
      backoff = options_.retry_first;
      std::lock_guard lock(mu_);
      version = version_;
    }
    const auto watch_started = std::chrono::steady_clock::now();
    auto watched = client_->watch(
        path_, version, options_.watch_duration,
        [&](const WatchEvent& event) {
          if (event.type == "ADDED" || event.type == "MODIFIED" || event.type == "DELETED") store_.apply(event);
          return !stopping_.load();
        },
        &stopping_);
    if (stopping_) break;
    if (watched) {
      backoff = options_.retry_first;
      {
        std::lock_guard lock(mu_);
        version_ = *watched;  // resume from the newest version seen (a bookmark's at the end)
        if (version_.empty()) synced_ = false;
      }
      // A server (or proxy) that ends watches at once must not turn this into a busy loop.
      if (std::chrono::steady_clock::now() - watch_started < std::chrono::seconds(1)) wait(options_.retry_first);
    } else if (watched.status().code() == Code::aborted) {
      std::lock_guard lock(mu_);
      version_.clear();  // 410 Gone: the list is the only way back; the contents stay usable
    } else {
      log->warn("watching {} failed: {}; listing again", options_.what, watched.status().message());
      fail(watched.status());
      wait(backoff);
      backoff = std::min(backoff * 2, options_.retry_max);
    }
  }
}

void ObjectStore::replace(std::vector<json::object> items) {
  std::map<std::string, json::object> objects;
  for (auto& item : items) {
    std::string key = object_key(item);
    objects.emplace(std::move(key), trim_ ? trim_(item) : std::move(item));
  }
  std::lock_guard lock(mu_);
  objects_ = std::move(objects);
  ++generation_;
}

void ObjectStore::apply(const WatchEvent& event) {
  std::string key = object_key(event.object);
  std::lock_guard lock(mu_);
  if (event.type == "DELETED") objects_.erase(key);
  else objects_[key] = trim_ ? trim_(event.object) : event.object;
  ++generation_;
}

std::vector<json::object> ObjectStore::snapshot() const {
  std::lock_guard lock(mu_);
  std::vector<json::object> out;
  out.reserve(objects_.size());
  for (const auto& [key, object] : objects_) out.push_back(object);
  return out;
}

ObjectCache::ObjectCache(std::shared_ptr<KubeClient> client, const std::vector<std::string>& paths,
                         WatchCacheOptions options, ObjectStore::Trim trim) {
  for (const std::string& path : paths) collections_.push_back(std::make_unique<Collection>(client, path, options, trim));
}

void ObjectCache::start() {
  for (auto& c : collections_) c->watch.start();
}

void ObjectCache::stop() {
  for (auto& c : collections_) c->watch.stop();
}

Result<std::vector<json::object>> ObjectCache::objects(std::size_t collection) const {
  if (collection >= collections_.size()) return internal_error("no such collection in this cache");
  const Collection& c = *collections_[collection];
  if (Status s = c.watch.status(); !s.ok()) return s;
  return c.store.snapshot();
}

bool ObjectCache::wait_synced(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (const auto& c : collections_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (!c->watch.wait_synced(std::max(left, std::chrono::milliseconds(0)))) return false;
  }
  return true;
}

Status ObjectCache::status() const {
  for (const auto& c : collections_) {
    if (Status s = c->watch.status(); !s.ok()) return s;
  }
  return ok_status();
}

int ObjectCache::lists() const {
  int n = 0;
  for (const auto& c : collections_) n += c->watch.lists();
  return n;
}

uint64_t ObjectCache::generation() const {
  uint64_t n = 0;
  for (const auto& c : collections_) n += c->store.generation();
  return n;
}

}  // namespace k4ds::kubernetes
