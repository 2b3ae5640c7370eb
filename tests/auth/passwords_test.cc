#include "auth/passwords.h"

#include <gtest/gtest.h>

namespace k4ds {
namespace {

TEST(PasswordHasher, HashesWithArgon2idAndVerifies) {
  PasswordHasher hasher(PasswordCost::minimum());
  Result<std::string> hash = hasher.hash("correct horse battery staple");
  ASSERT_TRUE(hash.ok()) << hash.status().to_string();
  EXPECT_TRUE(hash->starts_with("$argon2id$")) << *hash;
  EXPECT_TRUE(hasher.verify(*hash, "correct horse battery staple"));
  EXPECT_FALSE(hasher.verify(*hash, "correct horse battery stapl"));
  EXPECT_FALSE(hasher.verify(*hash, ""));
}

TEST(PasswordHasher, SamePasswordNeverHashesTheSameTwice) {
  PasswordHasher hasher(PasswordCost::minimum());
  auto a = hasher.hash("pw");
  auto b = hasher.hash("pw");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);  // random salt
  EXPECT_TRUE(hasher.verify(*a, "pw"));
  EXPECT_TRUE(hasher.verify(*b, "pw"));
}

TEST(PasswordHasher, InteractiveCostIsTheDefault) {
  PasswordHasher hasher;
  auto hash = hasher.hash("pw");
  ASSERT_TRUE(hash.ok());
  EXPECT_NE(hash->find("m=65536,t=2"), std::string::npos) << *hash;
  EXPECT_FALSE(hasher.needs_rehash(*hash));
}

TEST(PasswordHasher, RefusesEmptyAndHugePasswords) {
  PasswordHasher hasher(PasswordCost::minimum());
  EXPECT_EQ(hasher.hash("").status().code(), Code::invalid_argument);
  EXPECT_EQ(hasher.hash(std::string(kMaxPasswordLength + 1, 'x')).status().code(),
            Code::invalid_argument);
}

TEST(PasswordHasher, MalformedHashesVerifyNothing) {
  PasswordHasher hasher(PasswordCost::minimum());
  for (std::string_view bad : {"", "plain", "$argon2id$garbage", "$2b$10$bcrypthashxxxxxxxxx"}) {
    EXPECT_FALSE(hasher.verify(bad, "plain")) << bad;
    EXPECT_TRUE(hasher.needs_rehash(bad)) << bad;
  }
}

TEST(PasswordHasher, NeedsRehashWhenTheCostChanged) {
  PasswordHasher cheap(PasswordCost::minimum());
  PasswordHasher interactive(PasswordCost::interactive());
  auto hash = cheap.hash("pw");
  ASSERT_TRUE(hash.ok());
  EXPECT_FALSE(cheap.needs_rehash(*hash));
  EXPECT_TRUE(interactive.needs_rehash(*hash));
  EXPECT_TRUE(interactive.verify(*hash, "pw"));  // old hashes keep working meanwhile
}

TEST(PasswordHasher, DummyVerifyCostsAsMuchAsARealOne) {
  PasswordHasher hasher(PasswordCost::interactive());
  auto hash = hasher.hash("pw");
  ASSERT_TRUE(hash.ok());
  hasher.verify_dummy("warm-up");  // builds the dummy hash once
  auto time = [](auto fn) {
    auto start = std::chrono::steady_clock::now();
    fn();
    return std::chrono::steady_clock::now() - start;
  };
  auto real = time([&] { (void)hasher.verify(*hash, "wrong"); });
  auto dummy = time([&] { hasher.verify_dummy("wrong"); });
  // Same algorithm and parameters: within a factor of 3 even on a busy machine.
  EXPECT_GT(dummy * 3, real);
  EXPECT_GT(real * 3, dummy);
}

TEST(GeneratePassword, IsTwentyUrlSafeCharactersAndRandom) {
  auto services = Services::system();
  std::string a = generate_password(*services.random);
  std::string b = generate_password(*services.random);
  EXPECT_EQ(a.size(), 20u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
}

}  // namespace
}  // namespace k4ds
