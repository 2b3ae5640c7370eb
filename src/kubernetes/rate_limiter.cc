#include "kubernetes/rate_limiter.h"

#include <algorithm>

namespace k4ds::kubernetes {

TokenBucket::TokenBucket(double qps, int burst)
    : qps_(qps), burst_(std::max(1, burst)), tokens_(burst_), updated_(std::chrono::steady_clock::now()) {}

void TokenBucket::refill(std::chrono::steady_clock::time_point now) {
  if (now > updated_) {
    const double seconds = std::chrono::duration<double>(now - updated_).count();
    tokens_ = std::min<double>(burst_, tokens_ + seconds * qps_);
  }
  updated_ = now;
}

void TokenBucket::set(double qps, int burst) {
  std::lock_guard lock(mu_);
  refill(std::chrono::steady_clock::now());
  qps_ = qps;
  burst_ = std::max(1, burst);
  tokens_ = std::min<double>(tokens_, burst_);
}

std::chrono::nanoseconds TokenBucket::reserve(std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mu_);
  if (qps_ <= 0) return std::chrono::nanoseconds(0);
  refill(now);
  tokens_ -= 1;
  if (tokens_ >= 0) return std::chrono::nanoseconds(0);
  return std::chrono::nanoseconds(static_cast<int64_t>(-tokens_ / qps_ * 1e9));
}

double TokenBucket::qps() const {
  std::lock_guard lock(mu_);
  return qps_;
}

int TokenBucket::burst() const {
  std::lock_guard lock(mu_);
  return burst_;
}

}  // namespace k4ds::kubernetes
