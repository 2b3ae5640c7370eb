// Conformance: optimistic concurrency (two-connection conflict), snapshot reads, and
// all-or-nothing writes (rollback on error or exception, nobody notified).
#include <atomic>
#include <stdexcept>

#include "store_test_support.h"

namespace k4ds::testing {
namespace {

class StoreTransactionTest : public StoreTest {};

// DuckDB-style two-connection conflict: A and B both read version v, A writes first, B's write
// is refused and the stored record keeps A's change.
TEST_P(StoreTransactionTest, SecondWriterWithStaleVersionIsAborted) {
  ASSERT_STATUS_OK(write([](Tx& tx) { return tx.create_user(make_user("x")); }));  // rev 1
  ASSERT_STATUS_OK(write([](Tx& tx) { return tx.create_workspace(make_workspace("w1", "alice", "analysis")); }));
  Workspace a = *read([](Tx& tx) { return tx.get_workspace("w1"); });
  Workspace b = *read([](Tx& tx) { return tx.get_workspace("w1"); });
  ASSERT_EQ(a.version, 2);
  for (int i = 0; i < 3; ++i) {  // bump the stored version well past what B holds
    a.reason = "A was here " + std::to_string(i);
    a = *write([&](Tx& tx) { return tx.update_workspace(a); });
  }
  ASSERT_EQ(a.version, 5);

  b.reason = "B was here";
  Result<Workspace> stale = write([&](Tx& tx) { return tx.update_workspace(b); });
  EXPECT_CODE(stale, Code::aborted);
  EXPECT_EQ(stale.status().message(),
            "workspace alice/analysis was changed by someone else (version 5, you had 2); "
            "re-read and retry");
  Workspace stored = *read([](Tx& tx) { return tx.get_workspace("w1"); });
  EXPECT_EQ(stored.reason, "A was here 2");
  EXPECT_EQ(stored.version, 5);
  EXPECT_EQ(revision(), 5);
}

TEST_P(StoreTransactionTest, StaleVersionIsRefusedForEveryVersionedKind) {
  ASSERT_STATUS_OK(store().write([](Tx& tx) -> Status {
    K4DS_RETURN_IF_ERROR(tx.create_user(make_user("alice")).status());
    K4DS_RETURN_IF_ERROR(tx.create_group(Group{.name = "g"}).status());
    K4DS_RETURN_IF_ERROR(tx.create_session({.id_hash = "s", .user = "alice"}).status());
    return tx.create_token({.id = "t", .user = "alice", .secret_hash = "h"}).status();
  }));
  User u = *read([](Tx& tx) { return tx.get_user("alice"); });
  Group g = *read([](Tx& tx) { return tx.get_group("g"); });
  Session s = *read([](Tx& tx) { return tx.get_session("s"); });
  ApiToken t = *read([](Tx& tx) { return tx.get_token("t"); });
  ASSERT_STATUS_OK(write([&](Tx& tx) { return tx.update_user(u); }));
  ASSERT_STATUS_OK(write([&](Tx& tx) { return tx.update_group(g); }));
  ASSERT_STATUS_OK(write([&](Tx& tx) { return tx.update_session(s); }));
  ASSERT_STATUS_OK(write([&](Tx& tx) { return tx.update_token(t); }));
  EXPECT_CODE(write([&](Tx& tx) { return tx.update_user(u); }), Code::aborted);
  EXPECT_CODE(write([&](Tx& tx) { return tx.update_group(g); }), Code::aborted);
  EXPECT_CODE(write([&](Tx& tx) { return tx.update_session(s); }), Code::aborted);
  EXPECT_CODE(write([&](Tx& tx) { return tx.update_token(t); }), Code::aborted);
}

TEST_P(StoreTransactionTest, ReadSeesOneSnapshotWhileAWriteCommits) {
  ASSERT_STATUS_OK(write([](Tx& tx) { return tx.create_user(make_user("alice")); }));
  Status s = store().read([&](Tx& tx) -> Status {
    Result<User> before = tx.get_user("alice");
    if (!before) return before.status();
    // Another writer commits while this read is open.
    User changed = *before;
    changed.email = "changed@example.org";
    Status w = write([&](Tx& wtx) { return wtx.update_user(changed); }).status();
    if (!w.ok()) return w;
    EXPECT_EQ(tx.get_user("alice")->email, "alice@example.org");
    EXPECT_EQ(*tx.revision(), 1);
    return Status();
  });
  ASSERT_STATUS_OK(s);
  EXPECT_EQ(read([](Tx& tx) { return tx.get_user("alice"); })->email, "changed@example.org");
}

TEST_P(StoreTransactionTest, FailedWriteRollsBackEverythingAndNotifiesNobody) {
  ASSERT_STATUS_OK(write([](Tx& tx) { return tx.create_user(make_user("alice")); }));
  std::atomic<int> notified{0};
  Subscription sub = store().subscribe([&](int64_t) { ++notified; });

  Status s = store().write([](Tx& tx) -> Status {
    K4DS_RETURN_IF_ERROR(tx.create_user(make_user("bob")).status());
    K4DS_RETURN_IF_ERROR(tx.delete_user("alice"));
    K4DS_RETURN_IF_ERROR(tx.create_workspace(make_workspace("w1", "bob", "a")).status());
    return failed_precondition("changed my mind");
  });
  EXPECT_CODE(s, Code::failed_precondition);
  EXPECT_EQ(s.message(), "changed my mind");

  EXPECT_EQ(revision(), 1);
  EXPECT_EQ(changes().size(), 1u);
  EXPECT_CODE(read([](Tx& tx) { return tx.get_user("bob"); }), Code::not_found);
  EXPECT_STATUS_OK(read([](Tx& tx) { return tx.get_user("alice"); }));
  EXPECT_CODE(read([](Tx& tx) { return tx.get_workspace("w1"); }), Code::not_found);
  EXPECT_EQ(notified.load(), 0);

  // The next successful write takes the next revision: nothing was burnt by the rollback.
  Result<User> bob = write([](Tx& tx) { return tx.create_user(make_user("bob")); });
  ASSERT_STATUS_OK(bob);
  EXPECT_EQ(bob->version, 2);
  EXPECT_EQ(notified.load(), 1);
}

TEST_P(StoreTransactionTest, ExceptionFromFnPropagatesAndRollsBack) {
  EXPECT_THROW(store().write([](Tx& tx) -> Status {
    (void)tx.create_user(make_user("bob"));
    throw std::runtime_error("boom");
  }), std::runtime_error);
  EXPECT_EQ(revision(), 0);
  EXPECT_CODE(read([](Tx& tx) { return tx.get_user("bob"); }), Code::not_found);
  // The store is still usable afterwards (the transaction was really closed).
  ASSERT_STATUS_OK(write([](Tx& tx) { return tx.create_user(make_user("bob")); }));
  EXPECT_EQ(revision(), 1);
}

TEST_P(StoreTransactionTest, HandledDomainErrorInsideFnDoesNotUndoTheRest) {
  ASSERT_STATUS_OK(write([](Tx& tx) { return tx.create_user(make_user("alice")); }));
  // An idempotent "ensure" pattern: already_exists is expected and handled.
  ASSERT_STATUS_OK(store().write([](Tx& tx) -> Status {
    Result<User> again = tx.create_user(make_user("alice"));
    EXPECT_CODE(again, Code::already_exists);
    return tx.create_user(make_user("bob")).status();
  }));
  EXPECT_STATUS_OK(read([](Tx& tx) { return tx.get_user("bob"); }));
  EXPECT_EQ(revision(), 2);
}

TEST_P(StoreTransactionTest, WriteThatChangesNothingKeepsTheRevisionAndNotifiesNobody) {
  std::atomic<int> notified{0};
  Subscription sub = store().subscribe([&](int64_t) { ++notified; });
  ASSERT_STATUS_OK(store().write([](Tx& tx) { return tx.list_users().status(); }));
  EXPECT_EQ(revision(), 0);
  EXPECT_EQ(notified.load(), 0);
}

TEST_P(StoreTransactionTest, DataSurvivesReopen) {
  ASSERT_STATUS_OK(write([](Tx& tx) { return tx.create_user(make_user("alice")); }));
  ASSERT_STATUS_OK(write([](Tx& tx) { return tx.create_group(Group{.name = "g", .members = {"alice"}}); }));
  reopen();
  EXPECT_EQ(revision(), 2);
  EXPECT_EQ(read([](Tx& tx) { return tx.get_group("g"); })->members.size(), 1u);
  Result<User> bob = write([](Tx& tx) { return tx.create_user(make_user("bob")); });
  ASSERT_STATUS_OK(bob);
  EXPECT_EQ(bob->version, 3);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTransactionTest, ::testing::ValuesIn(store_backends()),
                         backend_name);

}  // namespace
}  // namespace k4ds::testing
