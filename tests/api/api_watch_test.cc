// Server-Sent Events for one workspace, driven by changes made on another thread.
#include <gtest/gtest.h>

#include <thread>

#include "api/api_test_support.h"

namespace k4ds::testing {
namespace {

using std::chrono::milliseconds;

// Calls next() until the accumulated text contains `what` or 5 s pass.
std::string read_until(StreamReply& stream, std::string_view what) {
  std::string seen;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (seen.find(what) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    std::optional<std::string> chunk = stream.next(milliseconds(200));
    if (!chunk) break;
    seen += *chunk;
  }
  return seen;
}

TEST_F(ApiTest, WatchStreamsTheWorkspaceThenChangesThenDeletion) {
  ASSERT_EQ(launch("alice", R"({"environment":"jupyter-python","name":"ws"})").result(),
            http::status::created);
  Reply reply = handle(make_request(http::verb::get, "/api/v1/workspaces/alice/ws/watch",
                                    as("alice")));
  auto* stream = std::get_if<StreamReply>(&reply);
  ASSERT_NE(stream, nullptr);
  EXPECT_EQ(stream->head.result(), http::status::ok);
  EXPECT_EQ(stream->head[http::field::content_type], "text/event-stream");
  EXPECT_EQ(stream->head[http::field::cache_control], "no-cache");

  std::optional<std::string> first = stream->next(milliseconds(0));
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->starts_with("event: workspace\ndata: {")) << *first;
  EXPECT_NE(first->find("\"desired\":\"running\""), std::string::npos);
  EXPECT_NE(first->find("id: 1\nevent: event\ndata: {"), std::string::npos) << *first;
  EXPECT_NE(first->find("launch requested by alice"), std::string::npos);

  // Nothing new: an empty chunk after the wait.
  EXPECT_EQ(stream->next(milliseconds(50)), std::string());

  std::thread other([&] {
    std::this_thread::sleep_for(milliseconds(100));
    send(http::verb::post, "/api/v1/workspaces/alice/ws/stop", as("alice"));
  });
  std::string changed = read_until(*stream, "stop requested by alice");
  other.join();
  EXPECT_NE(changed.find("event: workspace\ndata: {"), std::string::npos) << changed;
  EXPECT_NE(changed.find("\"desired\":\"stopped\""), std::string::npos) << changed;
  EXPECT_NE(changed.find("id: 2\nevent: event\n"), std::string::npos) << changed;

  // An unrelated change wakes the stream but sends nothing.
  send(http::verb::post, "/api/v1/tokens", as("bob"), R"({"name":"x"})");
  EXPECT_EQ(stream->next(milliseconds(200)), std::string());

  send(http::verb::delete_, "/api/v1/workspaces/alice/ws", as("alice"));
  std::string end = read_until(*stream, "event: deleted");
  EXPECT_NE(end.find("event: deleted\ndata: {"), std::string::npos) << end;
  EXPECT_EQ(stream->next(milliseconds(10)), std::nullopt);
  stream->close();
}

TEST_F(ApiTest, WatchResumesAfterASeqAndStopsWhenClosed) {
  ASSERT_EQ(launch("alice", R"({"environment":"jupyter-python","name":"ws"})").result(),
            http::status::created);
  send(http::verb::post, "/api/v1/workspaces/alice/ws/stop", as("alice"));
  HttpRequest request = make_request(http::verb::get, "/api/v1/workspaces/alice/ws/watch",
                                     as("alice"));
  request.set("Last-Event-ID", "1");
  Reply reply = handle(request);
  auto& stream = std::get<StreamReply>(reply);
  std::string first = *stream.next(milliseconds(0));
  EXPECT_EQ(first.find("launch requested"), std::string::npos) << first;
  EXPECT_NE(first.find("stop requested"), std::string::npos) << first;
  stream.close();
  EXPECT_EQ(stream.next(milliseconds(10)), std::nullopt);
}

}  // namespace
}  // namespace k4ds::testing
