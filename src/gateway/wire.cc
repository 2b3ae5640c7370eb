#include "gateway/wire.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include <boost/beast/http/status.hpp>

#include "gateway/http_tokens.h"

namespace k4ds {

namespace http = boost::beast::http;
using boost::beast::error_code;

namespace {

using http_tokens::for_each_element;
using http_tokens::iequals;

// A token of a Connection header that names a field to drop: not "close", not Host or
// Content-Length, and not a field that is dropped anyway.
bool named_field_to_remove(std::string_view token) {
  return !iequals(token, "close") && !http_tokens::kept_when_named(token) &&
         !http_tokens::is_hop_by_hop(http::string_to_field(token));
}

bool has_no_body(unsigned code) { return (code >= 100 && code < 200) || code == 204 || code == 304; }

}  // namespace

void WireBuffer::append(std::string_view bytes) {
  if (big_.empty() && size_ + bytes.size() <= kRelayChunk) {
    if (!chunk_) chunk_ = make_chunk();
    std::memcpy(chunk_.get() + size_, bytes.data(), bytes.size());
    size_ += bytes.size();
    return;
  }
  if (big_.empty()) {
    big_.reserve(size_ + bytes.size());
    if (size_ > 0) big_.assign(chunk_.get(), size_);
    size_ = 0;
  }
  big_.append(bytes);
}

void WireBuffer::truncate(std::size_t size) {
  if (big_.empty()) {
    size_ = std::min(size_, size);
  } else {
    big_.resize(std::min(big_.size(), size));
  }
}

void WireBuffer::clear() {
  size_ = 0;
  big_.clear();
}

void append_request_head(const http::request_header<>& request, WireBuffer& out) {
  out.append(request.method_string());
  out.append(" ");
  out.append(request.target());
  out.append(request.version() == 10 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n");
  for (const auto& field : request) {
    out.append(field.name_string());
    out.append(": ");
    out.append(field.value());
    out.append("\r\n");
  }
  out.append("\r\n");
}

UpstreamResponseParser::UpstreamResponseParser(WireBuffer& out, Options options)
    : out_(out), options_(options) {}

void UpstreamResponseParser::on_response_impl(int code, boost::beast::string_view reason, int, error_code&) {
  status_ = static_cast<unsigned>(code);
  out_.append(options_.client_version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  char digits[8];
  auto [end, ignored] = std::to_chars(digits, digits + sizeof digits, code);
  out_.append(std::string_view(digits, static_cast<std::size_t>(end - digits)));
  out_.append(" ");
  out_.append(reason.empty() ? http::obsolete_reason(http::int_to_status(status_)) : reason);
  out_.append("\r\n");
  fields_begin_ = out_.size();
}

void UpstreamResponseParser::on_field_impl(http::field name, boost::beast::string_view name_string, boost::beast::string_view value,
                                           error_code&) {
  if (header_done_) return;  // a trailer of a chunked body: dropped
  if (http_tokens::is_hop_by_hop(name)) {  // not passed on; what the header needs is kept
    if (name == http::field::connection || name == http::field::proxy_connection) {
      if (!connection_.empty()) connection_ += ',';
      connection_ += value;
    } else if (name == http::field::upgrade) {
      upgrade_ = value;
    }
    return;
  }
  out_.append(name_string);
  out_.append(": ");
  out_.append(value);
  out_.append("\r\n");
}

void UpstreamResponseParser::on_header_impl(error_code&) {
  header_done_ = true;
  bool connection_upgrade = false, named = false;
  for_each_element(connection_, [&](std::string_view token) {
    if (iequals(token, "upgrade")) connection_upgrade = true;
    if (named_field_to_remove(token)) named = true;
    return true;
  });
  if (named) {  // rare: drop the field lines a Connection header named
    const std::string lines(out_.view().substr(fields_begin_));
    out_.truncate(fields_begin_);
    std::string_view rest = lines;
    while (!rest.empty()) {
      const std::size_t eol = rest.find("\r\n");
      const std::string_view line = rest.substr(0, eol + 2);
      const std::string_view field_name = line.substr(0, line.find(':'));
      bool remove = false;
      for_each_element(connection_, [&](std::string_view token) {
        remove = named_field_to_remove(token) && iequals(token, field_name);
        return !remove;
      });
      if (!remove) out_.append(line);
      rest.remove_prefix(line.size());
    }
  }

  const bool body = !options_.head_request && !has_no_body(status_);
  const bool length = content_length().has_value();
  keep_alive_ = options_.client_keep_alive && !upgrade();
  framed_ = !upgrade() && (chunked() || length || !body);
  if (status_ >= 100 && status_ < 200 && !upgrade()) {  // interim: the final answer follows
    out_.append("\r\n");
    return;
  }
  if (upgrade()) {
    if (connection_upgrade && http_tokens::safe_list_element(upgrade_)) {
      out_.append("Upgrade: ");
      out_.append(upgrade_);
      out_.append("\r\nConnection: Upgrade\r\n");
    }
    out_.append("\r\n");
    return;
  }
  if (body && !length) {
    if (options_.client_version >= 11) {
      rechunk_ = true;
      out_.append("Transfer-Encoding: chunked\r\n");
    } else {
      keep_alive_ = false;  // HTTP/1.0: the end of the body is the end of the connection
    }
  }
  if (!keep_alive_ && options_.client_version >= 11) out_.append("Connection: close\r\n");
  if (keep_alive_ && options_.client_version == 10) out_.append("Connection: keep-alive\r\n");
  out_.append("\r\n");
}

void UpstreamResponseParser::append_body(std::string_view body) {
  if (body.empty()) return;
  if (!rechunk_) return out_.append(body);
  char size[20];
  auto [end, ignored] = std::to_chars(size, size + sizeof size, body.size(), 16);
  out_.append(std::string_view(size, static_cast<std::size_t>(end - size)));
  out_.append("\r\n");
  out_.append(body);
  out_.append("\r\n");
}

std::size_t UpstreamResponseParser::on_body_impl(boost::beast::string_view body, error_code&) {
  append_body(body);
  return body.size();
}

std::size_t UpstreamResponseParser::on_chunk_body_impl(std::uint64_t, boost::beast::string_view body, error_code&) {
  append_body(body);
  return body.size();
}

void UpstreamResponseParser::on_finish_impl(error_code&) {
  if (rechunk_) out_.append("0\r\n\r\n");
}

}  // namespace k4ds
