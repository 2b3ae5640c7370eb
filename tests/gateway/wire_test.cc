// The relay's wire format (gateway/wire.h): what a client receives for each kind of upstream
// response, and the request head the upstream receives. Pure: bytes in, bytes out.
#include "gateway/wire.h"

#include <gtest/gtest.h>

#include <boost/beast/http.hpp>

#include <string>

namespace k4ds {
namespace {

namespace http = boost::beast::http;

struct Translated {
  std::string bytes;  // what the client receives
  bool done = false;
  bool client_keep_alive = false;
  bool upstream_reusable = false;
  unsigned status = 0;
  boost::beast::error_code error;
};

// Feeds `response` to the parser in pieces of `piece` bytes (as reads would bring it), then the
// end of the stream if `eof`.
Translated translate(std::string_view response, UpstreamResponseParser::Options options, std::size_t piece = 4096,
                     bool eof = false) {
  WireBuffer out;
  UpstreamResponseParser parser(out, options);
  parser.eager(true);
  parser.body_limit(boost::none);
  if (options.head_request) parser.skip(true);
  Translated t;
  std::string buffered;
  std::size_t fed = 0;
  while (!parser.is_done() && (fed < response.size() || !buffered.empty())) {
    if (fed < response.size()) {
      const std::size_t n = std::min(piece, response.size() - fed);
      buffered.append(response.substr(fed, n));
      fed += n;
    }
    boost::beast::error_code ec;
    const std::size_t used = parser.put(boost::asio::buffer(buffered), ec);
    buffered.erase(0, used);
    t.bytes += out.view();
    out.clear();
    if (ec == http::error::need_more) {
      if (fed == response.size()) break;
      continue;
    }
    if (ec) {
      t.error = ec;
      return t;
    }
  }
  if (eof && !parser.is_done()) {
    parser.put_eof(t.error);
    t.bytes += out.view();
  }
  t.done = parser.is_done();
  t.client_keep_alive = parser.client_keep_alive();
  t.upstream_reusable = parser.keep_alive() && parser.framed();
  t.status = parser.status();
  return t;
}

const UpstreamResponseParser::Options kHttp11{.client_version = 11, .client_keep_alive = true};

TEST(WireTest, AResponseWithALengthPassesAsItCameWithoutHopByHopFields) {
  Translated t = translate(
      "HTTP/1.1 200 OK\r\nServer: up\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n"
      "Content-Type: text/plain\r\nContent-Length: 5\r\nProxy-Authenticate: Basic\r\n\r\nhello",
      kHttp11);
  EXPECT_EQ(t.bytes, "HTTP/1.1 200 OK\r\nServer: up\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello");
  EXPECT_TRUE(t.done);
  EXPECT_TRUE(t.client_keep_alive);
  EXPECT_TRUE(t.upstream_reusable);
}

TEST(WireTest, FieldsAConnectionHeaderNamesAreRemovedEvenWhenTheyComeFirst) {
  Translated t = translate(
      "HTTP/1.1 200 OK\r\nX-Internal: secret\r\nSet-Cookie: a=1\r\nConnection: x-internal, Content-Length\r\n"
      "Content-Length: 2\r\n\r\nok",
      kHttp11);
  EXPECT_EQ(t.bytes, "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nContent-Length: 2\r\n\r\nok")
      << "X-Internal is hop-by-hop by nomination; Content-Length may never be removed that way";
}

TEST(WireTest, AChunkedBodyIsReChunkedAndItsTrailerDropped) {
  Translated t = translate(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n"
      "3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Sum: 9\r\n\r\n",
      kHttp11, 7);
  EXPECT_TRUE(t.done);
  // Re-framed by the gateway: the client parses it back to the same body, without the trailer.
  http::response_parser<http::string_body> client;
  client.eager(true);
  boost::beast::error_code ec;
  client.put(boost::asio::buffer(t.bytes), ec);
  ASSERT_FALSE(ec) << ec.message() << "\n" << t.bytes;
  ASSERT_TRUE(client.is_done()) << t.bytes;
  EXPECT_EQ(client.get().body(), "abcde");
  EXPECT_EQ(client.get()[http::field::transfer_encoding], "chunked");
  EXPECT_EQ(t.bytes.find("X-Sum"), std::string::npos) << t.bytes;
  EXPECT_EQ(t.bytes.find("ext=1"), std::string::npos) << t.bytes;
  EXPECT_TRUE(t.upstream_reusable);
}

TEST(WireTest, ABodyThatEndsWithTheConnectionIsChunkedForHttp11AndTheClientKept) {
  Translated t = translate("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it", kHttp11, 4096, true);
  EXPECT_FALSE(t.error) << t.error.message();
  EXPECT_TRUE(t.done);
  EXPECT_EQ(t.bytes, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "9\r\nall of it\r\n0\r\n\r\n");
  EXPECT_TRUE(t.client_keep_alive);
  EXPECT_FALSE(t.upstream_reusable) << "the upstream closed to end the body";
}

TEST(WireTest, AnHttp10ClientGetsAnHttp10AnswerEndedByTheConnection) {
  Translated t = translate("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nbody\r\n0\r\n\r\n",
                           {.client_version = 10, .client_keep_alive = true});
  EXPECT_EQ(t.bytes, "HTTP/1.0 200 OK\r\n\r\nbody");
  EXPECT_FALSE(t.client_keep_alive) << "without a length, only closing ends the body for HTTP/1.0";
}

TEST(WireTest, AnHttp10ClientThatAskedForKeepAliveIsToldSoWhenTheBodyHasALength) {
  Translated t = translate("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", {.client_version = 10, .client_keep_alive = true});
  EXPECT_EQ(t.bytes, "HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok");
  EXPECT_TRUE(t.client_keep_alive);
}

TEST(WireTest, AClientThatDoesNotKeepAliveIsToldTheConnectionCloses) {
  Translated t = translate("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", {.client_version = 11, .client_keep_alive = false});
  EXPECT_EQ(t.bytes, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
}

TEST(WireTest, NoBodyAnswersAreNotChunkedAndKeepTheUpstreamConnection) {
  Translated not_modified = translate("HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n", kHttp11);
  EXPECT_EQ(not_modified.bytes, "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n");
  EXPECT_TRUE(not_modified.done);
  EXPECT_TRUE(not_modified.upstream_reusable) << "a 304 has no body, so the connection stays in step";

  Translated head_ok = translate("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n",
                                 {.client_version = 11, .client_keep_alive = true, .head_request = true});
  EXPECT_EQ(head_ok.bytes, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n") << "HEAD: the length, no body";
  EXPECT_TRUE(head_ok.done);
}

TEST(WireTest, ASwitchingProtocolsAnswerKeepsItsUpgradeAndNothingElseHopByHop) {
  Translated t = translate(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade, x-drop\r\nX-Drop: 1\r\n"
      "Sec-WebSocket-Accept: abc=\r\n\r\n",
      kHttp11);
  EXPECT_EQ(t.bytes, "HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: abc=\r\n"
                     "Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
  EXPECT_EQ(t.status, 101u);
  EXPECT_FALSE(t.client_keep_alive);
}

TEST(WireTest, AnUpgradeValueThatCouldSmuggleAListIsNotRepeated) {
  Translated t = translate("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket, h2c\r\nConnection: upgrade\r\n\r\n", kHttp11);
  EXPECT_EQ(t.bytes, "HTTP/1.1 101 Switching Protocols\r\n\r\n");
}

TEST(WireTest, AResponseAnnouncingBothFramingsIsRefused) {
  Translated t = translate("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
                           kHttp11);
  EXPECT_TRUE(t.error) << "a response that could be read two ways must not be relayed: " << t.bytes;
}

TEST(WireTest, ABodyCutShortIsAnError) {
  Translated t = translate("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", kHttp11, 4096, true);
  EXPECT_EQ(t.error, http::error::partial_message);
}

TEST(WireTest, ALargeBodyPassesInPiecesByteForByte) {
  std::string body;
  for (int i = 0; i < 100000; ++i) body += static_cast<char>('a' + i % 26);
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  Translated t = translate(head + body, kHttp11, 1000);
  EXPECT_TRUE(t.done);
  EXPECT_EQ(t.bytes, head + body);
}

TEST(WireTest, TheRequestHeadIsTheRequestLineAndFields) {
  http::request_header<> req;
  req.method(http::verb::post);
  req.target("/api/x?y=1");
  req.version(11);
  req.set(http::field::host, "alice-nb.localhost");
  req.insert("X-Custom", "v");
  req.set(http::field::content_length, "3");
  WireBuffer out;
  append_request_head(req, out);
  EXPECT_EQ(out.view(), "POST /api/x?y=1 HTTP/1.1\r\nHost: alice-nb.localhost\r\nX-Custom: v\r\nContent-Length: 3\r\n\r\n");
}

TEST(WireTest, TheWireBufferMovesToTheHeapPastOneChunkAndBackAfterClear) {
  WireBuffer out;
  const std::string piece(kRelayChunk - 10, 'x');
  out.append(piece);
  out.append("0123456789abcdef");
  EXPECT_EQ(out.size(), piece.size() + 16);
  EXPECT_EQ(out.view().substr(piece.size()), "0123456789abcdef");
  out.clear();
  out.append("again");
  EXPECT_EQ(out.view(), "again");
  out.truncate(2);
  EXPECT_EQ(out.view(), "ag");
}

}  // namespace
}  // namespace k4ds
