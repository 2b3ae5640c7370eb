// GenerationCache: a bounded, thread-safe cache of values keyed by (credential, workspace) that
// is invalidated all at once by bumping a generation number (the change feed does, on any
// change that can alter a decision). Sharded so concurrent I/O threads rarely contend.
//
// Contract: get() returns a value only if it was stored in the current generation. put() drops
// the value if the generation moved since `generation_read` was taken (a decision computed
// before an invalidation is never kept). Memory is bounded by max_entries.
//
// Usage:
//   uint64_t gen = cache.generation();
//   if (auto hit = cache.get(session_hash, workspace_id)) return *hit;
//   Value v = decide();  cache.put(session_hash, workspace_id, v, gen);
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace k4ds {

template <class Value>
class GenerationCache {
 public:
  explicit GenerationCache(std::size_t max_entries = 100'000)
      : max_per_shard_(std::max<std::size_t>(1, max_entries / kShards)), shards_(new Shard[kShards]) {}

  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  // Drops every cached value (lazily: old entries are simply never returned).
  void invalidate_all() { generation_.fetch_add(1, std::memory_order_acq_rel); }

  std::optional<Value> get(std::string_view credential, std::string_view workspace_id) const {
    char buffer[kStackKey];
    std::string heap;
    std::string_view key = make_key(credential, workspace_id, buffer, heap);
    const uint64_t current = generation();
    Shard& shard = shard_for(key);
    std::lock_guard lock(shard.mutex);
    auto it = shard.entries.find(key);
    if (it == shard.entries.end() || it->second.generation != current) return std::nullopt;
    return it->second.value;
  }

  void put(std::string_view credential, std::string_view workspace_id, Value value,
           uint64_t generation_read) {
    char buffer[kStackKey];
    std::string heap;
    std::string_view key = make_key(credential, workspace_id, buffer, heap);
    Shard& shard = shard_for(key);
    std::lock_guard lock(shard.mutex);
    // Checked under the lock, so an invalidation that happened while the value was being
    // computed wins; one that happens right after this is seen by the next get().
    const uint64_t current = generation();
    if (generation_read != current) return;
    auto it = shard.entries.find(key);
    if (it != shard.entries.end()) {
      it->second = Entry{std::move(value), current};
      return;
    }
    if (shard.entries.size() >= max_per_shard_) {
      if (shard.swept_generation != current) {  // one sweep per generation, not one per put
        std::erase_if(shard.entries, [&](const auto& kv) { return kv.second.generation != current; });
        shard.swept_generation = current;
      }
      // Still full of live entries: drop an arbitrary one. A miss costs one decision.
      if (shard.entries.size() >= max_per_shard_) shard.entries.erase(shard.entries.begin());
    }
    shard.entries.emplace(std::string(key), Entry{std::move(value), current});
  }

  std::size_t size() const {
    std::size_t total = 0;
    for (std::size_t i = 0; i < kShards; ++i) {
      std::lock_guard lock(shards_[i].mutex);
      total += shards_[i].entries.size();
    }
    return total;
  }

 private:
  // "<credential>\n<workspace id>"; neither part contains a newline.
  static constexpr char kKeySeparator = '\n';
  static constexpr std::size_t kStackKey = 192;
  static constexpr std::size_t kShards = 16;

  struct Entry {
    Value value;
    uint64_t generation = 0;
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, Entry, Hash, std::equal_to<>> entries;
    uint64_t swept_generation = 0;  // stale entries were last removed at this generation
  };

  // Builds the key into `buffer` when it fits (the hot path: a 64-char hash and a 36-char
  // UUID), else into `heap`.
  static std::string_view make_key(std::string_view credential, std::string_view workspace,
                                   char (&buffer)[kStackKey], std::string& heap) {
    std::size_t size = credential.size() + workspace.size() + 1;
    if (size <= kStackKey) {
      credential.copy(buffer, credential.size());
      buffer[credential.size()] = kKeySeparator;
      workspace.copy(buffer + credential.size() + 1, workspace.size());
      return {buffer, size};
    }
    heap.append(credential).push_back(kKeySeparator);
    heap.append(workspace);
    return heap;
  }

  Shard& shard_for(std::string_view key) const { return shards_[Hash{}(key) % kShards]; }

  std::size_t max_per_shard_;
  std::atomic<uint64_t> generation_{1};
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace k4ds
