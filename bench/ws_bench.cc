// ws_bench: the WebSocket programs behind bench/websocket.sh (Boost.Beast, no k4ds code).
//
//   ws_bench echo PORT [THREADS]
//       A WebSocket echo server on 127.0.0.1:PORT (the benchmark's upstream). Any plain HTTP
//       request (a health check) gets 200 "ok". Runs until killed.
//   ws_bench load  --connect HOST:PORT [--host H] [--cookie C] [--connections 64]
//                  [--seconds 10] [--size 64] [--threads 2]
//       Opens CONNECTIONS WebSockets, then for SECONDS each one sends a SIZE-byte message and
//       waits for its echo, over and over (one message in flight per connection). Prints
//       "messages=N seconds=S rate=R p50_ms=A p99_ms=B errors=E".
//   ws_bench idle  --connect HOST:PORT [--host H] [--cookie C] [--count 2000] [--hold 120]
//       Opens COUNT WebSockets (one echo each, so every tunnel is complete), prints
//       "ready=N errors=E" and keeps them open, idle, for at most HOLD seconds (or until killed).
//   ws_bench cycle --connect HOST:PORT [--host H] [--cookie C] [--count 100000]
//                  [--seconds 120] [--concurrency 16]
//       Connect, handshake, one echo, close handshake; COUNT times, CONCURRENCY at a time, but
//       for at most SECONDS. Prints "cycles=N errors=E seconds=S capped=yes|no".
//
// Every client mode exits non-zero when nothing worked (no connection, no message), so the
// script notices a broken set-up instead of printing a zero. All raise RLIMIT_NOFILE to the
// hard limit, since the idle mode needs thousands of sockets.
#include <sys/resource.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using asio::awaitable;
using Clock = std::chrono::steady_clock;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);

namespace {

using Ws = websocket::stream<beast::tcp_stream>;

void raise_fd_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

// ---- echo server ------------------------------------------------------------------------------

awaitable<void> echo_session(tcp::socket socket) {
  socket.set_option(tcp::no_delay(true));
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {  // plain HTTP requests (health checks) until one asks for an upgrade
    http::request<http::string_body> req;
    auto [ec, n] = co_await http::async_read(stream, buffer, req, kAsTuple);
    if (ec) co_return;
    if (websocket::is_upgrade(req)) {
      Ws ws(std::move(stream));
      ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
      auto [aec] = co_await ws.async_accept(req, kAsTuple);
      if (aec) co_return;
      beast::flat_buffer frame;
      for (;;) {
        auto [rec, rn] = co_await ws.async_read(frame, kAsTuple);
        if (rec) co_return;
        ws.text(ws.got_text());
        auto [wec, wn] = co_await ws.async_write(frame.data(), kAsTuple);
        if (wec) co_return;
        frame.consume(frame.size());
      }
    }
    http::response<http::string_body> res{http::status::ok, req.version()};
    res.set(http::field::content_type, "text/plain");
    res.body() = "ok";
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    auto [wec, wn] = co_await http::async_write(stream, res, kAsTuple);
    if (wec || !res.keep_alive()) co_return;
  }
}

awaitable<void> echo_accept(tcp::acceptor& acceptor) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kAsTuple);
    if (ec) continue;
    auto ex = socket.get_executor();
    asio::co_spawn(ex, echo_session(std::move(socket)), asio::detached);
  }
}

int run_echo(int port, int threads) {
  asio::io_context io(threads);
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)));
  acceptor.listen(4096);
  asio::co_spawn(io, echo_accept(acceptor), asio::detached);
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&] { io.run(); });
  io.run();
  for (auto& t : pool) t.join();
  return 0;
}

// ---- clients ---------------------------------------------------------------------------------

struct Target {
  tcp::endpoint endpoint;
  std::string host;    // Host header
  std::string cookie;  // Cookie header, may be empty
  std::string path = "/";
};

// Opens one WebSocket through the proxy; returns null and sets ec on failure.
awaitable<std::unique_ptr<Ws>> open_ws(const Target& t, boost::system::error_code& ec) {
  auto ex = co_await asio::this_coro::executor;
  auto ws = std::make_unique<Ws>(ex);
  beast::get_lowest_layer(*ws).expires_after(std::chrono::seconds(10));
  auto [cec] = co_await beast::get_lowest_layer(*ws).async_connect(t.endpoint, kAsTuple);
  if (cec) {
    ec = cec;
    co_return nullptr;
  }
  beast::get_lowest_layer(*ws).socket().set_option(tcp::no_delay(true));
  const std::string cookie = t.cookie;
  ws->set_option(websocket::stream_base::decorator([cookie](websocket::request_type& req) {
    if (!cookie.empty()) req.set(http::field::cookie, cookie);
  }));
  auto [hec] = co_await ws->async_handshake(t.host, t.path, kAsTuple);
  beast::get_lowest_layer(*ws).expires_never();
  if (hec) {
    ec = hec;
    co_return nullptr;
  }
  ws->set_option(websocket::stream_base::timeout{std::chrono::seconds(10), websocket::stream_base::none(), false});
  co_return ws;
}

// Sends `message` and reads its echo; false on error or a wrong echo.
awaitable<bool> echo_once(Ws& ws, const std::string& message, beast::flat_buffer& in) {
  auto [wec, wn] = co_await ws.async_write(asio::buffer(message), kAsTuple);
  if (wec) co_return false;
  auto [rec, rn] = co_await ws.async_read(in, kAsTuple);
  if (rec) co_return false;
  const bool same = in.size() == message.size() &&
                    std::equal(message.begin(), message.end(), static_cast<const char*>(in.data().data()));
  in.consume(in.size());
  co_return same;
}

struct Shared {
  std::atomic<int> ready{0};
  std::atomic<int> failed{0};
  std::atomic<bool> measuring{false};
  std::atomic<bool> stop{false};
  std::atomic<long> messages{0};
  std::atomic<long> errors{0};
};

awaitable<void> load_connection(const Target& t, Shared& s, std::size_t size, std::vector<uint32_t>& latencies_us) {
  boost::system::error_code ec;
  auto opened = co_await open_ws(t, ec);
  if (!opened) {
    s.failed++;
    s.errors++;
    co_return;
  }
  auto ws = std::move(opened);
  s.ready++;
  std::string message(size, 'm');
  beast::flat_buffer in;
  while (!s.stop.load(std::memory_order_relaxed)) {
    const auto start = Clock::now();
    const bool counted = s.measuring.load(std::memory_order_relaxed);
    bool ok = co_await echo_once(*ws, message, in);
    if (!ok) {
      s.errors++;
      break;
    }
    if (counted && s.measuring.load(std::memory_order_relaxed)) {
      s.messages.fetch_add(1, std::memory_order_relaxed);
      latencies_us.push_back(static_cast<uint32_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count()));
    }
  }
  beast::get_lowest_layer(*ws).socket().close(ec);
}

// Runs `per_thread[i]` io_contexts on their own threads until `done` returns true or `limit`
// passes; then stops them all and joins.
template <class Done>
void run_threads(std::vector<std::unique_ptr<asio::io_context>>& ios, Done done, std::chrono::seconds limit) {
  std::vector<std::thread> threads;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  for (auto& io : ios) guards.emplace_back(io->get_executor());
  for (auto& io : ios) threads.emplace_back([&io] { io->run(); });
  const auto until = Clock::now() + limit;
  while (!done() && Clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  for (auto& io : ios) io->stop();
  for (auto& t : threads) t.join();
}

double percentile(std::vector<uint32_t>& v, double p) {
  if (v.empty()) return 0;
  auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k] / 1000.0;
}

int run_load(const Target& t, int connections, int seconds, std::size_t size, int threads) {
  Shared s;
  std::vector<std::unique_ptr<asio::io_context>> ios;
  for (int i = 0; i < threads; ++i) ios.push_back(std::make_unique<asio::io_context>(1));
  std::vector<std::vector<uint32_t>> latencies(static_cast<std::size_t>(connections));
  for (int i = 0; i < connections; ++i) {
    asio::co_spawn(*ios[static_cast<std::size_t>(i % threads)],
                   load_connection(t, s, size, latencies[static_cast<std::size_t>(i)]), asio::detached);
  }
  Clock::time_point start, end;
  bool started = false;
  run_threads(
      ios,
      [&] {
        if (!started) {
          if (s.ready + s.failed < connections) return false;
          if (s.ready == 0) return true;  // nothing connected
          started = true;
          start = Clock::now();
          s.measuring = true;
          return false;
        }
        if (Clock::now() - start < std::chrono::seconds(seconds)) return false;
        s.measuring = false;
        end = Clock::now();
        s.stop = true;
        return true;
      },
      std::chrono::seconds(seconds + 30));
  if (!started || s.ready == 0) {
    std::cerr << "ws_bench load: no WebSocket could be opened through " << t.endpoint << " (host " << t.host
              << "); check the proxy and the cookie\n";
    return 1;
  }
  if (end == Clock::time_point{}) end = Clock::now();
  std::vector<uint32_t> all;
  for (auto& v : latencies) all.insert(all.end(), v.begin(), v.end());
  const double secs = std::chrono::duration<double>(end - start).count();
  std::printf("messages=%ld seconds=%.2f rate=%.0f p50_ms=%.3f p99_ms=%.3f errors=%ld connections=%d\n",
              s.messages.load(), secs, static_cast<double>(s.messages.load()) / secs, percentile(all, 0.50),
              percentile(all, 0.99), s.errors.load(), s.ready.load());
  return s.messages.load() > 0 ? 0 : 1;
}

int run_idle(const Target& t, int count, int hold) {
  asio::io_context io(1);
  std::vector<std::unique_ptr<Ws>> open;
  int done = 0, errors = 0;
  const int window = 64;  // handshakes in flight
  std::atomic<int> next{0};
  auto opener = [&]() -> awaitable<void> {
    for (int i = next++; i < count; i = next++) {
      boost::system::error_code ec;
      auto ws = co_await open_ws(t, ec);
      beast::flat_buffer in;
      if (ws && co_await echo_once(*ws, "hello", in)) {
        open.push_back(std::move(ws));
      } else {
        errors++;
      }
      done++;
    }
  };
  for (int i = 0; i < window; ++i) asio::co_spawn(io, opener(), asio::detached);
  const auto until = Clock::now() + std::chrono::seconds(std::max(hold, 1));
  while (done < count && Clock::now() < until) io.run_for(std::chrono::milliseconds(50));
  std::printf("ready=%zu errors=%d\n", open.size(), errors);
  std::fflush(stdout);
  if (open.empty()) return 1;
  // Idle: nothing is read or written; the sockets just stay open.
  while (Clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  return 0;
}

int run_cycle(const Target& t, long count, int seconds, int concurrency) {
  asio::io_context io(1);
  long started = 0, cycles = 0, errors = 0;
  const auto begin = Clock::now();
  const auto until = begin + std::chrono::seconds(seconds);
  auto worker = [&]() -> awaitable<void> {
    while (started < count && Clock::now() < until) {
      ++started;
      boost::system::error_code ec;
      auto ws = co_await open_ws(t, ec);
      beast::flat_buffer in;
      if (!ws || !co_await echo_once(*ws, "cycle", in)) {
        errors++;
        continue;
      }
      auto [cec] = co_await ws->async_close(websocket::close_code::normal, kAsTuple);
      if (cec) {
        errors++;
        continue;
      }
      cycles++;
    }
  };
  for (int i = 0; i < concurrency; ++i) asio::co_spawn(io, worker(), asio::detached);
  io.run_for(std::chrono::seconds(seconds + 15));
  const double secs = std::chrono::duration<double>(Clock::now() - begin).count();
  std::printf("cycles=%ld errors=%ld seconds=%.1f capped=%s\n", cycles, errors, secs, started < count ? "yes" : "no");
  return cycles > 0 ? 0 : 1;
}

std::map<std::string, std::string> options(int argc, char** argv, int from) {
  std::map<std::string, std::string> out;
  for (int i = from; i + 1 < argc; i += 2) {
    std::string key = argv[i];
    if (!key.starts_with("--")) throw std::invalid_argument("expected an option, got \"" + key + "\"");
    out[key.substr(2)] = argv[i + 1];
  }
  return out;
}

tcp::endpoint parse_endpoint(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos) throw std::invalid_argument("--connect wants HOST:PORT, got \"" + text + "\"");
  return {asio::ip::make_address(text.substr(0, colon)), static_cast<uint16_t>(std::stoi(text.substr(colon + 1)))};
}

}  // namespace

int main(int argc, char** argv) {
  raise_fd_limit();
  const std::string usage =
      "usage: ws_bench echo PORT [THREADS] | ws_bench load|idle|cycle --connect HOST:PORT [options] "
      "(see the comment at the top of bench/ws_bench.cc)\n";
  if (argc < 2) {
    std::cerr << usage;
    return 2;
  }
  const std::string mode = argv[1];
  try {
    if (mode == "echo") {
      if (argc < 3) throw std::invalid_argument("echo wants a PORT");
      return run_echo(std::stoi(argv[2]), argc > 3 ? std::stoi(argv[3]) : 1);
    }
    auto opt = options(argc, argv, 2);
    auto get = [&](const std::string& key, const std::string& fallback) {
      auto it = opt.find(key);
      return it == opt.end() ? fallback : it->second;
    };
    if (!opt.count("connect")) throw std::invalid_argument("--connect HOST:PORT is required");
    Target t{.endpoint = parse_endpoint(opt["connect"]), .host = get("host", opt["connect"]),
             .cookie = get("cookie", ""), .path = get("path", "/")};
    if (mode == "load") {
      return run_load(t, std::stoi(get("connections", "64")), std::stoi(get("seconds", "10")),
                      std::stoul(get("size", "64")), std::stoi(get("threads", "2")));
    }
    if (mode == "idle") return run_idle(t, std::stoi(get("count", "2000")), std::stoi(get("hold", "120")));
    if (mode == "cycle") {
      return run_cycle(t, std::stol(get("count", "100000")), std::stoi(get("seconds", "120")),
                       std::stoi(get("concurrency", "16")));
    }
    std::cerr << usage;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "ws_bench " << mode << ": " << e.what() << "\n" << usage;
    return 2;
  }
}
