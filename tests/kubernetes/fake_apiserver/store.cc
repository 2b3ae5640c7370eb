// The test API server's objects, resource versions, change history, logs and state file.
#include "store.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "selectors.h"

namespace k4ds::fake_apiserver {
namespace json = boost::json;

Object ObjectMap::get(const std::string& key) const {
  auto it = index_.find(key);
  return it == index_.end() ? nullptr : it->second->second;
}

void ObjectMap::put(const std::string& key, Object object) {
  if (auto it = index_.find(key); it != index_.end()) {
    it->second->second = std::move(object);
    return;
  }
  items_.emplace_back(key, std::move(object));
  index_.emplace(key, std::prev(items_.end()));
}

Object ObjectMap::erase(const std::string& key) {
  auto it = index_.find(key);
  if (it == index_.end()) return nullptr;
  Object removed = std::move(it->second->second);
  items_.erase(it->second);
  index_.erase(it);
  return removed;
}

Store::Store(std::string state_file) : state_file_(std::move(state_file)) {
  if (state_file_.empty() || !std::filesystem::exists(state_file_)) return;
  std::ifstream in(state_file_);
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  json::value saved = json::parse(text.str(), ec);
  if (ec || !saved.is_object()) {
    throw std::runtime_error("the state file " + state_file_ + " is not JSON (" + ec.message() +
                             "); delete it to start with no objects");
  }
  const json::object& s = saved.get_object();
  try {
    for (const auto& [key, object] : s.at("store").as_object()) {
      objects.put(key, std::make_shared<const json::object>(object.as_object()));
    }
    for (const auto& [pod, text] : s.at("logs").as_object()) logs[pod] = std::string(text.as_string());
    version = compacted = s.at("rv").to_number<int64_t>();
  } catch (const std::exception& e) {
    throw std::runtime_error("the state file " + state_file_ + " lacks rv, store or logs (" + e.what() +
                             "); delete it to start with no objects");
  }
}

void Store::record(const std::string& type, const std::string& key, Object object) {
  events.push_back(Event{version, type, key, std::move(object)});
  if (!state_file_.empty()) save();
  changed.notify_all();
}

std::string& Store::log_of(const std::string& pod_path) {
  auto it = logs.find(pod_path);
  if (it == logs.end()) it = logs.emplace(pod_path, "log of " + last_part(pod_path) + "\n").first;
  return it->second;
}

std::vector<Event>::const_iterator Store::events_after(int64_t after) const {
  return std::upper_bound(events.begin(), events.end(), after,
                          [](int64_t v, const Event& e) { return v < e.version; });
}

void Store::save() const {
  json::object store;
  for (const auto& [key, object] : objects) store.emplace(key, *object);
  json::object saved_logs;
  for (const auto& [pod, text] : logs) saved_logs.emplace(pod, text);
  json::object state{{"rv", version}, {"store", std::move(store)}, {"logs", std::move(saved_logs)}};
  const std::string tmp = state_file_ + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << json::serialize(state);
  }
  std::filesystem::rename(tmp, state_file_);
}

}  // namespace k4ds::fake_apiserver
