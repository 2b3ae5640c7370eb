// Quantities: CPU in millicores and memory in bytes, exact, with refusals that say what to write.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "model/validation.h"

namespace k4ds {
namespace {

using ::testing::HasSubstr;

struct QuantityCase {
  std::string text;
  int64_t want = 0;     // when accepted
  std::string refusal;  // non-empty: expected piece of the message
};

template <class Parse>
void run_table(Parse parse, const std::vector<QuantityCase>& cases) {
  for (const auto& c : cases) {
    Result<int64_t> got = parse(c.text);
    if (c.refusal.empty()) {
      ASSERT_TRUE(got.ok()) << '"' << c.text << "\": " << got.status().to_string();
      EXPECT_EQ(*got, c.want) << '"' << c.text << '"';
    } else {
      ASSERT_FALSE(got.ok()) << '"' << c.text << "\" gave " << *got;
      EXPECT_EQ(got.status().code(), Code::invalid_argument) << '"' << c.text << '"';
      EXPECT_THAT(got.status().message(), HasSubstr(c.refusal)) << '"' << c.text << '"';
    }
  }
}

constexpr int64_t kKi = 1024;
constexpr int64_t kMi = kKi * 1024;
constexpr int64_t kGi = kMi * 1024;
constexpr int64_t kEi = kGi * 1024 * 1024 * 1024;
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

TEST(ParseCpu, Table) {
  const std::string hint = "use a number of CPUs such as 2 or 0.5, or millicores such as 500m";
  run_table(parse_cpu, {
                           {"2", 2000},
                           {"0.5", 500},
                           {"500m", 500},
                           {"1.5", 1500},
                           {"0.001", 1},
                           {"0.0010", 1},
                           {"0", 0},
                           {"0m", 0},
                           {"64", 64000},
                           {"1.250", 1250},
                           {"9223372036854775807m", kMax},
                           {"0.0005", 0, "finer than 1 millicore"},
                           {"1.5m", 0, "finer than 1 millicore"},
                           {"-1", 0, "negative"},
                           {"-500m", 0, "negative"},
                           {"", 0, "empty"},
                           {"abc", 0, "\"abc\" is not a CPU quantity; " + hint},
                           {"2x", 0, "\"2x\" is not a CPU quantity; " + hint},
                           {"2 ", 0, "is not a CPU quantity"},
                           {" 2", 0, "is not a CPU quantity"},
                           {"1e3", 0, "is not a CPU quantity"},
                           {"+2", 0, "is not a CPU quantity"},
                           {".5", 0, "is not a CPU quantity"},
                           {"1.", 0, "is not a CPU quantity"},
                           {"2M", 0, "is not a CPU quantity"},
                           {"9223372036854775808m", 0, "too large"},
                           {"9223372036854776", 0, "too large"},
                           {"99999999999999999999999999999999999999", 0, "too large"},
                       });
}

TEST(ParseMemory, Table) {
  run_table(parse_memory,
            {
                {"512Mi", 512 * kMi},
                {"8Gi", 8 * kGi},
                {"1G", 1000'000'000},
                {"1000", 1000},
                {"0", 0},
                {"1.5Gi", 3 * kGi / 2},
                {"0.5Ki", 512},
                {"1k", 1000},
                {"2M", 2000'000},
                {"1Ti", 1024 * kGi},
                {"1Pi", 1024 * 1024 * kGi},
                {"1Ei", kEi},
                {"7Ei", 7 * kEi},
                {"1.5E", 1500'000'000'000'000'000},
                {"0.001k", 1},
                {"1.50Gi", 3 * kGi / 2},
                {"9223372036854775807", kMax},
                {"1.5", 0, "\"1.5\" is not a whole number of bytes"},
                {"0.3Ki", 0, "not a whole number of bytes"},
                {"0.0001k", 0, "not a whole number of bytes"},
                {"8GB", 0, "\"8GB\" is not a quantity; use 8Gi"},
                {"8gb", 0, "\"8gb\" is not a quantity; use 8Gi"},
                {"512MB", 0, "use 512Mi"},
                {"1.5GB", 0, "use 1.5Gi"},
                {"4KB", 0, "use 4Ki"},
                {"8g", 0, "use 8Gi"},
                {"8GiB", 0, "use 8Gi"},
                {"8gi", 0, "use 8Gi"},
                {"8K", 0, "use 8Ki"},
                {"1TB", 0, "use 1Ti"},
                {"-1Gi", 0, "negative"},
                {"-1", 0, "negative"},
                {"", 0, "empty"},
                {"abc", 0, "\"abc\" is not a memory quantity; use bytes with a binary suffix"},
                {"8 Gi", 0, "is not a memory quantity"},
                {"8Gi ", 0, "is not a memory quantity"},
                {"1e9", 0, "is not a memory quantity"},
                {"Gi", 0, "is not a memory quantity"},
                {"8Xi", 0, "is not a memory quantity"},
                {"8Ei", 0, "too large"},
                {"9223372036854775808", 0, "too large"},
                {"99999999999999999999999999999999999999Ei", 0, "too large"},
                {"0.1234567890123456789Ei", 0, "too many decimal places"},
            });
}

TEST(ParseCount, Table) {
  run_table(parse_count, {
                             {"0", 0},
                             {"1", 1},
                             {"4", 4},
                             {"1000", 1000},
                             {"-1", 0, "is not a count; use a whole number that is 0 or more"},
                             {"1.5", 0, "is not a count"},
                             {"1.0", 0, "is not a count"},
                             {"", 0, "is not a count"},
                             {"two", 0, "is not a count"},
                             {"2k", 0, "is not a count"},
                             {"99999999999999999999", 0, "too large"},
                         });
}

TEST(FormatCpu, ReadsNaturally) {
  EXPECT_EQ(format_cpu(2000), "2");
  EXPECT_EQ(format_cpu(1500), "1.5");
  EXPECT_EQ(format_cpu(500), "500m");
  EXPECT_EQ(format_cpu(1), "1m");
  EXPECT_EQ(format_cpu(1001), "1.001");
  EXPECT_EQ(format_cpu(0), "0");
}

TEST(FormatMemory, PrefersTheLargestExactSuffix) {
  EXPECT_EQ(format_memory(8589934592), "8Gi");
  EXPECT_EQ(format_memory(3 * kGi / 2), "1536Mi");
  EXPECT_EQ(format_memory(512), "512");
  EXPECT_EQ(format_memory(1024), "1Ki");
  EXPECT_EQ(format_memory(1000'000'000), "1G");
  EXPECT_EQ(format_memory(1001), "1001");
  EXPECT_EQ(format_memory(0), "0");
}

TEST(Format, RoundTripsThroughParse) {
  for (int64_t millis : {int64_t{0}, int64_t{1}, int64_t{999}, int64_t{1000}, int64_t{1001},
                         int64_t{1500}, int64_t{2250}, int64_t{64000}, kMax}) {
    Result<int64_t> back = parse_cpu(format_cpu(millis));
    ASSERT_TRUE(back.ok()) << millis << ": " << back.status().to_string();
    EXPECT_EQ(*back, millis);
  }
  for (int64_t bytes : {int64_t{0}, int64_t{1}, int64_t{1000}, int64_t{1023}, kKi,
                        int64_t{1000'000'000}, 3 * kGi / 2,
                        8 * kGi, 1536 * kKi + 1, 7 * kEi,
                        kMax}) {
    Result<int64_t> back = parse_memory(format_memory(bytes));
    ASSERT_TRUE(back.ok()) << bytes << ": " << back.status().to_string();
    EXPECT_EQ(*back, bytes);
  }
}

}  // namespace
}  // namespace k4ds
