// fake_apiserver: a small Kubernetes API server for kubernetes_test. HTTPS on 127.0.0.1,
// objects in memory, the REST semantics k4ds's client uses (handlers.h, apply.h, streams.h) and
// /_test hooks with which a test plays the kubelet and injects failures:
//   POST /_test/fail?code=503&count=2        the next 2 API requests answer 503
//   POST /_test/fail?code=429&count=1&retry_after=2   ... with a Retry-After: 2 header
//   POST /_test/fail?code=409&count=1&method=POST&match=/pods   only requests with that method
//                                            whose path contains `match` (409: a write conflict)
//   POST /_test/slow?seconds=3               the next API request waits 3 s before answering
//   POST /_test/status?path=P  {...}         sets the status of the object at P
//   POST /_test/status?path=C&labelSelector=S  {...}   ... of every object of collection C matching S
//   POST /_test/compact                      versions so far expire: watches from them get 410,
//                                            open watches end with an ERROR 410 event
//   GET  /_test/requests                     {"requests": N}: API requests answered
//   POST /_test/log?path=POD {"text": T}     appends T to the Pod's output ("log of NAME\n" at first)
// With $K4DS_FAKE_APISERVER_LOG set, every counted API request is appended to that file as
// "METHOD path?query".
//
// Usage: fake_apiserver [--port=N] [--state=FILE] CERT KEY PORT_FILE TOKEN [NODE VALIDATOR]
//   --port: listen there (default: any free port; PORT_FILE says which, written once listening).
//   --state: objects kept in FILE (written at every change, read at start): a new process on the
//   same port is the same API server restarted (versions go on; watches from before get 410).
//   NODE VALIDATOR (node and tests/kubernetes/schema/validate.mjs): every object stored is first
//   checked against the official schemas, and refused with 422 when invalid.
// (It took over from a Python server, tests/kubernetes/fake_apiserver.py, with the same command line.)
#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "handlers.h"
#include "session.h"
#include "store.h"
#include "validator.h"

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using namespace k4ds::fake_apiserver;

namespace {

constexpr const char* kUsage =
    "usage: fake_apiserver [--port=N] [--state=FILE] CERT KEY PORT_FILE TOKEN [NODE VALIDATOR]\n";

int serve(const std::map<std::string, std::string>& flags, const std::vector<std::string>& args) {
  auto flag = [&](const std::string& name) {
    auto it = flags.find(name);
    return it == flags.end() ? std::string() : it->second;
  };
  const std::string& cert = args[0];
  const std::string& key = args[1];
  const std::string& port_file = args[2];
  Store store(flag("state"));
  Validator validator(args.size() == 6 ? args[4] : "", args.size() == 6 ? args[5] : "");
  Api api(store, validator, args[3]);

  ssl::context tls(ssl::context::tls_server);
  tls.use_certificate_chain_file(cert);
  tls.use_private_key_file(key, ssl::context::pem);
  asio::io_context io;
  const std::string port = flag("port").empty() ? "0" : flag("port");
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                                           static_cast<unsigned short>(std::stoi(port))));
  {
    std::ofstream(port_file + ".tmp") << acceptor.local_endpoint().port();
  }
  std::filesystem::rename(port_file + ".tmp", port_file);  // whole or absent for the waiting test
  for (;;) {
    tcp::socket socket(io);
    boost::system::error_code ec;
    acceptor.accept(socket, ec);
    if (ec) {  // out of descriptors, most likely: let connections end
      std::cerr << "fake_apiserver: accept failed (" << ec.message() << ")\n";
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    std::thread([s = std::move(socket), &tls, &api]() mutable { serve_connection(std::move(s), tls, api); }).detach();
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> flags;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.starts_with("--")) {
      size_t eq = a.find('=');
      flags[a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2)] =
          eq == std::string::npos ? "" : a.substr(eq + 1);
    } else {
      args.push_back(a);
    }
  }
  if (args.size() != 4 && args.size() != 6) {
    std::cerr << kUsage;
    return 2;
  }
  ::signal(SIGPIPE, SIG_IGN);  // a client or node gone mid-write is an error code, not the end
  try {
    return serve(flags, args);
  } catch (const std::exception& e) {
    std::cerr << "fake_apiserver: cannot start: " << e.what() << "\n" << kUsage;
    return 1;
  }
}
