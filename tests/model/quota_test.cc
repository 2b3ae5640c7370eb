// Quota resolution (user, then the most generous group, then the default), what counts as in
// use, and admission messages.
#include "model/quota.h"

#include <gtest/gtest.h>

#include "model/validation.h"

namespace k4ds {
namespace {

Catalog catalog() {
  Catalog c;
  c.sizes = {Size{.name = "small", .cpu_millis = 1000, .memory_bytes = int64_t{2} << 30},
             Size{.name = "gpu", .cpu_millis = 4000, .memory_bytes = int64_t{16} << 30, .gpus = 1}};
  return c;
}

Workspace ws(std::string name, std::string size, DesiredState desired = DesiredState::running,
             Phase phase = Phase::running) {
  return Workspace{.id = "id-" + name, .owner = "alice", .name = std::move(name),
                   .size = std::move(size), .desired = desired, .phase = phase};
}

TEST(QuotaTest, TheUsersOwnQuotaThenTheMostGenerousGroupThenTheDefault) {
  std::vector<Quota> quotas = {
      Quota{.subject = "default", .workspaces = 2, .cpu_millis = 2000, .memory_bytes = 4 << 20, .gpus = 0},
      Quota{.subject = "group:analysts", .cpu_millis = 4000},
      Quota{.subject = "group:gpu", .cpu_millis = 8000, .gpus = 2},
      Quota{.subject = "user:alice", .workspaces = 5},
      Quota{.subject = "user:bob", .gpus = 1},
  };
  QuotaLimits alice = resolve_quota("alice", {"analysts", "gpu"}, quotas);
  EXPECT_EQ(alice.workspaces.value, 5);
  EXPECT_EQ(alice.workspaces.from, "set for alice");
  EXPECT_EQ(alice.cpu_millis.value, 8000) << "the most generous of her groups";
  EXPECT_EQ(alice.cpu_millis.from, "set for group gpu");
  EXPECT_EQ(alice.gpus.value, 2);
  EXPECT_EQ(alice.memory_bytes.value, 4 << 20);
  EXPECT_EQ(alice.memory_bytes.from, "the default for everyone");

  QuotaLimits bob = resolve_quota("bob", {"analysts"}, quotas);
  EXPECT_EQ(bob.gpus.value, 1) << "his own quota beats the default's 0";
  EXPECT_EQ(bob.cpu_millis.value, 4000);
  EXPECT_EQ(bob.workspaces.value, 2);

  QuotaLimits carol = resolve_quota("carol", {}, {});
  EXPECT_FALSE(carol.workspaces.value || carol.cpu_millis.value || carol.memory_bytes.value ||
               carol.gpus.value)
      << "no quota at all: no limits";
  // A group the user is not in does not apply; neither does another user's quota.
  QuotaLimits dave = resolve_quota("dave", {"other"}, quotas);
  EXPECT_EQ(dave.cpu_millis.value, 2000);
  EXPECT_EQ(dave.gpus.value, 0);
}

TEST(QuotaTest, OnlyWorkspacesThatAreWantedRunningAndHaveNotEndedCount) {
  std::vector<Workspace> owned = {
      ws("a", "small"),
      ws("b", "gpu", DesiredState::running, Phase::starting),
      ws("c", "gpu", DesiredState::running, Phase::pending),
      ws("d", "small", DesiredState::stopped, Phase::stopped),
      ws("e", "small", DesiredState::running, Phase::failed),
      ws("f", "small", DesiredState::stopped, Phase::stopping),
      ws("g", "gone-size"),
  };
  QuotaUsage usage = quota_usage(owned, catalog());
  EXPECT_EQ(usage.workspaces, 4);  // a, b, c, g
  EXPECT_EQ(usage.cpu_millis, 9000);
  EXPECT_EQ(usage.memory_bytes, int64_t{34} << 30);
  EXPECT_EQ(usage.gpus, 2);
  EXPECT_EQ(usage.active, (std::vector<std::string>{"a", "b", "c", "g"}));

  QuotaUsage without_b = quota_usage(owned, catalog(), "id-b");
  EXPECT_EQ(without_b.workspaces, 3);
  EXPECT_EQ(without_b.gpus, 1);
}

TEST(QuotaTest, AdmissionNamesEveryLimitPassedAndWhatToDo) {
  QuotaLimits limits = resolve_quota(
      "alice", {"analysts"},
      {Quota{.subject = "group:analysts", .workspaces = 2, .cpu_millis = 5000, .gpus = 1}});
  QuotaUsage usage = quota_usage({ws("a", "small")}, catalog());
  EXPECT_TRUE(admit(limits, usage, catalog().sizes[0], true, "alice").ok());
  EXPECT_TRUE(admit(limits, usage, catalog().sizes[1], true, "alice").ok()) << "1+4 CPUs is the limit";

  QuotaUsage two = quota_usage({ws("a", "small"), ws("b", "gpu")}, catalog());
  Status refused = admit(limits, two, catalog().sizes[1], true, "alice");
  ASSERT_EQ(refused.code(), Code::permission_denied);
  const std::string& m = refused.message();
  EXPECT_NE(m.find("your quota"), std::string::npos) << m;
  EXPECT_NE(m.find("3 active workspaces would be in use, the limit is 2 active workspaces "
                   "(set for group analysts)"),
            std::string::npos) << m;
  EXPECT_NE(m.find("9 CPUs would be in use, the limit is 5 CPUs"), std::string::npos) << m;
  EXPECT_NE(m.find("2 GPUs would be in use, the limit is 1 GPU"), std::string::npos) << m;
  EXPECT_NE(m.find("Stop one of your active workspaces (a, b)"), std::string::npos) << m;
  EXPECT_NE(m.find("ask your k4ds administrator"), std::string::npos) << m;

  Status for_other = admit(limits, two, catalog().sizes[0], false, "alice");
  EXPECT_NE(for_other.message().find("alice's quota"), std::string::npos) << for_other.message();
  EXPECT_EQ(for_other.message().find("GPU"), std::string::npos)
      << "only the limits passed are named: " << for_other.message();

  // A zero limit refuses even the first workspace, and says so plainly.
  QuotaLimits none = resolve_quota("bob", {}, {Quota{.subject = "default", .gpus = 0}});
  Status no_gpu = admit(none, QuotaUsage{}, catalog().sizes[1], true, "bob");
  EXPECT_NE(no_gpu.message().find("1 GPU would be in use, the limit is 0 GPUs (the default for everyone)"),
            std::string::npos) << no_gpu.message();
  EXPECT_NE(no_gpu.message().find(". Choose a smaller size, or ask your k4ds administrator"),
            std::string::npos) << no_gpu.message();
  EXPECT_TRUE(admit(none, QuotaUsage{}, catalog().sizes[0], true, "bob").ok());

  // When only the count is passed, a smaller size would not help: it is not offered.
  QuotaLimits one = resolve_quota("bob", {}, {Quota{.subject = "default", .workspaces = 1}});
  Status count = admit(one, quota_usage({ws("a", "small")}, catalog()), catalog().sizes[0], true, "bob");
  EXPECT_NE(count.message().find(". Stop one of your active workspaces (a), or ask your k4ds administrator"),
            std::string::npos) << count.message();
  EXPECT_EQ(count.message().find("smaller size"), std::string::npos) << count.message();
}

TEST(QuotaTest, ASizeBiggerThanEveryMachineIsRefusedWithTheLargestMachine) {
  Capacity machine{.description = "this machine", .cpu_millis = 2000, .memory_bytes = int64_t{24} << 30,
                   .largest_cpu_millis = 2000, .largest_memory_bytes = int64_t{24} << 30};
  EXPECT_TRUE(fits_capacity(machine, catalog().sizes[0]).ok());
  Status gpu = fits_capacity(machine, catalog().sizes[1]);
  ASSERT_EQ(gpu.code(), Code::failed_precondition);
  EXPECT_NE(gpu.message().find("size gpu needs 1 GPU, but this machine has only 0 GPUs; choose a smaller size"),
            std::string::npos) << gpu.message();
  EXPECT_TRUE(fits_capacity(machine, Size{.name = "wide", .cpu_millis = 8000, .memory_bytes = 1 << 30}).ok())
      << "CPU is shared in time: more CPUs than the machine has still runs";
  Status memory = fits_capacity(machine, Size{.name = "huge", .cpu_millis = 1000, .memory_bytes = int64_t{64} << 30});
  EXPECT_NE(memory.message().find("size huge needs 64 GiB of memory, but this machine has only 24 GiB of memory"),
            std::string::npos)
      << memory.message();
}

TEST(QuotaTest, SubjectsAreDefaultUserOrGroup) {
  EXPECT_TRUE(validate_quota_subject("default").ok());
  EXPECT_TRUE(validate_quota_subject("user:alice").ok());
  EXPECT_TRUE(validate_quota_subject("group:data-team").ok());
  for (const char* bad : {"", "alice", "user:", "group:", "user:Alice", "team:x", "default:x",
                          "user:a)(uid=*"}) {
    EXPECT_EQ(validate_quota_subject(bad).code(), Code::invalid_argument) << bad;
  }
}

TEST(QuotaTest, QuantitiesInPlainWords) {
  EXPECT_EQ(describe_cpu(1000), "1 CPU");
  EXPECT_EQ(describe_cpu(500), "0.5 CPU");
  EXPECT_EQ(describe_cpu(2500), "2.5 CPUs");
  EXPECT_EQ(describe_cpu(0), "0 CPU");
  EXPECT_EQ(describe_memory(int64_t{8} << 30), "8 GiB");
  EXPECT_EQ(describe_memory(int64_t{3} << 29), "1.5 GiB");
  EXPECT_EQ(describe_memory(512 << 20), "512 MiB");
  EXPECT_EQ(describe_memory(1000), "1000 bytes");
}

}  // namespace
}  // namespace k4ds
