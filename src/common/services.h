// System services injected as one bundle, so tests can swap time and randomness.
//
// Contract: Clock::now() is wall-clock time (used for expiry and timestamps shown to people);
// Random::bytes(n) returns n cryptographically secure random bytes. Both are thread-safe.
//
// Usage:
//   Services services = Services::system();
//   auto expires = services.clock->now() + std::chrono::hours(12);
//   std::string id = random_token(*services.random, 32);
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace k4ds {

using TimePoint = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class Random {
 public:
  virtual ~Random() = default;
  virtual std::string bytes(std::size_t n) = 0;
};

struct Services {
  std::shared_ptr<Clock> clock;
  std::shared_ptr<Random> random;

  static Services system();
};

// Milliseconds since the Unix epoch; how time is stored and sent over the API.
int64_t to_unix_ms(TimePoint t);
TimePoint from_unix_ms(int64_t ms);
// RFC 3339 in UTC with milliseconds: "2026-11-28T11:14:36.123Z".
std::string format_rfc3339(TimePoint t);

// n random bytes encoded as unpadded base64url (for session ids, tokens, codes).
std::string random_token(Random& random, std::size_t n);
// A random RFC 4122 version-4 UUID, lowercase: names volumes and workspaces so they can't be guessed.
std::string random_uuid(Random& random);
// Lowercase hex SHA-256 of data: how high-entropy secrets (sessions, tokens) are stored.
std::string sha256_hex(std::string_view data);
// Constant-time comparison for secrets.
bool secure_equal(std::string_view a, std::string_view b);

}  // namespace k4ds
