// The k4ds gateway with a route table of a given size, for bench/route_scale.sh (issue 3: "with
// 100k routes, throughput within 5% of 10 routes"). A SQLite store (as `k4ds up` uses) filled
// with ROUTES running workspaces, every one routed to the same UPSTREAM, four per owner
// ("user<i/4>-ws<i%4>.localhost"); an admin "bench" with an API token; then the real Gateway and
// Listener (2 I/O threads, as in bench/gateway.sh) on a free loopback port until SIGTERM/SIGINT.
//
// Usage: route_scale_server UPSTREAM ROUTES OUT_FILE
//   UPSTREAM  "127.0.0.1:PORT" of the 1 KiB upstream
//   OUT_FILE  written once serving: "<port> <token>\n"
// The script then requests the same ten hosts in both configurations (spread across the table
// with many routes), so only the size of the table differs between the runs.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "auth/authenticator.h"
#include "gateway/gateway.h"
#include "gateway/listener.h"
#include "gateway/pages.h"
#include "store/sqlite/sqlite_store.h"

using namespace k4ds;
using Steady = std::chrono::steady_clock;

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: route_scale_server UPSTREAM ROUTES OUT_FILE\n");
    return 2;
  }
  const std::string upstream = argv[1];
  const int routes = std::atoi(argv[2]);
  const std::string out_file = argv[3];
  if (routes < 1) {
    std::fprintf(stderr, "route_scale_server: ROUTES must be a positive number, not %s\n", argv[2]);
    return 2;
  }
  char tmpl[] = "/tmp/k4ds-route-scale-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  struct RemoveDir {
    std::string dir;
    ~RemoveDir() { std::filesystem::remove_all(dir); }
  } remove_dir{dir};

  auto opened = open_sqlite_store(dir + "/k4ds.db");
  if (!opened) {
    std::fprintf(stderr, "cannot open the store: %s\n", opened.status().to_string().c_str());
    return 1;
  }
  std::unique_ptr<Store> store = std::move(opened.value());
  const auto t0 = Steady::now();
  constexpr int kBatch = 5000;
  for (int start = 0; start < routes; start += kBatch) {
    Status s = store->write([&](Tx& tx) -> Status {
      for (int i = start; i < std::min(routes, start + kBatch); ++i) {
        Workspace ws{.id = "w" + std::to_string(i), .owner = "user" + std::to_string(i / 4),
                     .name = "ws" + std::to_string(i % 4), .environment = "bench", .size = "small",
                     .phase = Phase::running, .upstream = upstream};
        K4DS_RETURN_IF_ERROR(tx.create_workspace(ws).status());
      }
      return ok_status();
    });
    if (!s.ok()) {
      std::fprintf(stderr, "cannot fill the store: %s\n", s.to_string().c_str());
      return 1;
    }
  }

  Services services = Services::system();
  Authenticator auth(*store, services, AuthenticatorOptions{.password_cost = PasswordCost::minimum()});
  if (auto admin = auth.create_user(User{.name = "bench", .admin = true}, ""); !admin) {
    std::fprintf(stderr, "cannot create the admin: %s\n", admin.status().to_string().c_str());
    return 1;
  }
  auto token = auth.create_token("bench", "route-scale", std::nullopt);
  if (!token) {
    std::fprintf(stderr, "cannot create a token: %s\n", token.status().to_string().c_str());
    return 1;
  }
  Gateway gateway(*store, auth, services, GatewayOptions{.domain = "localhost"});
  Listener listener(
      ListenerOptions{.listen = "127.0.0.1:0", .domain = "localhost"},
      [](const HttpRequest&, const RequestContext&) -> Reply {
        return json_reply(boost::beast::http::status::not_found, "not_found", "no portal in this benchmark");
      },
      *store, &gateway);
  if (Status bound = listener.bind(); !bound.ok()) {
    std::fprintf(stderr, "cannot listen: %s\n", bound.to_string().c_str());
    return 1;
  }
  std::fprintf(stderr, "route_scale_server: %zu routes loaded in %.0f ms, serving on port %u\n",
               gateway.routes()->size(), std::chrono::duration<double, std::milli>(Steady::now() - t0).count(),
               listener.port());
  {
    std::ofstream out(out_file + ".tmp");
    out << listener.port() << " " << token->secret << "\n";
  }
  std::filesystem::rename(out_file + ".tmp", out_file);
  listener.run_until_signal();
  return 0;
}
