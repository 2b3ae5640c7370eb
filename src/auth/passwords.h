// Password hashing for built-in users: argon2id through libsodium's string format
// ("$argon2id$v=19$m=...,t=...,p=1$salt$hash"), so the cost travels with every hash and can be
// raised later (needs_rehash tells the login path to upgrade a hash it just verified).
//
// Contract: hashing and verifying are deliberately slow (tens of milliseconds, tens of MiB) and
// block; call them on a worker thread and never inside a store transaction. Thread-safe.
// verify_dummy() spends the same effort as a real verify, so a login for an unknown user takes
// as long as one with a wrong password.
//
// Usage:
//   PasswordHasher hasher;                       // interactive cost
//   Result<std::string> hash = hasher.hash("correct horse");
//   if (hasher.verify(*hash, attempt)) { if (hasher.needs_rehash(*hash)) ...; }
//   else hasher.verify_dummy(attempt);           // unknown user: same time, same answer
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/services.h"

namespace k4ds {

// argon2id parameters. interactive() is libsodium's recommendation for logins; minimum() is
// only for tests, where dozens of hashes would otherwise cost seconds.
struct PasswordCost {
  unsigned long long ops_limit = 0;
  std::size_t mem_limit = 0;

  static PasswordCost interactive();
  static PasswordCost moderate();
  static PasswordCost minimum();
};

inline constexpr std::size_t kMaxPasswordLength = 1024;

class PasswordHasher {
 public:
  explicit PasswordHasher(PasswordCost cost = PasswordCost::interactive());

  // Refuses an empty or absurdly long password with Code::invalid_argument.
  Result<std::string> hash(std::string_view password) const;
  // True iff password matches the stored hash. A malformed hash verifies nothing.
  bool verify(std::string_view stored_hash, std::string_view password) const;
  // Verifies against a fixed hash of a random password: same cost as verify(), always false.
  void verify_dummy(std::string_view password) const;
  // True when the hash was made with other parameters than this hasher's (or another algorithm).
  bool needs_rehash(std::string_view stored_hash) const;

  const PasswordCost& cost() const { return cost_; }

 private:
  PasswordCost cost_;
  mutable std::once_flag dummy_once_;
  mutable std::string dummy_hash_;
};

// A password for people to copy: 20 base64url characters (120 bits) from Random.
std::string generate_password(Random& random);

// Calls sodium_init() once; safe from any thread. Throws at start-up if libsodium cannot work.
void ensure_sodium_initialized();

}  // namespace k4ds
