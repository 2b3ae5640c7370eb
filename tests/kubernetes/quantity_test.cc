// Kubernetes quantities as the API server reads them, and the token bucket of the client's
// rate limit (pure parts; the client's timing is tested against the fake API server).
#include "kubernetes/quantity.h"

#include <gtest/gtest.h>

#include "kubernetes/rate_limiter.h"

namespace k4ds::kubernetes {
namespace {

TEST(KubernetesQuantity, EveryNotationANodeOrLimitMayUse) {
  struct Case {
    const char* text;
    int scale;
    std::optional<int64_t> want;
  };
  const Case cases[] = {
      // plain, fractions, signs
      {"4", 0, 4}, {"4", 3, 4000}, {"0", 0, 0}, {"1.5", 3, 1500}, {".5", 3, 500}, {"5.", 0, 5}, {"+2", 0, 2},
      {"0.1", 0, 1},  // rounded up, as Kubernetes' Value() does
      // milli and smaller
      {"250m", 3, 250}, {"3920m", 3, 3920}, {"250m", 0, 1}, {"0.5m", 3, 1}, {"100u", 3, 1}, {"500000n", 3, 1},
      {"1000000n", 3, 1},
      // decimal SI
      {"1k", 0, 1000}, {"1M", 0, 1000000}, {"1G", 0, 1000000000}, {"2T", 0, 2000000000000}, {"1P", 0, 1000000000000000},
      {"1E", 0, 1000000000000000000}, {"1.5G", 0, 1500000000},
      // binary SI
      {"1Ki", 0, 1024}, {"16318480Ki", 0, int64_t{16318480} * 1024}, {"15Gi", 0, int64_t{15} << 30},
      {"1.5Gi", 0, int64_t{3} << 29}, {"1Ti", 0, int64_t{1} << 40}, {"1Pi", 0, int64_t{1} << 50},
      {"7Ei", 0, int64_t{7} << 60},
      // decimal exponents
      {"1e3", 0, 1000}, {"1E3", 0, 1000}, {"129e6", 0, 129000000}, {"12e-1", 3, 1200}, {"1e+2", 0, 100},
      {"5e-3", 3, 5},
      // not quantities
      {"", 0, std::nullopt}, {"Gi", 0, std::nullopt}, {"x", 0, std::nullopt}, {"1 Gi", 0, std::nullopt},
      {"1GB", 0, std::nullopt}, {"1g", 0, std::nullopt}, {"0x10", 0, std::nullopt}, {"1e", 0, std::nullopt},
      {"inf", 0, std::nullopt}, {"1..2", 0, std::nullopt}, {"1Ki1", 0, std::nullopt}, {".", 0, std::nullopt},
      // too large for int64
      {"8Ei", 0, std::nullopt}, {"10E", 0, std::nullopt}, {"1e30", 0, std::nullopt}, {"9E", 3, std::nullopt},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(parse_quantity(c.text, c.scale), c.want) << "\"" << c.text << "\" scale " << c.scale;
  }
  EXPECT_EQ(parse_quantity("-1", 0), -1) << "the grammar allows a sign; callers refuse negatives";
}

TEST(KubernetesRateLimit, BurstThenOneTokenPerInterval) {
  using std::chrono::milliseconds;
  TokenBucket bucket(10, 3);  // 3 at once, then one every 100 ms
  const auto t0 = std::chrono::steady_clock::now() + std::chrono::seconds(1);  // the bucket is full by then
  for (int i = 0; i < 3; ++i) EXPECT_EQ(bucket.reserve(t0), std::chrono::nanoseconds(0)) << i;
  EXPECT_EQ(bucket.reserve(t0), milliseconds(100));
  EXPECT_EQ(bucket.reserve(t0), milliseconds(200)) << "queued behind the fourth";
  using Ms = std::chrono::duration<double, std::milli>;
  EXPECT_NEAR(Ms(bucket.reserve(t0 + milliseconds(150))).count(), 150, 0.001)
      << "1.5 tokens refilled, 3 promised";
  EXPECT_EQ(bucket.reserve(t0 + milliseconds(1000)), std::chrono::nanoseconds(0)) << "refilled to the burst";

  TokenBucket unlimited(0, 1);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(unlimited.reserve(), std::chrono::nanoseconds(0));
  unlimited.set(1, 1);  // one left on hand (at most the new burst), then one per second
  EXPECT_EQ(unlimited.reserve(), std::chrono::nanoseconds(0));
  EXPECT_GT(unlimited.reserve(), std::chrono::milliseconds(900));
}

}  // namespace
}  // namespace k4ds::kubernetes
