// Cgroups against directory trees laid out like the kernel's: what k4ds detects from
// /proc/self/mountinfo and /proc/self/cgroup, and which files it writes for a workspace. This
// machine's kernel has the v1 hierarchy (tested for real in local_runtime_test); this is how the
// unified (v2) hierarchy is covered here, as far as file names and formats go.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "runtime/local/cgroups.h"
#include "runtime/local/files.h"

namespace k4ds {
namespace {

namespace fs = std::filesystem;

class CgroupsLayoutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/k4ds-cgroups-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { fs::remove_all(root_); }
  static void put(const fs::path& file, const std::string& text) {
    fs::create_directories(file.parent_path());
    std::ofstream(file) << text;
  }
  static std::string get(const fs::path& file) { return local::read_file(file.string()).value_or("<missing>"); }
  // A cgroup2 mount at root_/unified with k4ds in /system.slice/k4ds.service.
  std::string v2_mountinfo() const {
    return "25 30 0:22 / /proc rw - proc proc rw\n"
           "31 25 0:26 / " + (root_ / "unified").string() + " rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n";
  }
  fs::path root_;
};

TEST_F(CgroupsLayoutTest, UnifiedHierarchyGetsAGroupNextToK4dsWithTheSizesLimits) {
  const fs::path slice = root_ / "unified" / "system.slice";
  put(slice / "k4ds.service" / "cgroup.controllers", "cpu memory pids");
  put(slice / "k4ds" / "cgroup.procs", "");  // a cgroup directory has this file from the start
  Cgroups c = Cgroups::detect_from(v2_mountinfo(), "0::/system.slice/k4ds.service\n");
  ASSERT_EQ(c.mode(), Cgroups::Mode::v2) << c.describe();
  EXPECT_EQ(c.describe(), "memory, CPU and process limits: cgroup v2 (" + (slice / "k4ds").string() + ")");

  auto dirs = c.create("ws-1", Limits{.memory_bytes = int64_t{1} << 30, .cpu_millis = 1500, .max_pids = 256});
  ASSERT_TRUE(dirs.ok()) << dirs.status().to_string();
  ASSERT_EQ(dirs->size(), 1u) << "one group holds every controller";
  const fs::path group = slice / "k4ds" / "ws-1";
  EXPECT_EQ(dirs->front(), group.string()) << "next to k4ds's own group: v2 allows no processes in inner groups";
  EXPECT_EQ(get(group / "memory.max"), "1073741824");
  EXPECT_EQ(get(group / "memory.swap.max"), "0") << "no swapping past the limit";
  EXPECT_EQ(get(group / "cpu.max"), "150000 100000") << "1.5 CPUs: 150 ms per 100 ms";
  EXPECT_EQ(get(group / "pids.max"), "256");
  EXPECT_EQ(Cgroups::procs_files(*dirs), std::vector<std::string>{(group / "cgroup.procs").string()});

  EXPECT_EQ(Cgroups::oom_kills(*dirs), 0);
  put(group / "memory.events", "low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\noom_group_kill 0\n");
  EXPECT_EQ(Cgroups::oom_kills(*dirs), 1) << "the kernel's count of OOM kills in the group";
}

TEST_F(CgroupsLayoutTest, UnifiedHierarchyWithoutTheMemoryControllerIsNotUsedAndSaysWhy) {
  put(root_ / "unified" / "system.slice" / "k4ds.service" / "cgroup.controllers", "cpu pids");
  Cgroups c = Cgroups::detect_from(v2_mountinfo(), "0::/system.slice/k4ds.service\n");
  EXPECT_EQ(c.mode(), Cgroups::Mode::none);
  EXPECT_EQ(c.describe(), "limits are NOT enforced: the cgroup2 hierarchy at " + (root_ / "unified").string() +
                              " has no memory controller and no v1 memory hierarchy is mounted");
}

TEST_F(CgroupsLayoutTest, AGroupThatCannotBeWrittenIsNotUsedAndSaysWhy) {
  put(root_ / "unified" / "k4ds.service" / "cgroup.controllers", "cpu memory pids");
  // No cgroup.procs in the k4ds group: not a writable cgroup.
  Cgroups c = Cgroups::detect_from(v2_mountinfo(), "0::/k4ds.service\n");
  EXPECT_EQ(c.mode(), Cgroups::Mode::none);
  EXPECT_NE(c.describe().find("cannot write to " + (root_ / "unified" / "k4ds" / "cgroup.procs").string()),
            std::string::npos)
      << c.describe();
}

TEST_F(CgroupsLayoutTest, NoHierarchyAtAllSaysSo) {
  Cgroups c = Cgroups::detect_from("25 30 0:22 / /proc rw - proc proc rw\n", "0::/\n");
  EXPECT_EQ(c.mode(), Cgroups::Mode::none);
  EXPECT_EQ(c.describe(),
            "limits are NOT enforced: no cgroup2 hierarchy is mounted and no v1 memory hierarchy is mounted");
  auto dirs = c.create("ws", Limits{.memory_bytes = 1});
  ASSERT_TRUE(dirs.ok());
  EXPECT_TRUE(dirs->empty());
}

}  // namespace
}  // namespace k4ds
