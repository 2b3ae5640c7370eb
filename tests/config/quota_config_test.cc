// The `quotas:` section: subjects and limits read like the API reads them, every mistake
// reported with its path.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.h"
#include "config_test_support.h"
#include "config/parse_quotas.h"

namespace k4ds {
namespace {

using namespace config_test;  // Problem, AtPath, all_problems

using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;


TEST(QuotaConfigTest, SubjectsAndLimitsAreRead) {
  ParsedConfig parsed = parse_config_text(R"(
quotas:
  default: {workspaces: 3, cpu: "8", memory: 32Gi, gpus: 0}
  group:gpu-team: {gpus: 2}
  user:alice: {workspaces: 10, cpu: 500m}
)");
  ASSERT_THAT(parsed.problems, IsEmpty());
  const auto& q = parsed.config.quotas;
  ASSERT_EQ(q.size(), 3u);
  EXPECT_EQ(q[0].subject, "default");
  EXPECT_EQ(q[0].workspaces, 3);
  EXPECT_EQ(q[0].cpu_millis, 8000);
  EXPECT_EQ(q[0].memory_bytes, int64_t{32} << 30);
  EXPECT_EQ(q[0].gpus, 0);
  EXPECT_EQ(q[0].updated_by, config::kConfigQuotaAuthor);
  EXPECT_EQ(q[1].subject, "group:gpu-team");
  EXPECT_EQ(q[1].gpus, 2);
  EXPECT_EQ(q[1].workspaces, std::nullopt) << "left out = inherited";
  EXPECT_EQ(q[2].cpu_millis, 500);
  EXPECT_TRUE(parse_config_text("domain: localhost\n").config.quotas.empty());
}

TEST(QuotaConfigTest, EveryMistakeIsReportedWithItsPath) {
  ParsedConfig parsed = parse_config_text(R"(
quotas:
  everyone: {workspaces: 3}
  default: {workspaces: -1, cpu: lots, memory: 8GB, disk: 1Ti}
  user:Alice: {gpus: 1}
  group:ok: {gpus: two}
)");
  EXPECT_THAT(parsed.problems,
              UnorderedElementsAre(Problem("quotas.everyone", "not a quota subject"),
                                   Problem("quotas.default.workspaces", "whole number"),
                                   Problem("quotas.default.cpu", "not a CPU quantity"),
                                   Problem("quotas.default.memory", "8GB"),
                                   Problem("quotas.default.disk", "disk"),
                                   Problem("quotas.user:Alice", "user name"),
                                   Problem("quotas.group:ok.gpus", "whole number")));
  EXPECT_TRUE(parsed.config.quotas.empty()) << "a quota with a mistake is not used";
  ParsedConfig not_a_map = parse_config_text("quotas: [default]\n");
  EXPECT_THAT(not_a_map.problems, UnorderedElementsAre(Problem("quotas", "mapping")));
}

}  // namespace
}  // namespace k4ds
