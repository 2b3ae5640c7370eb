#include "kubernetes/pod_cache.h"

#include <algorithm>

#include "common/logging.h"

namespace k4ds::kubernetes {
namespace json = boost::json;

namespace {

std::string key_of(const json::object& pod) {
  auto* m = pod.if_contains("metadata");
  if (!m || !m->is_object()) return "";
  auto str = [&](std::string_view k) {
    auto* v = m->as_object().if_contains(k);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
  };
  return str("namespace") + "/" + str("name");
}

}  // namespace

PodCache::PodCache(std::shared_ptr<KubeClient> client, std::string path, PodCacheOptions options)
    : client_(std::move(client)), path_(std::move(path)), options_(options) {}

PodCache::~PodCache() { stop(); }

void PodCache::start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void PodCache::stop() {
  stopping_ = true;
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<std::vector<json::object>> PodCache::pods() const {
  std::lock_guard lock(mu_);
  if (!synced_) return error_;
  std::vector<json::object> out;
  out.reserve(pods_.size());
  for (const auto& [key, pod] : pods_) out.push_back(pod);
  return out;
}

bool PodCache::wait_synced(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return synced_; });
}

void PodCache::fail(const Status& status) {
  std::lock_guard lock(mu_);
  synced_ = false;
  version_.clear();
  error_ = unavailable(status.message());
}

void PodCache::wait(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, d, [&] { return stopping_.load(); });
}

bool PodCache::list() {
  auto listed = client_->get(path_);
  if (!listed || !listed->is_object()) {
    fail(listed ? internal_error("the cluster answered the Pod list with something that is not a list")
                : listed.status());
    return false;
  }
  std::map<std::string, json::object> pods;
  if (auto* items = listed->as_object().if_contains("items"); items && items->is_array()) {
    for (const auto& item : items->as_array()) {
      if (item.is_object()) pods.emplace(key_of(item.as_object()), item.as_object());
    }
  }
  std::string version;
  boost::system::error_code ec;
  if (auto* rv = listed->find_pointer("/metadata/resourceVersion", ec); rv && rv->is_string()) {
    version = std::string(rv->as_string());
  }
  ++lists_;
  {
    std::lock_guard lock(mu_);
    pods_ = std::move(pods);
    version_ = version;
    synced_ = true;
    error_ = ok_status();
  }
  cv_.notify_all();
  return true;
}

void PodCache::run() {
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
        if (!reported) log->warn("cannot read the workspaces' Pods: {}", pods().status().message());
        reported = true;
        wait(backoff);
        backoff = std::min(backoff * 2, options_.retry_max);
        continue;
      }
      if (reported) log->info("reading the workspaces' Pods again");
      reported = false;
      backoff = options_.retry_first;
      std::lock_guard lock(mu_);
      version = version_;
    }
    const auto watch_started = std::chrono::steady_clock::now();
    auto watched = client_->watch(
        path_, version, options_.watch_duration,
        [&](const WatchEvent& event) {
          if (event.type == "BOOKMARK") return !stopping_;
          std::string key = key_of(event.object);
          {
            std::lock_guard lock(mu_);
            if (event.type == "DELETED") pods_.erase(key);
            else if (event.type == "ADDED" || event.type == "MODIFIED") pods_[key] = event.object;
          }
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
      version_.clear();  // 410 Gone: the list is the only way back; the snapshot stays usable
    } else {
      log->warn("watching the workspaces' Pods failed: {}; listing again", watched.status().message());
      fail(watched.status());
      wait(backoff);
      backoff = std::min(backoff * 2, options_.retry_max);
    }
  }
}

}  // namespace k4ds::kubernetes
