// Wire: the relay's hot path written against the sockets directly, without Beast's composed
// operations, field containers or serializer (they were most of the gateway's own CPU time per
// request). Beast's basic_parser still does all the parsing and validation.
//
// Contract
// - WireBuffer: the bytes about to be sent. Up to kRelayChunk live in a pool chunk
//   (chunk_pool.h: no malloc on the hot path); beyond that, a heap string. clear() keeps the
//   chunk for the next piece; the destructor gives it back.
// - append_request_head(): the request line and fields of a sanitized request, as Beast's
//   serializer would write them for a message whose body follows with the framing its fields
//   already state.
// - UpstreamResponseParser: parses an upstream's response and writes, as it goes, what the
//   client receives: the status line in the client's HTTP version, every end-to-end field in
//   the order received (hop-by-hop ones removed: Connection, Keep-Alive, Proxy-Connection, TE,
//   Trailer, Transfer-Encoding, Upgrade, Proxy-Authenticate, Proxy-Authorization and every
//   field a Connection header names, except Content-Length and Host), the framing the client
//   needs (Content-Length passed on; otherwise chunked for HTTP/1.1, or the end of the
//   connection for HTTP/1.0), Connection: close / keep-alive, and the body (re-chunked when
//   the upstream chunked it or gave no length; trailers are dropped). A 101 keeps a safe
//   Upgrade value and "Connection: Upgrade"; another 1xx is an interim answer (the caller
//   parses the final one with a new parser). Nothing it writes can be a second message.
// - read_header(): reads into `buffer` until `parser` has a complete header; bytes beyond it
//   stay in the buffer. End of stream before any byte is http::error::end_of_stream.
//
// Usage:
//   UpstreamResponseParser response(out, {.client_version = 11, .client_keep_alive = true});
//   n = response.put(buffer.data(), ec);  // appends the client's bytes to `out`
//   ... send out.view(), out.clear(), put more until response.is_done()
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>

#include <string>
#include <string_view>

#include "gateway/chunk_pool.h"
#include "gateway/draining_read.h"

namespace k4ds {

class WireBuffer {
 public:
  void append(std::string_view bytes);
  void truncate(std::size_t size);  // keeps the first `size` bytes
  std::string_view view() const { return big_.empty() ? std::string_view(chunk_.get(), size_) : big_; }
  std::size_t size() const { return big_.empty() ? size_ : big_.size(); }
  bool empty() const { return size() == 0; }
  void clear();

 private:
  Chunk chunk_;
  std::size_t size_ = 0;
  std::string big_;  // used once the bytes outgrow the chunk, until clear()
};

void append_request_head(const boost::beast::http::request_header<>& request, WireBuffer& out);

class UpstreamResponseParser : public boost::beast::http::basic_parser<false> {
 public:
  struct Options {
    unsigned client_version = 11;  // 10 or 11
    bool client_keep_alive = true;
    bool head_request = false;  // the answer to HEAD has no body whatever its fields say
  };
  UpstreamResponseParser(WireBuffer& out, Options options);

  bool upgrade() const { return status_ == 101; }
  unsigned status() const { return status_; }
  // Whether the client connection may carry another request after this response.
  bool client_keep_alive() const { return keep_alive_; }
  // Whether the upstream framed the body (so its connection may carry another request).
  bool framed() const { return framed_; }

 private:
  void on_request_impl(boost::beast::http::verb, boost::beast::string_view, boost::beast::string_view, int,
                       boost::beast::error_code&) override {}
  void on_response_impl(int code, boost::beast::string_view reason, int version, boost::beast::error_code& ec) override;
  void on_field_impl(boost::beast::http::field name, boost::beast::string_view name_string, boost::beast::string_view value,
                     boost::beast::error_code& ec) override;
  void on_header_impl(boost::beast::error_code& ec) override;
  void on_body_init_impl(const boost::optional<std::uint64_t>&, boost::beast::error_code&) override {}
  std::size_t on_body_impl(boost::beast::string_view body, boost::beast::error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t, boost::beast::string_view, boost::beast::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t remain, boost::beast::string_view body, boost::beast::error_code& ec) override;
  void on_finish_impl(boost::beast::error_code& ec) override;

  void append_body(std::string_view body);

  WireBuffer& out_;
  Options options_;
  unsigned status_ = 0;
  bool header_done_ = false;
  bool rechunk_ = false;
  bool keep_alive_ = false;
  bool framed_ = false;
  // Where the field lines begin in out_: a field named by a Connection header that comes after
  // it is only known to be hop-by-hop at the end of the header, and is removed then.
  std::size_t fields_begin_ = 0;
  std::string connection_;  // the Connection and Proxy-Connection values, comma-joined
  std::string upgrade_;
};

// How much one read asks for: what the buffer has room for (a buffer reserved to a whole chunk
// takes a typical response in one recv), at least 512 bytes, at most 64 KiB.
inline std::size_t read_size(std::size_t capacity, std::size_t size) {
  constexpr std::size_t kMin = 512, kMax = 64 * 1024;
  return std::min(std::max(kMin, capacity - size), kMax);
}

template <class Socket, class Buffer, class Parser>
boost::asio::awaitable<boost::beast::error_code> read_header(Socket& socket, Buffer& buffer, Parser& parser) {
  namespace http = boost::beast::http;
  for (;;) {
    if (buffer.size() > 0) {
      boost::beast::error_code ec;
      const std::size_t used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      if (parser.is_header_done()) co_return boost::beast::error_code{};
      if (ec && ec != http::error::need_more) co_return ec;
    }
    auto [ec, n] = co_await socket.async_read_some(
        DrainingRead(buffer.prepare(read_size(buffer.capacity(), buffer.size()))),
        boost::asio::as_tuple(boost::asio::use_awaitable));
    if (ec == boost::asio::error::eof) {
      if (!parser.got_some()) co_return http::error::end_of_stream;
      boost::beast::error_code eof_ec;
      parser.put_eof(eof_ec);
      co_return eof_ec ? eof_ec : boost::beast::error_code(http::error::partial_message);
    }
    if (ec) co_return ec;
    buffer.commit(n);
  }
}

}  // namespace k4ds
