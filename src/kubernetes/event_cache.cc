#include "kubernetes/event_cache.h"

#include <algorithm>

#include "kubernetes/names.h"

namespace k4ds::kubernetes {
namespace json = boost::json;

namespace {

std::string text_at(const json::object& o, std::string_view a, std::string_view b) {
  auto* outer = o.if_contains(a);
  if (!outer || !outer->is_object()) return "";
  auto* v = outer->as_object().if_contains(b);
  return v && v->is_string() ? std::string(v->as_string()) : "";
}

std::string text_of(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : "";
}

// The uid of the workspace Pod an Event is about; "" when it is about anything else.
std::string pod_uid_of(const json::object& event) {
  if (text_at(event, "involvedObject", "kind") != "Pod") return "";
  if (!text_at(event, "involvedObject", "name").starts_with(kWorkspacePodPrefix)) return "";
  return text_at(event, "involvedObject", "uid");
}

// When it last happened, to the second (RFC 3339 times compare as text): lastTimestamp for
// core/v1 Events, eventTime for those written through events.k8s.io, else creation.
std::string when(const json::object& event) {
  std::string t = text_of(event, "lastTimestamp");
  if (t.empty()) t = text_of(event, "eventTime");
  if (t.empty()) t = text_at(event, "metadata", "creationTimestamp");
  return t.substr(0, 19);
}

}  // namespace

void EventStore::insert(PodEvents& pod, json::object event) {
  const std::string name = text_at(event, "metadata", "name");
  // The same Event again (its count went up): it moves to where its new time puts it.
  std::erase_if(pod.events, [&](const json::object& e) { return text_at(e, "metadata", "name") == name; });
  const std::string at = when(event);
  auto it = std::find_if(pod.events.begin(), pod.events.end(), [&](const json::object& e) { return when(e) > at; });
  pod.events.insert(it, std::move(event));
  while (pod.events.size() > options_.per_pod) pod.events.pop_front();
  pod.updated = std::chrono::steady_clock::now();
}

void EventStore::bound() {
  while (by_pod_.size() > options_.max_pods) {
    auto oldest = by_pod_.end();
    for (auto it = by_pod_.begin(); it != by_pod_.end(); ++it) {
      if (oldest == by_pod_.end() || (!it->second.seen && oldest->second.seen) ||
          (it->second.seen == oldest->second.seen && it->second.updated < oldest->second.updated)) {
        oldest = it;
      }
    }
    by_pod_.erase(oldest);
  }
}

void EventStore::replace(std::vector<json::object> items) {
  std::lock_guard lock(mu_);
  std::unordered_map<std::string, PodEvents> fresh;
  // Oldest first, so insert() keeps the newest per_pod of each Pod.
  std::stable_sort(items.begin(), items.end(), [](const json::object& a, const json::object& b) { return when(a) < when(b); });
  for (auto& item : items) {
    std::string uid = pod_uid_of(item);
    if (uid.empty()) continue;
    PodEvents& pod = fresh[uid];
    if (auto was = by_pod_.find(uid); was != by_pod_.end()) pod.seen = was->second.seen;
    insert(pod, std::move(item));
  }
  by_pod_ = std::move(fresh);
  bound();
}

void EventStore::apply(const WatchEvent& event) {
  std::string uid = pod_uid_of(event.object);
  if (uid.empty()) return;
  std::lock_guard lock(mu_);
  if (event.type == "DELETED") {  // the Event expired (its TTL, one hour by default)
    auto it = by_pod_.find(uid);
    if (it == by_pod_.end()) return;
    const std::string name = text_at(event.object, "metadata", "name");
    std::erase_if(it->second.events, [&](const json::object& e) { return text_at(e, "metadata", "name") == name; });
    if (it->second.events.empty()) by_pod_.erase(it);
    return;
  }
  insert(by_pod_[uid], event.object);
  bound();
}

std::vector<json::object> EventStore::events_for(const std::string& pod_uid) const {
  std::lock_guard lock(mu_);
  auto it = by_pod_.find(pod_uid);
  if (it == by_pod_.end()) return {};
  return {it->second.events.begin(), it->second.events.end()};
}

void EventStore::retain(const std::set<std::string>& live) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  for (auto it = by_pod_.begin(); it != by_pod_.end();) {
    PodEvents& pod = it->second;
    if (live.contains(it->first)) {
      pod.seen = true;
      ++it;
    } else if (pod.seen || now - pod.updated > options_.grace) {
      it = by_pod_.erase(it);
    } else {
      ++it;
    }
  }
}

std::size_t EventStore::pods() const {
  std::lock_guard lock(mu_);
  return by_pod_.size();
}

}  // namespace k4ds::kubernetes
