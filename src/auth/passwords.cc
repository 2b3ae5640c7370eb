#include "auth/passwords.h"

#include <sodium.h>

#include <stdexcept>

namespace k4ds {

void ensure_sodium_initialized() {
  static const bool initialized = [] {
    if (sodium_init() < 0) throw std::runtime_error("libsodium could not be initialized");
    return true;
  }();
  (void)initialized;
}

PasswordCost PasswordCost::interactive() {
  return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
}
PasswordCost PasswordCost::moderate() {
  return {crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE};
}
PasswordCost PasswordCost::minimum() {
  return {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
}

PasswordHasher::PasswordHasher(PasswordCost cost) : cost_(cost) { ensure_sodium_initialized(); }

Result<std::string> PasswordHasher::hash(std::string_view password) const {
  if (password.empty()) return invalid_argument("the password is empty; choose a longer one");
  if (password.size() > kMaxPasswordLength) {
    return invalid_argument("the password is longer than 1024 characters; choose a shorter one");
  }
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), cost_.ops_limit,
                            cost_.mem_limit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    // libsodium fails here only when it cannot allocate mem_limit bytes.
    return unavailable("not enough memory to hash a password right now; try again");
  }
  return std::string(out);
}

bool PasswordHasher::verify(std::string_view stored_hash, std::string_view password) const {
  // The hash must be NUL-terminated inside a buffer of crypto_pwhash_STRBYTES.
  if (stored_hash.empty() || stored_hash.size() >= crypto_pwhash_STRBYTES) return false;
  if (password.size() > kMaxPasswordLength) return false;
  char buf[crypto_pwhash_STRBYTES] = {};
  stored_hash.copy(buf, stored_hash.size());
  return crypto_pwhash_str_verify(buf, password.data(), password.size()) == 0;
}

void PasswordHasher::verify_dummy(std::string_view password) const {
  std::call_once(dummy_once_, [this] {
    unsigned char random_password[24];
    randombytes_buf(random_password, sizeof random_password);
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str_alg(out, reinterpret_cast<const char*>(random_password),
                              sizeof random_password, cost_.ops_limit, cost_.mem_limit,
                              crypto_pwhash_ALG_ARGON2ID13) == 0) {
      dummy_hash_ = out;
    }
  });
  (void)verify(dummy_hash_, password.substr(0, kMaxPasswordLength));
}

bool PasswordHasher::needs_rehash(std::string_view stored_hash) const {
  if (stored_hash.empty() || stored_hash.size() >= crypto_pwhash_STRBYTES) return true;
  char buf[crypto_pwhash_STRBYTES] = {};
  stored_hash.copy(buf, stored_hash.size());
  // 1 = other parameters, -1 = not an argon2id hash at all: both mean "hash it again".
  return crypto_pwhash_str_needs_rehash(buf, cost_.ops_limit, cost_.mem_limit) != 0;
}

std::string generate_password(Random& random) { return random_token(random, 15); }

}  // namespace k4ds
