// Conformance: workspaces and what hangs off them — volumes list, events, shares — and the
// rule that deleting a workspace takes its events and shares but never its volumes.
#include "store_test_support.h"

namespace k4ds::testing {
namespace {

using ::testing::ElementsAre;

class StoreWorkspaceTest : public StoreTest {};

TEST_P(StoreWorkspaceTest, WorkspaceRoundTripsEveryField) {
  Workspace in = make_workspace("w1", "alice", "analysis");
  in.volumes = {"vol-b", "vol-a"};  // order is the mount order, kept as given
  in.desired = DesiredState::stopped;
  in.phase = Phase::failed;
  in.reason = "no machine has 64 GiB free";
  in.upstream = "unix:/run/k4ds/w1.sock";
  in.last_activity_at = 3000;
  Result<Workspace> created = write([&](Tx& tx) { return tx.create_workspace(in); });
  ASSERT_STATUS_OK(created);
  EXPECT_EQ(created->version, 1);

  for (bool by_name : {false, true}) {
    Result<Workspace> got = read([&](Tx& tx) {
      return by_name ? tx.find_workspace("alice", "analysis") : tx.get_workspace("w1");
    });
    ASSERT_STATUS_OK(got);
    EXPECT_EQ(got->id, "w1");
    EXPECT_EQ(got->owner, "alice");
    EXPECT_EQ(got->name, "analysis");
    EXPECT_EQ(got->environment, "jupyter-python");
    EXPECT_EQ(got->size, "small");
    EXPECT_THAT(got->volumes, ElementsAre("vol-b", "vol-a"));
    EXPECT_EQ(got->desired, DesiredState::stopped);
    EXPECT_EQ(got->phase, Phase::failed);
    EXPECT_EQ(got->reason, in.reason);
    EXPECT_EQ(got->upstream, in.upstream);
    EXPECT_EQ(got->created_at, 2000);
    EXPECT_EQ(got->updated_at, 2000);
    EXPECT_EQ(got->last_activity_at, 3000);
    EXPECT_EQ(got->version, 1);
  }
}

TEST_P(StoreWorkspaceTest, ActivityMovesForwardWithoutANewVersion) {
  ASSERT_STATUS_OK(write([](Tx& tx) { return tx.create_workspace(make_workspace("w1", "alice", "a")); }));
  const int64_t before = revision();
  ASSERT_STATUS_OK(write([](Tx& tx) {
    return tx.record_activity({{"w1", 5000}, {"gone", 6000}});  // an unknown id is skipped
  }));
  Result<Workspace> got = read([](Tx& tx) { return tx.get_workspace("w1"); });
  ASSERT_STATUS_OK(got);
  EXPECT_EQ(got->last_activity_at, 5000);
  EXPECT_EQ(got->version, 1) << "activity is advisory: no new version";
  EXPECT_EQ(revision(), before) << "and no change in the feed";

  // Never backwards: an older report, and a status update carrying an older copy, keep 5000.
  ASSERT_STATUS_OK(write([](Tx& tx) { return tx.record_activity({{"w1", 4000}}); }));
  Workspace stale = *got;
  stale.last_activity_at = 100;
  stale.phase = Phase::running;
  ASSERT_STATUS_OK(write([&](Tx& tx) { return tx.update_workspace(stale); }));
  got = read([](Tx& tx) { return tx.get_workspace("w1"); });
  ASSERT_STATUS_OK(got);
  EXPECT_EQ(got->last_activity_at, 5000);
  EXPECT_EQ(got->phase, Phase::running);

  ASSERT_STATUS_OK(write([](Tx& tx) { return tx.record_activity({{"w1", 7000}}); }));
  got = read([](Tx& tx) { return tx.get_workspace("w1"); });
  ASSERT_STATUS_OK(got);
  EXPECT_EQ(got->last_activity_at, 7000);
}

TEST_P(StoreWorkspaceTest, KeysAreUniqueAndMissingOnesAreNotFound) {
  ASSERT_STATUS_OK(write([](Tx& tx) { return tx.create_workspace(make_workspace("w1", "alice", "a")); }));
  Result<Workspace> same_id =
      write([](Tx& tx) { return tx.create_workspace(make_workspace("w1", "bob", "b")); });
  EXPECT_CODE(same_id, Code::already_exists);
  Result<Workspace> same_name =
      write([](Tx& tx) { return tx.create_workspace(make_workspace("w2", "alice", "a")); });
  EXPECT_CODE(same_name, Code::already_exists);
  EXPECT_EQ(same_name.status().message(), "a workspace named alice/a already exists");

  Result<Workspace> missing = read([](Tx& tx) { return tx.find_workspace("alice", "x"); });
  EXPECT_CODE(missing, Code::not_found);
  EXPECT_EQ(missing.status().message(), "no workspace alice/x");
  EXPECT_CODE(read([](Tx& tx) { return tx.get_workspace("nope"); }), Code::not_found);
  EXPECT_CODE(write([](Tx& tx) { return tx.update_workspace(make_workspace("nope", "a", "b")); }),
              Code::not_found);
  EXPECT_CODE(write([](Tx& tx) { return tx.delete_workspace("nope"); }), Code::not_found);

  // A rename onto another workspace's name is refused too.
  ASSERT_STATUS_OK(write([](Tx& tx) { return tx.create_workspace(make_workspace("w2", "alice", "b")); }));
  Workspace w2 = *read([](Tx& tx) { return tx.get_workspace("w2"); });
  w2.name = "a";
  EXPECT_CODE(write([&](Tx& tx) { return tx.update_workspace(w2); }), Code::already_exists);
}

TEST_P(StoreWorkspaceTest, ListIsOrderedByOwnerThenNameAndFilters) {
  struct Row {
    const char* id;
    const char* owner;
    const char* name;
  };
  for (Row r : {Row{"1", "bob", "z"}, Row{"2", "alice", "m"}, Row{"3", "bob", "a"},
                Row{"4", "alice", "b"}}) {
    Workspace w = make_workspace(r.id, r.owner, r.name);
    w.volumes = {std::string("vol-") + r.id};
    ASSERT_STATUS_OK(write([&](Tx& tx) { return tx.create_workspace(w); }));
  }
  auto labels = [](const std::vector<Workspace>& ws) {
    std::vector<std::string> out;
    for (const Workspace& w : ws) out.push_back(w.owner + "/" + w.name + "@" + w.volumes.at(0));
    return out;
  };
  EXPECT_THAT(labels(*read([](Tx& tx) { return tx.list_workspaces({}); })),
              ElementsAre("alice/b@vol-4", "alice/m@vol-2", "bob/a@vol-3", "bob/z@vol-1"));
  EXPECT_THAT(labels(*read([](Tx& tx) { return tx.list_workspaces({.owner = "bob"}); })),
              ElementsAre("bob/a@vol-3", "bob/z@vol-1"));
  EXPECT_TRUE(read([](Tx& tx) { return tx.list_workspaces({.owner = "carol"}); })->empty());
}

TEST_P(StoreWorkspaceTest, UpdateReplacesVolumesAndStampsTheNewRevision) {
  Workspace w = make_workspace("w1", "alice", "a");
  w.volumes = {"v1", "v2"};
  w = *write([&](Tx& tx) { return tx.create_workspace(w); });
  ASSERT_STATUS_OK(write([](Tx& tx) { return tx.create_user(make_user("other")); }));
  w.volumes = {"v3"};
  w.phase = Phase::running;
  Result<Workspace> updated = write([&](Tx& tx) { return tx.update_workspace(w); });
  ASSERT_STATUS_OK(updated);
  EXPECT_EQ(updated->version, 3);
  Workspace got = *read([](Tx& tx) { return tx.get_workspace("w1"); });
  EXPECT_THAT(got.volumes, ElementsAre("v3"));
  EXPECT_EQ(got.phase, Phase::running);
  EXPECT_EQ(got.version, 3);
}

TEST_P(StoreWorkspaceTest, EventsGetConsecutiveSeqsPerWorkspaceAndPageOldestFirst) {
  ASSERT_STATUS_OK(write([](Tx& tx) { return tx.create_workspace(make_workspace("w1", "alice", "a")); }));
  ASSERT_STATUS_OK(write([](Tx& tx) { return tx.create_workspace(make_workspace("w2", "alice", "b")); }));
  for (int i = 1; i <= 5; ++i) {
    WorkspaceEvent e{.workspace_id = "w1", .seq = 99, .time = i * 10, .warning = i == 3,
                     .message = "step " + std::to_string(i)};
    Result<WorkspaceEvent> appended = write([&](Tx& tx) { return tx.append_event(e); });
    ASSERT_STATUS_OK(appended);
    EXPECT_EQ(appended->seq, i);  // the given seq is ignored
  }
  Result<WorkspaceEvent> other =
      write([](Tx& tx) { return tx.append_event({.workspace_id = "w2", .message = "x"}); });
  ASSERT_STATUS_OK(other);
  EXPECT_EQ(other->seq, 1);

  Result<std::vector<WorkspaceEvent>> page =
      read([](Tx& tx) { return tx.list_events("w1", 1, 3); });
  ASSERT_STATUS_OK(page);
  ASSERT_EQ(page->size(), 3u);
  EXPECT_EQ((*page)[0].seq, 2);
  EXPECT_EQ((*page)[0].message, "step 2");
  EXPECT_EQ((*page)[0].time, 20);
  EXPECT_TRUE((*page)[1].warning);
  EXPECT_EQ((*page)[2].seq, 4);
  EXPECT_EQ(read([](Tx& tx) { return tx.list_events("w1", 4, 100); })->size(), 1u);
  EXPECT_TRUE(read([](Tx& tx) { return tx.list_events("w1", 5, 100); })->empty());

  EXPECT_CODE(write([](Tx& tx) { return tx.append_event({.workspace_id = "nope"}); }),
              Code::not_found);
}

TEST_P(StoreWorkspaceTest, SharesCreateListDelete) {
  ASSERT_STATUS_OK(write([](Tx& tx) { return tx.create_workspace(make_workspace("w1", "alice", "a")); }));
  std::vector<Share> shares = {
      {.workspace_id = "w1", .kind = PrincipalKind::user, .principal = "carol", .created_by = "alice"},
      {.workspace_id = "w1", .kind = PrincipalKind::group, .principal = "team", .created_by = "alice"},
      {.workspace_id = "w1", .kind = PrincipalKind::user, .principal = "bob", .created_by = "alice"},
  };
  for (const Share& s : shares) {
    ASSERT_STATUS_OK(write([&](Tx& tx) { return tx.create_share(s); }));
  }
  Result<Share> dup = write([&](Tx& tx) { return tx.create_share(shares[0]); });
  EXPECT_CODE(dup, Code::already_exists);
  EXPECT_EQ(dup.status().message(), "workspace alice/a is already shared with user carol");
  Share to_missing = shares[0];
  to_missing.workspace_id = "nope";
  EXPECT_CODE(write([&](Tx& tx) { return tx.create_share(to_missing); }), Code::not_found);

  auto labels = [&] {
    std::vector<std::string> out;
    Result<std::vector<Share>> listed = read([](Tx& tx) { return tx.list_shares("w1"); });
    for (const Share& s : *listed) {
      out.push_back(std::string(s.kind == PrincipalKind::user ? "user:" : "group:") + s.principal);
    }
    return out;
  };
  EXPECT_THAT(labels(), ElementsAre("group:team", "user:bob", "user:carol"));

  ASSERT_STATUS_OK(write([](Tx& tx) { return tx.delete_share("w1", PrincipalKind::user, "bob"); }));
  EXPECT_CODE(write([](Tx& tx) { return tx.delete_share("w1", PrincipalKind::user, "bob"); }),
              Code::not_found);
  // Same principal name, other kind: a different share.
  EXPECT_CODE(write([](Tx& tx) { return tx.delete_share("w1", PrincipalKind::group, "carol"); }),
              Code::not_found);
  EXPECT_THAT(labels(), ElementsAre("group:team", "user:carol"));
}

TEST_P(StoreWorkspaceTest, DeleteWorkspaceTakesEventsAndSharesButNeverVolumes) {
  ASSERT_STATUS_OK(store().write([](Tx& tx) -> Status {
    K4DS_RETURN_IF_ERROR(tx.create_volume({.id = "vol-home", .owner = "alice", .name = "home"}).status());
    Workspace w = make_workspace("w1", "alice", "a");
    w.volumes = {"vol-home"};
    K4DS_RETURN_IF_ERROR(tx.create_workspace(w).status());
    K4DS_RETURN_IF_ERROR(tx.create_workspace(make_workspace("w2", "alice", "b")).status());
    for (const char* id : {"w1", "w2"}) {
      K4DS_RETURN_IF_ERROR(tx.append_event({.workspace_id = id, .message = "one"}).status());
      K4DS_RETURN_IF_ERROR(tx.append_event({.workspace_id = id, .message = "two"}).status());
      K4DS_RETURN_IF_ERROR(tx.create_share({.workspace_id = id, .principal = "bob"}).status());
    }
    return Status();
  }));
  int64_t before = revision();

  ASSERT_STATUS_OK(write([](Tx& tx) { return tx.delete_workspace("w1"); }));

  EXPECT_CODE(read([](Tx& tx) { return tx.get_workspace("w1"); }), Code::not_found);
  EXPECT_TRUE(read([](Tx& tx) { return tx.list_events("w1", 0, 100); })->empty());
  EXPECT_TRUE(read([](Tx& tx) { return tx.list_shares("w1"); })->empty());
  EXPECT_STATUS_OK(read([](Tx& tx) { return tx.get_volume("vol-home"); }));
  // The other workspace is untouched.
  EXPECT_EQ(read([](Tx& tx) { return tx.list_events("w2", 0, 100); })->size(), 2u);
  EXPECT_EQ(read([](Tx& tx) { return tx.list_shares("w2"); })->size(), 1u);

  std::vector<std::string> feed;
  for (const Change& c : changes(before)) {
    EXPECT_EQ(c.op, ChangeOp::deleted);
    EXPECT_EQ(c.user, "alice");
    feed.push_back(std::string(record_kind_name(c.kind)) + " " + c.key);
  }
  EXPECT_THAT(feed, ElementsAre("share w1/user/bob", "workspace_event w1/1",
                                "workspace_event w1/2", "workspace w1"));

  // A new workspace may reuse the name; its events start again at 1.
  ASSERT_STATUS_OK(write([](Tx& tx) { return tx.create_workspace(make_workspace("w3", "alice", "a")); }));
  EXPECT_EQ(write([](Tx& tx) { return tx.append_event({.workspace_id = "w3"}); })->seq, 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreWorkspaceTest, ::testing::ValuesIn(store_backends()),
                         backend_name);

}  // namespace
}  // namespace k4ds::testing
