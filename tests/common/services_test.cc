#include "common/services.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "common/result.h"

namespace k4ds {
namespace {

class FixedRandom final : public Random {
 public:
  std::string bytes(std::size_t n) override { return std::string(n, '\xff'); }
};

TEST(ServicesTest, UuidsAreVersion4AndUnique) {
  auto services = Services::system();
  std::regex shape("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = random_uuid(*services.random);
    EXPECT_TRUE(std::regex_match(id, shape)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(ServicesTest, TokensAreUnpaddedBase64Url) {
  FixedRandom random;
  EXPECT_EQ(random_token(random, 3), "____");
  EXPECT_EQ(random_token(random, 1), "_w");
  EXPECT_EQ(random_token(random, 2), "__8");
  auto services = Services::system();
  std::string token = random_token(*services.random, 32);
  EXPECT_EQ(token.size(), 43u);
  EXPECT_EQ(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
}

TEST(ServicesTest, Sha256MatchesKnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ServicesTest, SecureEqualComparesWholeValues) {
  EXPECT_TRUE(secure_equal("secret", "secret"));
  EXPECT_FALSE(secure_equal("secret", "secreT"));
  EXPECT_FALSE(secure_equal("secret", "secret2"));
}

TEST(ServicesTest, TimesRoundTripAndFormatAsRfc3339Utc) {
  TimePoint t = from_unix_ms(1795864476123);
  EXPECT_EQ(to_unix_ms(t), 1795864476123);
  EXPECT_EQ(format_rfc3339(t), "2026-11-28T11:14:36.123Z");
  EXPECT_EQ(format_rfc3339(from_unix_ms(0)), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339(from_unix_ms(-1)), "1969-12-31T23:59:59.999Z");
}

TEST(ResultTest, CarriesAValueOrAStatusWithItsCode) {
  Result<int> good = 7;
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 7);
  EXPECT_TRUE(good.status().ok());
  Result<int> bad = not_found("no workspace alice/x");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::not_found);
  EXPECT_EQ(bad.status().to_string(), "not_found: no workspace alice/x");
  EXPECT_EQ(code_name(Code::failed_precondition), "failed_precondition");
}

}  // namespace
}  // namespace k4ds
