// Test helpers for the Jupyter end-to-end test: a browser-like client that signs in on a
// workspace host through the code exchange, and a Jupyter kernel execute over its WebSocket.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include "common/services.h"
#include "support/http.h"
#include "support/process.h"


namespace k4ds::e2e {


namespace fs = std::filesystem;
namespace json = boost::json;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using k4ds::testing::Env;
using k4ds::testing::kAdminPassword;
using k4ds::testing::Outcome;
using k4ds::testing::run_k4ds;
using k4ds::testing::Server;
using k4ds::testing::TestClient;
using k4ds::testing::TestResponse;
using Headers = std::vector<std::pair<std::string, std::string>>;

inline constexpr const char* kPortalCookie = "k4ds_session";
inline constexpr const char* kWorkspaceCookie = "k4ds_ws";
inline constexpr const char* kAlicePassword = "alice-Passw0rd!";
inline constexpr const char* kBobPassword = "bob-Passw0rd!";

inline json::value parse(const std::string& text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  EXPECT_FALSE(ec) << "not JSON: " << text;
  return v;
}

inline std::string str(const json::value& v, const char* key) {
  const auto* o = v.if_object();
  const auto* field = o ? o->if_contains(key) : nullptr;
  return field && field->is_string() ? std::string(field->as_string()) : std::string();
}

// The "items" of a list response; none (and a failure) if the body is not one.
inline json::array items(const json::value& list) {
  const auto* o = list.if_object();
  const auto* a = o ? o->if_contains("items") : nullptr;
  if (a && a->is_array()) return a->as_array();
  ADD_FAILURE() << "not a list: " << json::serialize(list);
  return {};
}

inline std::string url_encode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

inline std::string set_cookie_value(const TestResponse& res, const std::string& name) {
  for (const auto& field : res.base()) {
    if (field.name() != http::field::set_cookie) continue;
    std::string_view v = field.value();
    if (v.starts_with(name + "=")) {
      v.remove_prefix(name.size() + 1);
      return std::string(v.substr(0, v.find(';')));
    }
  }
  return {};
}

// One request on a fresh connection to 127.0.0.1:port with Host "host:port".
inline TestResponse request(uint16_t port, const std::string& host, http::verb verb,
                     const std::string& target, const Headers& headers = {},
                     const std::string& body = {}) {
  TestClient client(port, host);
  k4ds::testing::set_socket_timeout(client.socket(), 30s);  // a kernel takes seconds to start
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, host + ":" + std::to_string(port));
  for (const auto& [k, v] : headers) req.insert(k, v);
  if (!body.empty() && req[http::field::content_type].empty())
    req.set(http::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();
  http::write(client.socket(), req);
  TestResponse res;
  http::read(client.socket(), client.buffer(), res);
  return res;
}

// Prints how long each step took, for the report and for spotting a slow start-up.
class Steps {
 public:
  void operator()(const std::string& name) {
    auto now = Clock::now();
    if (!current_.empty()) {
      std::cerr << "  [step] " << current_ << ": "
                << std::chrono::duration_cast<std::chrono::milliseconds>(now - started_).count()
                << " ms\n";
    }
    current_ = name;
    started_ = now;
  }
  ~Steps() { (*this)(""); }

 private:
  std::string current_;
  Clock::time_point started_;
};

// What a browser holds on one workspace host: the gateway's cookie and Jupyter's own _xsrf
// cookie, which Notebook 6 requires (echoed in X-XSRFToken) on requests that change something.
struct Browser {
  uint16_t port = 0;
  std::string host;  // "alice-py.localhost"
  std::string ws_cookie;
  std::string xsrf;

  std::string cookies() const {
    std::string c = std::string(kWorkspaceCookie) + "=" + ws_cookie;
    if (!xsrf.empty()) c += "; _xsrf=" + xsrf;
    return c;
  }
  TestResponse get(const std::string& target) const {
    return request(port, host, http::verb::get, target, {{"Cookie", cookies()}});
  }
  TestResponse send(http::verb verb, const std::string& target, const std::string& body) const {
    return request(port, host, verb, target,
                   {{"Cookie", cookies()}, {"X-XSRFToken", xsrf}}, body);
  }
};

// The code exchange a browser goes through: portal login form with rd = the workspace URL,
// authorize on the portal host, callback on the workspace host. Returns the k4ds_ws cookie.
inline std::string sign_in(uint16_t port, const std::string& user, const std::string& password,
                    const std::string& ws_host) {
  const std::string origin = "http://" + ws_host + ":" + std::to_string(port);
  auto login = request(port, "localhost", http::verb::post, "/login",
                       {{"Content-Type", "application/x-www-form-urlencoded"}},
                       "username=" + user + "&password=" + url_encode(password) +
                           "&rd=" + url_encode(origin + "/tree"));
  EXPECT_EQ(login.result(), http::status::see_other) << login.body();
  std::string session = set_cookie_value(login, kPortalCookie);
  EXPECT_FALSE(session.empty()) << "login set no " << kPortalCookie << " cookie";
  auto authorize = request(port, "localhost", http::verb::get,
                           std::string(login[http::field::location]),
                           {{"Cookie", std::string(kPortalCookie) + "=" + session}});
  EXPECT_EQ(authorize.result(), http::status::found) << authorize.body();
  std::string location(authorize[http::field::location]);
  EXPECT_TRUE(location.starts_with(origin + "/_k4ds/callback?code=")) << location;
  if (!location.starts_with(origin)) return {};
  auto callback = request(port, ws_host, http::verb::get, location.substr(origin.size()));
  EXPECT_EQ(callback.result(), http::status::found) << callback.body();
  EXPECT_EQ(callback[http::field::location], "/tree");
  return set_cookie_value(callback, kWorkspaceCookie);
}

// Signs `user` in on the workspace host and picks up Jupyter's _xsrf cookie from /tree.
inline Browser open_workspace(uint16_t port, const std::string& ws_host, const std::string& user,
                       const std::string& password) {
  Browser b{.port = port, .host = ws_host};
  b.ws_cookie = sign_in(port, user, password, ws_host);
  auto tree = b.get("/tree");
  EXPECT_EQ(tree.result(), http::status::ok) << tree.body();
  b.xsrf = set_cookie_value(tree, "_xsrf");
  EXPECT_FALSE(b.xsrf.empty()) << "Jupyter's /tree set no _xsrf cookie";
  return b;
}

// What running one cell gave: the text of the iopub `stream` messages answering it, and how it
// ended. `problem` is empty when the kernel reached `status: idle` for it without an error.
struct CellRun {
  std::string printed;
  std::string problem;  // "no answer in 30 s", "kernel WebSocket: …", "the kernel raised: …"
};

// Runs `code` on a kernel over its WebSocket (Jupyter messaging protocol 5.3), up to the
// kernel's `status: idle` for it, within 30 s.
inline CellRun run_cell(const Browser& b, const std::string& kernel_id, const std::string& code) {
  CellRun run;
  boost::asio::io_context io;
  websocket::stream<boost::asio::ip::tcp::socket> ws(io);
  ws.next_layer().connect({boost::asio::ip::make_address("127.0.0.1"), b.port});
  const std::string cookies = b.cookies();
  ws.set_option(websocket::stream_base::decorator(
      [&](websocket::request_type& req) { req.set(http::field::cookie, cookies); }));
  // One deadline for the handshake and the whole execution (asio's blocking reads ignore
  // SO_RCVTIMEO, and Jupyter's pings would keep a per-read timeout alive anyway).
  const auto deadline = Clock::now() + 30s;
  auto wait = [&](bool& done) {
    io.restart();
    io.run_until(deadline);
    if (done) return true;
    boost::system::error_code ignored;
    ws.next_layer().close(ignored);  // completes the pending operation with an error
    io.restart();
    io.run();
    return false;
  };
  boost::system::error_code ec;
  bool done = false;
  ws.async_handshake(b.host + ":" + std::to_string(b.port),
                     "/api/kernels/" + kernel_id + "/channels?session_id=e2e-session",
                     [&](boost::system::error_code e) {
                       ec = e;
                       done = true;
                     });
  const bool in_time = wait(done);
  if (!in_time || ec) {
    run.problem = "kernel WebSocket handshake: " + (in_time ? ec.message() : std::string("no answer in 30 s"));
    return run;
  }

  const std::string msg_id = "e2e-" + std::to_string(Clock::now().time_since_epoch().count());
  json::object msg{
      {"header",
       {{"msg_id", msg_id},
        {"username", "e2e"},
        {"session", "e2e-session"},
        {"msg_type", "execute_request"},
        {"version", "5.3"},
        {"date", "2026-11-28T12:00:00.000000Z"}}},
      {"parent_header", json::object{}},
      {"metadata", json::object{}},
      {"content",
       {{"code", code},
        {"silent", false},
        {"store_history", true},
        {"user_expressions", json::object{}},
        {"allow_stdin", false},
        {"stop_on_error", true}}},
      {"channel", "shell"},
  };
  ws.text(true);
  ws.write(boost::asio::buffer(json::serialize(msg)));

  for (;;) {
    boost::beast::flat_buffer buffer;
    done = false;
    ws.async_read(buffer, [&](boost::system::error_code e, std::size_t) {
      ec = e;
      done = true;
    });
    if (!wait(done)) {
      run.problem = "the kernel did not finish `" + code + "` within 30 s";
      return run;
    }
    if (ec) {
      run.problem = "kernel WebSocket: " + ec.message();
      break;
    }
    json::value reply = parse(boost::beast::buffers_to_string(buffer.data()));
    const json::value* parent = reply.is_object() ? reply.as_object().if_contains("parent_header")
                                                  : nullptr;
    if (!parent || str(*parent, "msg_id") != msg_id) continue;
    const std::string type = str(reply.at("header"), "msg_type");
    const json::value& content = reply.at("content");
    if (type == "stream") run.printed += str(content, "text");
    if (type == "error") run.problem = "the kernel raised: " + json::serialize(content);
    if (type == "status" && str(content, "execution_state") == "idle") break;
  }
  done = false;
  ws.async_close(websocket::close_code::normal, [&](boost::system::error_code) { done = true; });
  wait(done);
  return run;
}

// run_cell for code that must work: any problem is a test failure. Returns what it printed.
inline std::string execute(const Browser& b, const std::string& kernel_id, const std::string& code) {
  CellRun run = run_cell(b, kernel_id, code);
  if (!run.problem.empty()) ADD_FAILURE() << run.problem << "; printed so far: " << run.printed;
  return run.printed;
}


}  // namespace k4ds::e2e
