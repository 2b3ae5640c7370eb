#include "auth/login_limiter.h"

#include <algorithm>
#include <cctype>
#include <vector>

namespace k4ds {
namespace {

// User names are lowercase; folding case stops "Alice" and "ALICE" from being separate budgets.
std::string user_key(std::string_view user) {
  std::string key(user);
  for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return key;
}

}  // namespace

std::string describe_wait(std::chrono::seconds wait) {
  auto secs = std::max<int64_t>(1, wait.count());
  if (secs < 60) return std::to_string(secs) + (secs == 1 ? " second" : " seconds");
  auto minutes = (secs + 59) / 60;
  return std::to_string(minutes) + (minutes == 1 ? " minute" : " minutes");
}

std::string LoginLimited::message() const {
  const char* what = scope == Scope::user ? "this account" : "your address";
  return std::string("too many failed logins for ") + what + "; try again in " +
         describe_wait(retry_after);
}

LoginLimiter::LoginLimiter(std::shared_ptr<Clock> clock, LoginLimits limits)
    : clock_(std::move(clock)), limits_(limits) {}

std::optional<std::chrono::seconds> LoginLimiter::limited_for(const Table& table,
                                                              const std::string& key, int limit,
                                                              TimePoint now) const {
  if (limit <= 0) return std::nullopt;  // 0 disables this limit
  auto it = table.find(key);
  if (it == table.end()) return std::nullopt;
  const Failures& failures = it->second;
  TimePoint start = now - limits_.window;
  auto in_window = std::count_if(failures.begin(), failures.end(),
                                 [&](TimePoint t) { return t > start; });
  if (in_window < limit) return std::nullopt;
  // The oldest failure that still counts decides when a slot frees up.
  TimePoint oldest = failures[failures.size() - static_cast<std::size_t>(limit)];
  auto wait = std::chrono::ceil<std::chrono::seconds>(oldest + limits_.window - now);
  return std::max(wait, std::chrono::seconds(1));
}

std::optional<LoginLimited> LoginLimiter::check(std::string_view user,
                                                std::string_view address) const {
  TimePoint now = clock_->now();
  std::lock_guard lock(mutex_);
  if (auto wait = limited_for(users_, user_key(user), limits_.per_user, now)) {
    return LoginLimited{LoginLimited::Scope::user, *wait};
  }
  if (auto wait = limited_for(addresses_, std::string(address), limits_.per_address, now)) {
    return LoginLimited{LoginLimited::Scope::address, *wait};
  }
  return std::nullopt;
}

void LoginLimiter::add(Table& table, std::string key, int limit, TimePoint now) {
  if (limit <= 0) return;
  if (table.size() >= limits_.max_keys && !table.contains(key)) evict(table, now);
  Failures& failures = table[std::move(key)];
  failures.push_back(now);
  while (failures.size() > static_cast<std::size_t>(limit)) failures.pop_front();
}

void LoginLimiter::evict(Table& table, TimePoint now) {
  // First drop everything that no longer affects a decision.
  TimePoint start = now - limits_.window;
  std::erase_if(table, [&](const auto& entry) { return entry.second.back() <= start; });
  if (table.size() < limits_.max_keys) return;
  // Still full (a flood of distinct keys): forget the half whose latest failure is oldest.
  // O(n), but only once per max_keys/2 insertions.
  std::vector<std::pair<TimePoint, std::string>> latest;
  latest.reserve(table.size());
  for (const auto& [key, failures] : table) latest.emplace_back(failures.back(), key);
  auto middle = latest.begin() + static_cast<std::ptrdiff_t>(latest.size() / 2);
  std::nth_element(latest.begin(), middle, latest.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto it = latest.begin(); it != middle; ++it) table.erase(it->second);
}

void LoginLimiter::record_failure(std::string_view user, std::string_view address) {
  TimePoint now = clock_->now();
  std::lock_guard lock(mutex_);
  add(users_, user_key(user), limits_.per_user, now);
  add(addresses_, std::string(address), limits_.per_address, now);
}

void LoginLimiter::record_success(std::string_view user) {
  std::lock_guard lock(mutex_);
  users_.erase(user_key(user));
}

std::size_t LoginLimiter::tracked_keys() const {
  std::lock_guard lock(mutex_);
  return users_.size() + addresses_.size();
}

}  // namespace k4ds
