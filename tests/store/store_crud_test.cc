// Conformance: create/get/list/update/delete of users, groups, volumes, sessions and tokens,
// with the error codes and list orders the contract promises.
#include "store_test_support.h"

namespace k4ds::testing {
namespace {

using ::testing::ElementsAre;

class StoreCrudTest : public StoreTest {};

TEST_P(StoreCrudTest, EmptyStoreHasRevisionZeroAndNoChanges) {
  EXPECT_EQ(revision(), 0);
  EXPECT_TRUE(changes().empty());
}

TEST_P(StoreCrudTest, UserRoundTripsEveryField) {
  User in = make_user("alice");
  in.provider = "ldap";
  in.password_hash = "$argon2id$v=19$...";
  in.admin = true;
  in.disabled = true;
  Result<User> created = write([&](Tx& tx) { return tx.create_user(in); });
  ASSERT_STATUS_OK(created);
  EXPECT_EQ(created->version, 1);

  Result<User> got = read([](Tx& tx) { return tx.get_user("alice"); });
  ASSERT_STATUS_OK(got);
  EXPECT_EQ(got->name, "alice");
  EXPECT_EQ(got->display_name, in.display_name);
  EXPECT_EQ(got->email, in.email);
  EXPECT_EQ(got->provider, "ldap");
  EXPECT_EQ(got->password_hash, in.password_hash);
  EXPECT_TRUE(got->admin);
  EXPECT_TRUE(got->disabled);
  EXPECT_EQ(got->created_at, 1000);
  EXPECT_EQ(got->updated_at, 1000);
  EXPECT_EQ(got->version, 1);
}

TEST_P(StoreCrudTest, UserLifecycleAndErrors) {
  ASSERT_STATUS_OK(write([](Tx& tx) { return tx.create_user(make_user("alice")); }));

  Result<User> dup = write([](Tx& tx) { return tx.create_user(make_user("alice")); });
  EXPECT_CODE(dup, Code::already_exists);
  EXPECT_EQ(dup.status().message(), "a user named alice already exists");

  Result<User> missing = read([](Tx& tx) { return tx.get_user("nobody"); });
  EXPECT_CODE(missing, Code::not_found);
  EXPECT_EQ(missing.status().message(), "no user named nobody");

  User u = *read([](Tx& tx) { return tx.get_user("alice"); });
  u.email = "new@example.org";
  Result<User> updated = write([&](Tx& tx) { return tx.update_user(u); });
  ASSERT_STATUS_OK(updated);
  EXPECT_EQ(updated->version, 2);
  EXPECT_EQ(read([](Tx& tx) { return tx.get_user("alice"); })->email, "new@example.org");

  EXPECT_CODE(write([](Tx& tx) { return tx.update_user(make_user("nobody")); }), Code::not_found);
  EXPECT_CODE(write([](Tx& tx) { return tx.delete_user("nobody"); }), Code::not_found);
  ASSERT_STATUS_OK(write([](Tx& tx) { return tx.delete_user("alice"); }));
  EXPECT_CODE(read([](Tx& tx) { return tx.get_user("alice"); }), Code::not_found);
  EXPECT_EQ(revision(), 3);
}

TEST_P(StoreCrudTest, UsersAreListedByName) {
  for (const char* name : {"carol", "alice", "bob"}) {
    ASSERT_STATUS_OK(write([&](Tx& tx) { return tx.create_user(make_user(name)); }));
  }
  Result<std::vector<User>> users = read([](Tx& tx) { return tx.list_users(); });
  ASSERT_STATUS_OK(users);
  std::vector<std::string> names;
  for (const User& u : *users) names.push_back(u.name);
  EXPECT_THAT(names, ElementsAre("alice", "bob", "carol"));
}

TEST_P(StoreCrudTest, GroupMembersAreSortedAndUnique) {
  Group g{.name = "analysts", .description = "Data team", .members = {"carol", "alice", "carol"}};
  Result<Group> created = write([&](Tx& tx) { return tx.create_group(g); });
  ASSERT_STATUS_OK(created);
  EXPECT_THAT(created->members, ElementsAre("alice", "carol"));

  Result<Group> got = read([](Tx& tx) { return tx.get_group("analysts"); });
  ASSERT_STATUS_OK(got);
  EXPECT_EQ(got->description, "Data team");
  EXPECT_THAT(got->members, ElementsAre("alice", "carol"));

  got->members = {"dave", "bob"};
  ASSERT_STATUS_OK(write([&](Tx& tx) { return tx.update_group(*got); }));
  EXPECT_THAT(read([](Tx& tx) { return tx.get_group("analysts"); })->members,
              ElementsAre("bob", "dave"));
}

TEST_P(StoreCrudTest, GroupLifecycleAndListOrder) {
  for (const char* name : {"zeta", "alpha"}) {
    Group g{.name = name, .members = {std::string("m-") + name}};
    ASSERT_STATUS_OK(write([&](Tx& tx) { return tx.create_group(g); }));
  }
  Result<Group> dup = write([](Tx& tx) { return tx.create_group(Group{.name = "zeta"}); });
  EXPECT_CODE(dup, Code::already_exists);
  EXPECT_EQ(dup.status().message(), "a group named zeta already exists");

  Result<std::vector<Group>> groups = read([](Tx& tx) { return tx.list_groups(); });
  ASSERT_STATUS_OK(groups);
  ASSERT_EQ(groups->size(), 2u);
  EXPECT_EQ((*groups)[0].name, "alpha");
  EXPECT_THAT((*groups)[0].members, ElementsAre("m-alpha"));
  EXPECT_EQ((*groups)[1].name, "zeta");
  EXPECT_THAT((*groups)[1].members, ElementsAre("m-zeta"));

  ASSERT_STATUS_OK(write([](Tx& tx) { return tx.delete_group("zeta"); }));
  EXPECT_CODE(read([](Tx& tx) { return tx.get_group("zeta"); }), Code::not_found);
  EXPECT_CODE(write([](Tx& tx) { return tx.delete_group("zeta"); }), Code::not_found);
  EXPECT_CODE(write([](Tx& tx) { return tx.update_group(Group{.name = "zeta"}); }),
              Code::not_found);
  // Recreating a deleted group must not resurrect its old members.
  ASSERT_STATUS_OK(write([](Tx& tx) { return tx.create_group(Group{.name = "zeta"}); }));
  EXPECT_TRUE(read([](Tx& tx) { return tx.get_group("zeta"); })->members.empty());
}

TEST_P(StoreCrudTest, VolumesRoundTripAndListByOwnerThenName) {
  std::vector<Volume> volumes = {
      {.id = "v3", .owner = "bob", .name = "home", .created_at = 5},
      {.id = "v2", .owner = "alice", .name = "scratch", .created_at = 6},
      {.id = "v1", .owner = "alice", .name = "home", .created_at = 7},
  };
  for (const Volume& v : volumes) {
    ASSERT_STATUS_OK(write([&](Tx& tx) { return tx.create_volume(v); }));
  }
  Result<Volume> got = read([](Tx& tx) { return tx.get_volume("v2"); });
  ASSERT_STATUS_OK(got);
  EXPECT_EQ(got->owner, "alice");
  EXPECT_EQ(got->name, "scratch");
  EXPECT_EQ(got->created_at, 6);
  EXPECT_EQ(got->version, 2);

  EXPECT_CODE(write([&](Tx& tx) { return tx.create_volume(volumes[0]); }), Code::already_exists);
  EXPECT_CODE(read([](Tx& tx) { return tx.get_volume("nope"); }), Code::not_found);

  // The runtime reports where its storage is: recorded, with a new version only when it changes.
  EXPECT_EQ(got->zone, "");
  Result<Volume> zoned = write([](Tx& tx) { return tx.set_volume_zone("v2", "eu-west-1a"); });
  ASSERT_STATUS_OK(zoned);
  EXPECT_GT(zoned->version, got->version);
  EXPECT_EQ(read([](Tx& tx) { return tx.get_volume("v2"); })->zone, "eu-west-1a");
  EXPECT_EQ(write([](Tx& tx) { return tx.set_volume_zone("v2", "eu-west-1a"); })->version, zoned->version);
  EXPECT_CODE(write([](Tx& tx) { return tx.set_volume_zone("nope", "x"); }), Code::not_found);

  auto ids = [](const std::vector<Volume>& vs) {
    std::vector<std::string> out;
    for (const Volume& v : vs) out.push_back(v.id);
    return out;
  };
  EXPECT_THAT(ids(*read([](Tx& tx) { return tx.list_volumes(std::nullopt); })),
              ElementsAre("v1", "v2", "v3"));
  EXPECT_THAT(ids(*read([](Tx& tx) { return tx.list_volumes("alice"); })),
              ElementsAre("v1", "v2"));
  EXPECT_TRUE(read([](Tx& tx) { return tx.list_volumes("nobody"); })->empty());
}

TEST_P(StoreCrudTest, SessionLifecycle) {
  Session s{.id_hash = "h1", .user = "alice", .created_at = 1, .expires_at = 100,
            .last_seen_at = 1, .client_address = "127.0.0.1"};
  ASSERT_STATUS_OK(write([&](Tx& tx) { return tx.create_session(s); }));
  EXPECT_CODE(write([&](Tx& tx) { return tx.create_session(s); }), Code::already_exists);

  Result<Session> got = read([](Tx& tx) { return tx.get_session("h1"); });
  ASSERT_STATUS_OK(got);
  EXPECT_EQ(got->user, "alice");
  EXPECT_EQ(got->expires_at, 100);
  EXPECT_EQ(got->client_address, "127.0.0.1");

  got->last_seen_at = 50;
  Result<Session> updated = write([&](Tx& tx) { return tx.update_session(*got); });
  ASSERT_STATUS_OK(updated);
  EXPECT_EQ(read([](Tx& tx) { return tx.get_session("h1"); })->last_seen_at, 50);
  EXPECT_CODE(write([&](Tx& tx) { return tx.update_session(*got); }), Code::aborted);

  ASSERT_STATUS_OK(write([](Tx& tx) { return tx.delete_session("h1"); }));
  EXPECT_CODE(read([](Tx& tx) { return tx.get_session("h1"); }), Code::not_found);
  EXPECT_CODE(write([](Tx& tx) { return tx.delete_session("h1"); }), Code::not_found);
}

TEST_P(StoreCrudTest, BulkSessionDeletesCountAndRecordEachSession) {
  struct Row {
    const char* id;
    const char* user;
    int64_t expires_at;
  };
  for (Row r : {Row{"a1", "alice", 10}, Row{"a2", "alice", 30}, Row{"b1", "bob", 20},
                Row{"b2", "bob", 40}}) {
    Session s{.id_hash = r.id, .user = r.user, .expires_at = r.expires_at};
    ASSERT_STATUS_OK(write([&](Tx& tx) { return tx.create_session(s); }));
  }
  int64_t before = revision();
  Result<int> expired = write([](Tx& tx) { return tx.delete_expired_sessions(20); });
  ASSERT_STATUS_OK(expired);
  EXPECT_EQ(*expired, 2);  // a1 (10) and b1 (20): expiring at `now` counts as expired
  Result<int> of_alice = write([](Tx& tx) { return tx.delete_sessions_of_user("alice"); });
  ASSERT_STATUS_OK(of_alice);
  EXPECT_EQ(*of_alice, 1);  // a2
  EXPECT_STATUS_OK(read([](Tx& tx) { return tx.get_session("b2"); }));

  std::vector<std::string> deleted;
  for (const Change& c : changes(before)) {
    EXPECT_EQ(c.kind, RecordKind::session);
    EXPECT_EQ(c.op, ChangeOp::deleted);
    deleted.push_back(c.key + ":" + c.user);
  }
  EXPECT_THAT(deleted, ElementsAre("a1:alice", "b1:bob", "a2:alice"));
}

TEST_P(StoreCrudTest, TokenLifecycleAndLookupByHash) {
  ApiToken t1{.id = "tok_2", .user = "alice", .name = "laptop", .secret_hash = "hash-2",
              .prefix = "k4ds_ab", .created_at = 20, .expires_at = 0};
  ApiToken t2{.id = "tok_1", .user = "alice", .name = "ci", .secret_hash = "hash-1",
              .created_at = 10};
  ApiToken t3{.id = "tok_3", .user = "bob", .name = "x", .secret_hash = "hash-3"};
  for (const ApiToken& t : {t1, t2, t3}) {
    ASSERT_STATUS_OK(write([&](Tx& tx) { return tx.create_token(t); }));
  }
  EXPECT_CODE(write([&](Tx& tx) { return tx.create_token(t1); }), Code::already_exists);
  ApiToken same_secret = t1;
  same_secret.id = "tok_9";
  EXPECT_CODE(write([&](Tx& tx) { return tx.create_token(same_secret); }), Code::already_exists);

  Result<ApiToken> by_hash = read([](Tx& tx) { return tx.find_token_by_hash("hash-2"); });
  ASSERT_STATUS_OK(by_hash);
  EXPECT_EQ(by_hash->id, "tok_2");
  EXPECT_EQ(by_hash->prefix, "k4ds_ab");
  EXPECT_CODE(read([](Tx& tx) { return tx.find_token_by_hash("nope"); }), Code::not_found);

  Result<std::vector<ApiToken>> listed = read([](Tx& tx) { return tx.list_tokens("alice"); });
  ASSERT_STATUS_OK(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].id, "tok_1");  // oldest first
  EXPECT_EQ((*listed)[1].id, "tok_2");

  ApiToken used = *read([](Tx& tx) { return tx.get_token("tok_2"); });
  used.last_used_at = 99;
  ASSERT_STATUS_OK(write([&](Tx& tx) { return tx.update_token(used); }));
  EXPECT_EQ(read([](Tx& tx) { return tx.get_token("tok_2"); })->last_used_at, 99);
  EXPECT_CODE(write([&](Tx& tx) { return tx.update_token(used); }), Code::aborted);

  ASSERT_STATUS_OK(write([](Tx& tx) { return tx.delete_token("tok_2"); }));
  EXPECT_CODE(read([](Tx& tx) { return tx.get_token("tok_2"); }), Code::not_found);
  EXPECT_CODE(write([](Tx& tx) { return tx.delete_token("tok_2"); }), Code::not_found);
}

TEST_P(StoreCrudTest, EveryWriteIsInTheChangeFeedWithKindOpKeyAndUser) {
  ASSERT_STATUS_OK(store().write([](Tx& tx) -> Status {
    K4DS_RETURN_IF_ERROR(tx.create_user(make_user("alice")).status());
    K4DS_RETURN_IF_ERROR(tx.create_group(Group{.name = "team"}).status());
    K4DS_RETURN_IF_ERROR(tx.create_workspace(make_workspace("w1", "alice", "nb")).status());
    K4DS_RETURN_IF_ERROR(tx.append_event({.workspace_id = "w1", .message = "hi"}).status());
    K4DS_RETURN_IF_ERROR(tx.create_volume({.id = "v1", .owner = "alice"}).status());
    K4DS_RETURN_IF_ERROR(
        tx.create_share({.workspace_id = "w1", .kind = PrincipalKind::group, .principal = "team"})
            .status());
    K4DS_RETURN_IF_ERROR(tx.create_session({.id_hash = "s1", .user = "alice"}).status());
    K4DS_RETURN_IF_ERROR(tx.create_token({.id = "t1", .user = "alice", .secret_hash = "x"}).status());
    return tx.delete_token("t1");
  }));
  std::vector<std::string> feed;
  for (const Change& c : changes()) {
    feed.push_back(std::to_string(c.revision) + " " + record_kind_name(c.kind) + " " +
                   change_op_name(c.op) + " " + c.key + " " + c.user);
  }
  EXPECT_THAT(feed, ElementsAre("1 user created alice alice", "2 group created team ",
                                "3 workspace created w1 alice",
                                "4 workspace_event created w1/1 alice",
                                "5 volume created v1 alice",
                                "6 share created w1/group/team alice",
                                "7 session created s1 alice", "8 token created t1 alice",
                                "9 token deleted t1 alice"));
  EXPECT_EQ(revision(), 9);
  Result<std::vector<Change>> page = read([](Tx& tx) { return tx.list_changes(3, 2); });
  ASSERT_STATUS_OK(page);
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].revision, 4);
  EXPECT_EQ((*page)[1].revision, 5);
}

TEST_P(StoreCrudTest, ReadTransactionsRefuseWrites) {
  Status s = store().read([](Tx& tx) { return tx.create_user(make_user("alice")).status(); });
  EXPECT_CODE(s, Code::internal);
  EXPECT_EQ(revision(), 0);
  EXPECT_CODE(read([](Tx& tx) { return tx.get_user("alice"); }), Code::not_found);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreCrudTest, ::testing::ValuesIn(store_backends()),
                         backend_name);

}  // namespace
}  // namespace k4ds::testing
