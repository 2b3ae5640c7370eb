// SQLite-specific: crash consistency. A child process writes in a loop and reports each commit
// over a pipe only after write() returned; the parent kills it with SIGKILL mid-stream, reopens
// the store and checks that every reported commit is there and the change feed matches the
// records. Repeated a few rounds on the same database.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>

#include "store_test_support.h"

namespace k4ds::testing {
namespace {

constexpr const char* kWorkspaceId = "crash-ws";

struct Commit {
  std::string user;
  int64_t seq = 0;
  int64_t revision = 0;  // the workspace's version after the commit
};

// The child: only calls the store and writes to the pipe, then dies (never returns to gtest).
[[noreturn]] void run_writer(const std::string& path, int round, int fd) {
  Result<std::unique_ptr<Store>> opened = open_sqlite_store(path);
  if (!opened) _exit(2);
  Store& store = **opened;
  for (int64_t seq = 0;; ++seq) {
    std::string name = "r" + std::to_string(round) + "-" + std::to_string(seq);
    int64_t revision = 0;
    Status s = store.write([&](Tx& tx) -> Status {
      K4DS_RETURN_IF_ERROR(tx.create_user(make_user(name)).status());
      Result<Workspace> w = tx.get_workspace(kWorkspaceId);
      if (!w) return w.status();
      w->reason = name;
      w->last_activity_at = seq;
      Result<Workspace> updated = tx.update_workspace(*w);
      if (!updated) return updated.status();
      revision = updated->version;
      return Status();
    });
    if (!s.ok()) _exit(3);
    char line[128];
    int n = std::snprintf(line, sizeof line, "%s %lld %lld\n", name.c_str(),
                          static_cast<long long>(seq), static_cast<long long>(revision));
    for (int off = 0; off < n;) {
      ssize_t w = ::write(fd, line + off, static_cast<size_t>(n - off));
      if (w <= 0) _exit(4);
      off += static_cast<int>(w);
    }
  }
}

// Reads reports until `kill_after` of them arrived, SIGKILLs the child, then drains the pipe.
std::vector<Commit> collect_and_kill(pid_t child, int fd, size_t kill_after) {
  std::vector<Commit> commits;
  std::string buffer;
  bool killed = false;
  for (;;) {
    pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
    int ready = ::poll(&p, 1, 30000);
    if (ready <= 0) {
      ADD_FAILURE() << "the writer reported nothing for 30 s";
      ::kill(child, SIGKILL);
      break;
    }
    char chunk[4096];
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n <= 0) break;  // EOF: the child is gone
    buffer.append(chunk, static_cast<size_t>(n));
    size_t nl;
    while ((nl = buffer.find('\n')) != std::string::npos) {
      std::istringstream line(buffer.substr(0, nl));
      buffer.erase(0, nl + 1);
      Commit c;
      line >> c.user >> c.seq >> c.revision;
      commits.push_back(c);
    }
    if (!killed && commits.size() >= kill_after) {
      ::kill(child, SIGKILL);
      killed = true;
    }
  }
  return commits;
}

TEST(SqliteCrashTest, EveryReportedCommitSurvivesSigkill) {
  TempDir dir;
  std::string path = dir.file("k4ds.db");
  {
    Result<std::unique_ptr<Store>> store = open_sqlite_store(path);
    ASSERT_STATUS_OK(store);
    ASSERT_STATUS_OK(write_tx(**store, [](Tx& tx) {
      return tx.create_workspace(make_workspace(kWorkspaceId, "crash", "ws"));
    }));
  }  // closed: no connection may cross the fork

  constexpr int kRounds = 3;
  size_t verified = 0;
  for (int round = 0; round < kRounds; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(fds[0]);
      run_writer(path, round, fds[1]);
    }
    ::close(fds[1]);
    // Different kill points per round so the kill lands at different moments of a commit.
    std::vector<Commit> reported = collect_and_kill(child, fds[0], 200 + 70 * round);
    ::close(fds[0]);
    int wstatus = 0;
    ASSERT_EQ(::waitpid(child, &wstatus, 0), child);
    ASSERT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL)
        << "the writer stopped by itself (exit " << WEXITSTATUS(wstatus) << ")";
    ASSERT_GE(reported.size(), 200u);

    // (a) it opens.
    Result<std::unique_ptr<Store>> reopened = open_sqlite_store(path);
    ASSERT_STATUS_OK(reopened);
    Store& store = **reopened;

    // (b) every reported commit is present, with the revision it was given.
    for (const Commit& c : reported) {
      Result<User> u = read_tx(store, [&](Tx& tx) { return tx.get_user(c.user); });
      ASSERT_STATUS_OK(u);
      EXPECT_EQ(u->version, c.revision - 1) << c.user;  // user first, then the workspace
    }
    Workspace w = *read_tx(store, [](Tx& tx) { return tx.get_workspace(kWorkspaceId); });
    // At most one commit may have landed after the last report (killed before reporting it).
    EXPECT_GE(w.version, reported.back().revision);
    EXPECT_GE(w.last_activity_at, reported.back().seq);
    EXPECT_LE(w.last_activity_at, reported.back().seq + 1);

    // (c) the change feed agrees with the records.
    std::vector<Change> feed =
        *read_tx(store, [](Tx& tx) { return tx.list_changes(0, 1 << 30); });
    std::vector<User> users = *read_tx(store, [](Tx& tx) { return tx.list_users(); });
    int64_t revision = *read_tx(store, [](Tx& tx) { return tx.revision(); });
    ASSERT_EQ(static_cast<int64_t>(feed.size()), revision);
    std::map<std::string, int64_t> created_at_revision;
    int64_t last_workspace_change = 0;
    for (size_t i = 0; i < feed.size(); ++i) {
      ASSERT_EQ(feed[i].revision, static_cast<int64_t>(i + 1));
      if (feed[i].kind == RecordKind::user) created_at_revision[feed[i].key] = feed[i].revision;
      if (feed[i].kind == RecordKind::workspace) last_workspace_change = feed[i].revision;
    }
    ASSERT_EQ(created_at_revision.size(), users.size());
    for (const User& u : users) EXPECT_EQ(created_at_revision[u.name], u.version) << u.name;
    EXPECT_EQ(w.version, last_workspace_change);
    EXPECT_EQ(revision, w.version);

    verified += reported.size();
    std::cout << "[ crash    ] round " << round << ": killed after " << reported.size()
              << " reported commits; store at revision " << revision << ", " << users.size()
              << " users, all reported commits present\n";
  }
  std::cout << "[ crash    ] verified " << verified << " commits over " << kRounds
            << " SIGKILLs\n";
}

}  // namespace
}  // namespace k4ds::testing
