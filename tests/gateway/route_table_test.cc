// The route table: upstream parsing, snapshot lookups and lock-free-for-readers swaps.
#include "gateway/route_table.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace k4ds {
namespace {

struct UpstreamCase {
  std::string text;
  Upstream::Kind kind;
  std::string host;
  uint16_t port;
  std::string path;
};
void PrintTo(const UpstreamCase& c, std::ostream* os) { *os << ::testing::PrintToString(c.text); }

class ParseUpstreamGood : public ::testing::TestWithParam<UpstreamCase> {};

TEST_P(ParseUpstreamGood, Parses) {
  const UpstreamCase& c = GetParam();
  Result<Upstream> r = parse_upstream(c.text);
  ASSERT_TRUE(r.ok()) << c.text << ": " << r.status().to_string();
  EXPECT_EQ(r->kind, c.kind);
  EXPECT_EQ(r->host, c.host);
  EXPECT_EQ(r->port, c.port);
  EXPECT_EQ(r->path, c.path);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ParseUpstreamGood,
    ::testing::Values(
        UpstreamCase{"unix:/run/k4ds/alice-x.sock", Upstream::Kind::unix_socket, "", 0,
                     "/run/k4ds/alice-x.sock"},
        UpstreamCase{"127.0.0.1:8888", Upstream::Kind::tcp, "127.0.0.1", 8888, ""},
        UpstreamCase{"[::1]:8888", Upstream::Kind::tcp, "::1", 8888, ""},
        UpstreamCase{"localhost:1", Upstream::Kind::tcp, "localhost", 1, ""},
        UpstreamCase{"alice-x.k4ds.svc.cluster.local:8888", Upstream::Kind::tcp,
                     "alice-x.k4ds.svc.cluster.local", 8888, ""}));

class ParseUpstreamBad : public ::testing::TestWithParam<std::string> {};

TEST_P(ParseUpstreamBad, Refuses) {
  Result<Upstream> r = parse_upstream(GetParam());
  ASSERT_FALSE(r.ok()) << GetParam();
  EXPECT_EQ(r.status().code(), Code::invalid_argument);
}

INSTANTIATE_TEST_SUITE_P(Table, ParseUpstreamBad,
                         ::testing::Values("", "unix:", "unix:relative.sock", "127.0.0.1",
                                           "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:99999",
                                           "::1:8888", "[::1]", "http://127.0.0.1:8888",
                                           "unix:/" + std::string(200, 'a'),
                                           std::string("unix:/a\0b", 9)));

TEST(ParseUpstream, FormatRoundTrips) {
  for (std::string text : {"unix:/run/x.sock", "127.0.0.1:8888", "[::1]:8888"}) {
    Result<Upstream> r = parse_upstream(text);
    ASSERT_TRUE(r.ok()) << text;
    EXPECT_EQ(format_upstream(*r), text);
  }
}

Workspace ws(std::string id, std::string owner, std::string name, Phase phase,
             std::string upstream) {
  Workspace w;
  w.id = std::move(id);
  w.owner = std::move(owner);
  w.name = std::move(name);
  w.phase = phase;
  w.upstream = std::move(upstream);
  return w;
}

TEST(RouteTable, LooksUpByOwnerAndName) {
  RouteTable table({ws("id1", "alice", "x", Phase::running, "unix:/run/a.sock"),
                    ws("id2", "alice", "y", Phase::stopped, ""),
                    ws("id3", "bob", "x", Phase::starting, "127.0.0.1:9000"),
                    ws("id4", "carol", "z", Phase::running, "garbage")});
  EXPECT_EQ(table.size(), 4u);

  const Route* a = table.find("alice", "x");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->workspace_id, "id1");
  EXPECT_TRUE(a->running);
  ASSERT_TRUE(a->upstream.has_value());
  EXPECT_EQ(a->upstream->path, "/run/a.sock");

  const Route* stopped = table.find("alice", "y");
  ASSERT_NE(stopped, nullptr);
  EXPECT_FALSE(stopped->running);
  EXPECT_FALSE(stopped->upstream.has_value());

  const Route* starting = table.find("bob", "x");
  ASSERT_NE(starting, nullptr);
  EXPECT_FALSE(starting->running);  // has an upstream, but not healthy yet

  const Route* broken = table.find("carol", "z");
  ASSERT_NE(broken, nullptr);
  EXPECT_FALSE(broken->running);  // running with an unusable upstream is not routable

  EXPECT_EQ(table.find("alice", "z"), nullptr);
  EXPECT_EQ(table.find("bob", "y"), nullptr);
  EXPECT_EQ(table.find("alic", "ex"), nullptr);
  EXPECT_EQ(table.find("", ""), nullptr);
}

TEST(RouteTable, DuplicatesKeepTheFirst) {
  RouteTable table({ws("first", "alice", "x", Phase::running, "127.0.0.1:1"),
                    ws("second", "alice", "x", Phase::running, "127.0.0.1:2")});
  EXPECT_EQ(table.size(), 1u);
  EXPECT_EQ(table.find("alice", "x")->workspace_id, "first");
}

TEST(RouteTable, LongNamesStillFound) {
  std::string owner(100, 'o');
  std::string name(100, 'n');
  RouteTable table({ws("id", owner, name, Phase::running, "127.0.0.1:1")});
  ASSERT_NE(table.find(owner, name), nullptr);
  EXPECT_EQ(table.find(owner, name)->workspace_id, "id");
}

TEST(RouteTableHolder, NeverNull) {
  RouteTableHolder holder;
  ASSERT_NE(holder.load(), nullptr);
  EXPECT_EQ(holder.load()->size(), 0u);
  holder.store(nullptr);
  ASSERT_NE(holder.load(), nullptr);
}

TEST(RouteTableHolder, ReadersKeepTheirSnapshot) {
  RouteTableHolder holder(std::make_shared<const RouteTable>(
      std::vector<Workspace>{ws("v1", "alice", "x", Phase::running, "127.0.0.1:1")}));
  std::shared_ptr<const RouteTable> before = holder.load();
  holder.store(std::make_shared<const RouteTable>(
      std::vector<Workspace>{ws("v2", "alice", "x", Phase::stopped, "")}));
  EXPECT_EQ(before->find("alice", "x")->workspace_id, "v1");
  EXPECT_EQ(holder.load()->find("alice", "x")->workspace_id, "v2");
}

// Readers look up continuously while a writer publishes 500 versions. Every table a reader
// sees must be internally consistent (all its routes carry the same version) and versions seen
// by one reader never go backwards. Run under -fsanitize=thread/address to catch races.
TEST(RouteTableHolder, ConcurrentReadersAndWriter) {
  constexpr int kVersions = 500;
  constexpr int kRoutes = 50;
  auto build = [](int version) {
    std::vector<Workspace> list;
    for (int i = 0; i < kRoutes; ++i) {
      list.push_back(ws(std::to_string(version), "user" + std::to_string(i), "ws",
                        Phase::running, "127.0.0.1:" + std::to_string(1000 + i)));
    }
    return std::make_shared<const RouteTable>(list);
  };
  RouteTableHolder holder(build(0));
  std::atomic<bool> done{false};
  std::atomic<long> lookups{0};
  std::atomic<int> failures{0};

  auto reader = [&] {
    int last_seen = 0;
    while (!done.load(std::memory_order_relaxed)) {
      std::shared_ptr<const RouteTable> table = holder.load();
      const Route* first = table->find("user0", "ws");
      if (!first) {
        failures++;
        continue;
      }
      int version = std::stoi(first->workspace_id);
      if (version < last_seen) failures++;
      last_seen = version;
      for (int i = 1; i < kRoutes; ++i) {
        const Route* r = table->find("user" + std::to_string(i), "ws");
        if (!r || std::stoi(r->workspace_id) != version || !r->running) failures++;
      }
      lookups++;
    }
  };
  std::vector<std::thread> readers;
  for (int i = 0; i < 3; ++i) readers.emplace_back(reader);
  for (int v = 1; v <= kVersions; ++v) holder.store(build(v));
  done = true;
  for (std::thread& t : readers) t.join();

  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(lookups.load(), 0);
  EXPECT_EQ(holder.load()->find("user7", "ws")->workspace_id, std::to_string(kVersions));
}

TEST(RouteTable, UpdatesMakeANewSnapshotAndLeaveTheOldOneAlone) {
  std::vector<Workspace> many;
  for (int i = 0; i < 500; ++i) many.push_back(ws("id" + std::to_string(i), "user" + std::to_string(i % 50), "ws" + std::to_string(i), Phase::running, "127.0.0.1:1"));
  auto before = std::make_shared<const RouteTable>(many);
  ASSERT_EQ(before->size(), 500u);

  Workspace renamed = ws("id7", "user7", "renamed", Phase::running, "unix:/run/7.sock");
  Workspace stopped = ws("id8", "user8", "ws8", Phase::stopped, "");
  Workspace added = ws("new", "zed", "fresh", Phase::running, "127.0.0.1:2");
  auto after = before->updated({renamed, stopped, added}, {"id9", "no-such-id"});

  EXPECT_EQ(after->size(), 500u);  // +1 added, -1 removed; the rename and the stop keep their count
  EXPECT_EQ(after->find("user7", "ws7"), nullptr) << "a rename moves the route";
  ASSERT_NE(after->find("user7", "renamed"), nullptr);
  EXPECT_EQ(after->find("user7", "renamed")->upstream->path, "/run/7.sock");
  ASSERT_NE(after->find("user8", "ws8"), nullptr);
  EXPECT_FALSE(after->find("user8", "ws8")->running);
  EXPECT_EQ(after->find("user9", "ws9"), nullptr);
  ASSERT_NE(after->find("zed", "fresh"), nullptr);
  EXPECT_EQ(after->find("user10", "ws10")->workspace_id, "id10") << "untouched routes stay";

  // The old snapshot is unchanged: requests that started with it see what they saw.
  EXPECT_NE(before->find("user7", "ws7"), nullptr);
  EXPECT_TRUE(before->find("user8", "ws8")->running);
  EXPECT_NE(before->find("user9", "ws9"), nullptr);
  EXPECT_EQ(before->find("zed", "fresh"), nullptr);

  // Removing what a later update re-adds, and removing twice, are both fine.
  auto again = after->updated({ws("id9", "user9", "ws9", Phase::running, "127.0.0.1:3")}, {"id9", "id7", "id7"});
  EXPECT_EQ(again->size(), 500u);
  EXPECT_EQ(again->find("user7", "renamed"), nullptr);
  EXPECT_EQ(again->find("user9", "ws9")->upstream->port, 3);
  EXPECT_EQ(RouteTable().updated({added}, {})->find("zed", "fresh")->workspace_id, "new");
}

}  // namespace
}  // namespace k4ds
