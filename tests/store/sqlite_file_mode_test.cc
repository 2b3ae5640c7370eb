// The database holds password and token hashes: its files must be private to the server's user
// even when the umask would make them readable and others can traverse the data dir.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>

#include "store/store.h"

namespace k4ds {
namespace {

TEST(SqliteFileModeTest, DatabaseFilesArePrivateWhateverTheUmask) {
  char tmpl[] = "/tmp/k4ds-mode-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  mode_t old = ::umask(022);
  {
    auto store = open_sqlite_store(dir + "/k4ds.db");
    ASSERT_TRUE(store.ok()) << store.status().to_string();
    ASSERT_TRUE((*store)->write([](Tx& tx) { return tx.create_user(User{.name = "alice"}).status(); }).ok());
    for (const char* name : {"/k4ds.db", "/k4ds.db-wal", "/k4ds.db-shm"}) {
      struct stat st{};
      ASSERT_EQ(::stat((dir + name).c_str(), &st), 0) << name;
      EXPECT_EQ(st.st_mode & 0777, 0600u) << name;
    }
  }
  // An existing database left readable by an older version is made private again.
  ::chmod((dir + "/k4ds.db").c_str(), 0644);
  auto reopened = open_sqlite_store(dir + "/k4ds.db");
  ASSERT_TRUE(reopened.ok());
  struct stat st{};
  ::stat((dir + "/k4ds.db").c_str(), &st);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ::umask(old);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace k4ds
