// Extra volumes in a local workspace: the owner's other volumes appear as ~/volumes/<name>; a
// link k4ds made is replaced, what the user put there is kept and reported in the workspace's
// log, and a planted link where the volumes directory should be is refused.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "runtime/local/files.h"
#include "runtime/local/volume_links.h"
#include "runtime_test_support.h"

namespace k4ds::testing {
namespace {

namespace fs = std::filesystem;

TEST_F(LocalRuntimeTest, ExtraVolumesAppearUnderVolumesInTheHome) {
  LaunchSpec s = spec("vols", fake_server_environment());
  s.extra_volumes = {{.volume_id = "vol-data", .name = "data"}, {.volume_id = "vol-team", .name = "team"}};
  // The user's own directory where the team volume's link would go: kept.
  const fs::path home = runtime_->volume_dir("vol-vols");
  fs::create_directories(home / "volumes" / "team");
  std::ofstream(home / "volumes" / "team" / "notes.txt") << "mine";
  ASSERT_TRUE(runtime_->apply(s).ok());
  auto running = wait_for("vols", [](auto& o) { return is(o, RunState::running); });
  ASSERT_EQ(running.state, RunState::running);

  EXPECT_TRUE(fs::is_symlink(home / "volumes" / "data"));
  EXPECT_EQ(fs::read_symlink(home / "volumes" / "data"), fs::path(runtime_->volume_dir("vol-data")));
  struct stat st{};
  ASSERT_EQ(::stat(runtime_->volume_dir("vol-data").c_str(), &st), 0) << "the volume's directory is made";
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  std::ofstream(home / "volumes" / "data" / "x.csv") << "1,2\n";
  EXPECT_TRUE(fs::exists(fs::path(runtime_->volume_dir("vol-data")) / "x.csv")) << "writes land in the volume";

  EXPECT_FALSE(fs::is_symlink(home / "volumes" / "team"));
  EXPECT_TRUE(fs::exists(home / "volumes" / "team" / "notes.txt")) << "the user's files are never replaced";
  auto log = runtime_->tail_logs("vols", 1 << 20);
  ASSERT_TRUE(log.ok());
  EXPECT_NE(log->find("volumes/team in your home is not a link k4ds made, so volume team is not shown there"),
            std::string::npos)
      << *log;

  // Started again: our link is replaced (the same target), nothing else changes.
  ASSERT_TRUE(runtime_->stop("vols").ok());
  ASSERT_TRUE(runtime_->apply(s).ok());
  EXPECT_TRUE(fs::is_symlink(home / "volumes" / "data"));
  EXPECT_TRUE(fs::exists(home / "volumes" / "data" / "x.csv"));
  ASSERT_TRUE(runtime_->stop("vols").ok());
}

TEST(VolumeLinksTest, APlantedLinkInsteadOfTheVolumesDirectoryIsRefused) {
  const fs::path dir = fs::temp_directory_path() / ("k4ds-links-" + std::to_string(::getpid()));
  fs::create_directories(dir / "home");
  fs::create_directories(dir / "elsewhere");
  fs::create_directory_symlink(dir / "elsewhere", dir / "home" / "volumes");
  std::vector<std::string> skipped;
  Status s = local::link_volumes((dir / "home").string(), {{(dir / "vol").string(), "data"}}, false, 0, 0, skipped);
  EXPECT_EQ(s.code(), Code::failed_precondition) << s.to_string();
  EXPECT_NE(s.message().find("is not a directory"), std::string::npos) << s.message();
  EXPECT_FALSE(fs::exists(dir / "elsewhere" / "data")) << "nothing was made through the planted link";
  fs::remove_all(dir);
}

}  // namespace
}  // namespace k4ds::testing
