#include "kubernetes/client.h"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <array>
#include <optional>
#include <thread>

namespace k4ds::kubernetes {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
namespace json = boost::json;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

struct Target {
  std::string host;
  std::string port;
};

struct Try {
  const Target& target;
  std::string sni;  // tls-server-name, else the host
  ssl::context& tls;
  http::request<http::string_body>& request;
  std::chrono::milliseconds timeout;
  http::response<http::string_body> response;
  std::string error;  // "" = an answer arrived
};

// Resolves, connects (the deadline `timeout` covers everything after), checks the server's
// certificate and name, and sends the request. Returns "" or what failed, for the caller.
asio::awaitable<std::string> connect_and_send(beast::ssl_stream<beast::tcp_stream>& stream, const Target& target,
                                              const std::string& sni, http::request<http::string_body>& request,
                                              std::chrono::milliseconds timeout) {
  tcp::resolver resolver(stream.get_executor());
  auto [rec, endpoints] = co_await resolver.async_resolve(target.host, target.port, kTuple);
  if (rec) co_return "cannot resolve " + target.host + ": " + rec.message();
  beast::get_lowest_layer(stream).expires_after(timeout);
  auto [cec, ep] = co_await beast::get_lowest_layer(stream).async_connect(endpoints, kTuple);
  if (cec) co_return "cannot connect (" + cec.message() + ")";
  SSL_set_tlsext_host_name(stream.native_handle(), sni.c_str());
  stream.set_verify_mode(ssl::verify_peer);
  stream.set_verify_callback(ssl::host_name_verification(sni));
  auto [hec] = co_await stream.async_handshake(ssl::stream_base::client, kTuple);
  if (hec) co_return "TLS handshake failed (" + hec.message() + "); check the cluster's CA in the kubeconfig";
  auto [wec, wn] = co_await http::async_write(stream, request, kTuple);
  if (wec) co_return "sending failed (" + wec.message() + ")";
  co_return std::string();
}

asio::awaitable<void> exchange(Try& t) {
  auto executor = co_await asio::this_coro::executor;
  beast::ssl_stream<beast::tcp_stream> stream(executor, t.tls);
  std::string failed = co_await connect_and_send(stream, t.target, t.sni, t.request, t.timeout);
  if (!failed.empty()) {
    t.error = std::move(failed);
    co_return;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(256 * 1024 * 1024);
  auto [rec2, rn] = co_await http::async_read(stream, buffer, parser, kTuple);
  if (rec2) {
    t.error = rec2 == beast::error::timeout ? "no answer within the deadline" : "reading failed (" + rec2.message() + ")";
    co_return;
  }
  t.response = parser.release();
}

// A watch: the same connection as exchange(), then the body read as it arrives, one JSON
// event per line.
struct WatchTry {
  const Target& target;
  std::string sni;
  ssl::context& tls;
  http::request<http::string_body>& request;
  std::chrono::milliseconds deadline;
  const std::function<bool(const WatchEvent&)>& on_event;
  int status = 0;
  std::string error_body;
  std::string error;
  std::string last_version;
  bool expired = false;
  // Cancellation from another thread: a poller closes the stream when *cancel turns true.
  const std::atomic<bool>* cancel = nullptr;
  // Raw mode (logs): the body's bytes as they come, instead of one JSON event per line.
  const std::function<bool(std::string_view)>* on_data = nullptr;
  beast::ssl_stream<beast::tcp_stream>* stream = nullptr;
  bool done = false;
  bool cancelled = false;
};

bool handle_line(WatchTry& w, std::string_view line) {
  boost::system::error_code ec;
  json::value v = json::parse(line, ec);
  if (ec || !v.is_object()) return true;  // not an event: skip
  auto* type = v.as_object().if_contains("type");
  auto* object = v.as_object().if_contains("object");
  if (!type || !type->is_string() || !object || !object->is_object()) return true;
  if (type->as_string() == "ERROR") {
    auto* code = object->as_object().if_contains("code");
    if (code && code->is_int64() && code->as_int64() == 410) w.expired = true;
    else w.error = "the watch ended with an error: " + json::serialize(*object);
    return false;
  }
  if (auto* m = object->as_object().if_contains("metadata"); m && m->is_object()) {
    if (auto* rv = m->as_object().if_contains("resourceVersion"); rv && rv->is_string()) {
      w.last_version = std::string(rv->as_string());
    }
  }
  WatchEvent event{std::string(type->as_string()), object->as_object()};
  return w.on_event(event);
}

asio::awaitable<void> watch_body(WatchTry& w, beast::ssl_stream<beast::tcp_stream>& stream);

asio::awaitable<void> watch_exchange(WatchTry& w) {
  auto executor = co_await asio::this_coro::executor;
  beast::ssl_stream<beast::tcp_stream> stream(executor, w.tls);
  w.stream = &stream;
  co_await watch_body(w, stream);
  w.stream = nullptr;
  w.done = true;
}

// Checks the cancel flag every 100 ms while the watch runs; closing the socket ends the
// watch's pending read at once.
asio::awaitable<void> watch_cancel_poller(WatchTry& w) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!w.done) {
    timer.expires_after(std::chrono::milliseconds(100));
    auto [ec] = co_await timer.async_wait(kTuple);
    (void)ec;
    if (!w.done && !w.cancelled && w.cancel->load() && w.stream) {
      w.cancelled = true;
      beast::get_lowest_layer(*w.stream).close();
    }
  }
}

asio::awaitable<void> watch_body(WatchTry& w, beast::ssl_stream<beast::tcp_stream>& stream) {
  // The deadline covers the whole watch.
  std::string failed = co_await connect_and_send(stream, w.target, w.sni, w.request, w.deadline);
  if (!failed.empty()) {
    w.error = std::move(failed);
    co_return;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);
  auto [hrec, hn] = co_await http::async_read_header(stream, buffer, parser, kTuple);
  if (hrec) {
    w.error = "reading failed (" + hrec.message() + ")";
    co_return;
  }
  w.status = parser.get().result_int();
  std::string pending;
  std::array<char, 8192> chunk;
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    auto [ec, n] = co_await http::async_read_some(stream, buffer, parser, kTuple);
    if (ec == http::error::need_buffer) ec = {};
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == ssl::error::stream_truncated) break;
    if (ec) {
      if (ec != beast::error::timeout) w.error = "reading failed (" + ec.message() + ")";
      break;  // the deadline ends a watch normally
    }
    std::string_view got(chunk.data(), chunk.size() - parser.get().body().size);
    if (w.status / 100 != 2) {
      w.error_body.append(got);
      continue;
    }
    if (w.on_data) {
      if (!got.empty() && !(*w.on_data)(got)) co_return;
      continue;
    }
    pending.append(got);
    size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      std::string line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      if (!handle_line(w, line)) co_return;
    }
  }
  if (w.status / 100 == 2 && !pending.empty() && !w.on_data) handle_line(w, pending);
}

// Where requests to the cluster go: host and port, the base path of its URL, and its name for
// messages ("the cluster https://… (kubeconfig context prod)").
struct Server {
  Target target;
  std::string base;
  std::string where;
};

Result<Server> server_of(const ClusterConnection& c) {
  auto url = boost::urls::parse_uri(c.server);
  if (!url) return invalid_argument("the cluster address " + c.server + " is not a URL");
  Server out{.target = {std::string(url->host()), url->has_port() ? std::string(url->port()) : "443"},
             .base = std::string(url->path()),
             .where = "the cluster " + c.server + " (kubeconfig context " + c.context + ")"};
  std::string& host = out.target.host;
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  while (!out.base.empty() && out.base.back() == '/') out.base.pop_back();
  return out;
}

Status load_pem(ssl::context& tls, const ClusterConnection& c) {
  boost::system::error_code ec;
  if (c.insecure_skip_tls_verify) {
    tls.set_verify_mode(ssl::verify_none);
  } else if (!c.ca_pem.empty()) {
    tls.add_certificate_authority(asio::buffer(c.ca_pem), ec);
    if (ec) return invalid_argument("the CA of cluster context " + c.context + " is not a PEM certificate");
  } else {
    tls.set_default_verify_paths();
  }
  if (!c.client_cert_pem.empty()) {
    tls.use_certificate_chain(asio::buffer(c.client_cert_pem), ec);
    if (!ec) tls.use_private_key(asio::buffer(c.client_key_pem), ssl::context::pem, ec);
    if (ec) {
      return invalid_argument("the client certificate or key of context " + c.context +
                              " cannot be used (" + ec.message() + ")");
    }
  }
  return ok_status();
}

std::string status_message(const std::string& body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (!ec && v.is_object()) {
    if (auto* m = v.as_object().if_contains("message"); m && m->is_string()) return std::string(m->as_string());
  }
  return body.substr(0, 300);
}

std::string status_reason(const std::string& body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (!ec && v.is_object()) {
    if (auto* m = v.as_object().if_contains("reason"); m && m->is_string()) return std::string(m->as_string());
  }
  return "";
}

std::string plural(std::string kind) {
  for (char& c : kind) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (kind.ends_with("y")) return kind.substr(0, kind.size() - 1) + "ies";
  if (kind.ends_with("s")) return kind + "es";
  return kind + "s";
}

// Retry-After in seconds (the API server sends whole seconds with 429 and some 5xx); nullopt
// when absent or an HTTP date, which the API server does not send.
std::optional<std::chrono::seconds> retry_after(const http::response<http::string_body>& response) {
  auto it = response.find(http::field::retry_after);
  if (it == response.end()) return std::nullopt;
  std::string_view v = it->value();
  if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  return std::chrono::seconds(std::stoll(std::string(v)));
}

}  // namespace

Result<std::string> collection_path(const json::object& o) {
  auto* api_version = o.if_contains("apiVersion");
  auto* kind = o.if_contains("kind");
  if (!api_version || !api_version->is_string() || !kind || !kind->is_string()) {
    return invalid_argument("the object has no apiVersion/kind");
  }
  std::string av(api_version->as_string());
  std::string path = av.find('/') == std::string::npos ? "/api/" + av : "/apis/" + av;
  const json::value* ns = nullptr;
  if (auto* m = o.if_contains("metadata"); m && m->is_object()) ns = m->as_object().if_contains("namespace");
  if (ns && ns->is_string() && !ns->as_string().empty()) path += "/namespaces/" + std::string(ns->as_string());
  return path + "/" + plural(std::string(kind->as_string()));
}

KubeClient::KubeClient(ClusterConnection connection, ClientOptions options)
    : connection_(connection),
      options_(options),
      tokens_(std::move(connection)),
      limiter_(options.qps, options.burst) {}

KubeClient::~KubeClient() = default;

Result<json::value> KubeClient::get(const std::string& path) { return call_json("GET", path, ""); }

Result<json::value> KubeClient::create(const std::string& collection, const json::object& object) {
  return call_json("POST", collection, json::serialize(object));
}

Result<json::value> KubeClient::replace(const std::string& path, const json::object& object) {
  return call_json("PUT", path, json::serialize(object));
}

Result<json::value> KubeClient::apply(const std::string& path, const json::object& object, bool force) {
  std::string query = path.find('?') == std::string::npos ? "?" : "&";
  query += "fieldManager=" + std::string(kFieldManager);
  if (force) query += "&force=true";
  // JSON is YAML: the apply patch is the object itself.
  return call_json("PATCH", path + query, json::serialize(object), "application/apply-patch+yaml");
}

Result<json::value> KubeClient::remove(const std::string& path) { return call_json("DELETE", path, ""); }

Result<std::string> KubeClient::get_text(const std::string& path) { return call("GET", path, ""); }

Result<json::value> KubeClient::call_json(std::string_view method, const std::string& path,
                                          const std::string& body, std::string_view content_type) {
  auto text = call(method, path, body, content_type);
  if (!text) return text.status();
  boost::system::error_code ec;
  json::value v = json::parse(*text, ec);
  if (ec) return internal_error("the cluster " + connection_.server + " answered " + path +
                                " with something that is not JSON");
  return v;
}

Result<std::string> KubeClient::call(std::string_view method, const std::string& path, const std::string& body,
                                     std::string_view content_type) {
  auto server = server_of(connection_);
  if (!server) return server.status();
  const Target& target = server->target;
  const std::string& base = server->base;
  const std::string& where = server->where;
  ssl::context tls(ssl::context::tls_client);
  K4DS_RETURN_IF_ERROR(load_pem(tls, connection_));

  std::chrono::milliseconds backoff = options_.first_backoff;
  std::chrono::milliseconds pause{0};  // before the next try: the backoff, or the server's Retry-After
  bool retried_auth = false;
  Status last = unavailable(where + " was not tried");
  for (int attempt = 0; attempt < options_.attempts; ++attempt) {
    if (attempt > 0) {
      std::this_thread::sleep_for(pause);
      backoff *= 2;
    }
    pause = backoff;
    std::this_thread::sleep_for(limiter_.reserve());
    auto token = tokens_.token();
    if (!token) return token.status();
    http::request<http::string_body> req;
    req.method_string(method);
    req.target(base + path);
    req.version(11);
    req.set(http::field::host, target.host);
    req.set(http::field::user_agent, "k4ds/0.1");
    req.set(http::field::accept, "application/json");
    if (!token->empty()) req.set(http::field::authorization, "Bearer " + *token);
    if (!body.empty()) req.set(http::field::content_type, content_type);
    req.body() = body;
    req.prepare_payload();
    std::string sni = connection_.tls_server_name.empty() ? target.host : connection_.tls_server_name;
    Try t{target, sni, tls, req, options_.timeout, {}, ""};
    asio::io_context ioc;
    asio::co_spawn(ioc, exchange(t), asio::detached);
    ioc.run();
    ++requests_;
    if (!t.error.empty()) {
      last = unavailable(where + ": " + t.error);  // callers say whether and when they try again
      continue;
    }
    int code = t.response.result_int();
    const std::string& text = t.response.body();
    if (code / 100 == 2) return text;
    std::string message = status_message(text);
    if (code == 401 && !retried_auth) {
      retried_auth = true;
      tokens_.invalidate();  // a plugin token may have been revoked early: get a fresh one
      --attempt;
      continue;
    }
    if (code == 429 || code / 100 == 5) {
      last = unavailable(where + " is busy or failing (HTTP " + std::to_string(code) + ": " + message + ")");
      if (auto after = retry_after(t.response)) {
        if (*after > options_.max_retry_after) {
          return unavailable(where + " is busy (HTTP " + std::to_string(code) + ") and asks to wait " +
                             std::to_string(after->count()) + " s; k4ds retries later");
        }
        pause = std::max<std::chrono::milliseconds>(pause, *after);
      }
      continue;
    }
    if (code == 404) return not_found(message);
    if (code == 409) {
      if (status_reason(text) == "AlreadyExists") return already_exists(message);
      return aborted(message);
    }
    if (code == 400 || code == 422) return invalid_argument(where + " refused the object: " + message);
    if (code == 401) return unauthenticated(where + " does not accept k4ds's credentials: " + message);
    if (code == 403 && message.find("exceeded quota") != std::string::npos) {
      return resource_exhausted(where + " refused it, a ResourceQuota is used up: " + message);
    }
    if (code == 403) {
      return permission_denied(where + " forbids it: " + message +
                               "; give k4ds's service account the permissions in docs/kubernetes.md");
    }
    return internal_error(where + " answered HTTP " + std::to_string(code) + ": " + message);
  }
  return last;
}

}  // namespace k4ds::kubernetes

namespace k4ds::kubernetes {

Result<std::string> KubeClient::watch(const std::string& path, const std::string& resource_version,
                                      std::chrono::seconds duration,
                                      const std::function<bool(const WatchEvent&)>& on_event,
                                      const std::atomic<bool>* cancel) {
  const std::string target = path + (path.find('?') == std::string::npos ? "?" : "&") +
                             "watch=true&allowWatchBookmarks=true&resourceVersion=" + resource_version +
                             "&timeoutSeconds=" + std::to_string(duration.count());
  return open_stream(target, resource_version, duration, on_event, nullptr, cancel, /*rate_limited=*/false);
}

Status KubeClient::stream_text(const std::string& path, std::chrono::seconds duration,
                               const std::function<bool(std::string_view)>& on_data,
                               const std::atomic<bool>* cancel) {
  const std::function<bool(const WatchEvent&)> no_events = [](const WatchEvent&) { return true; };
  auto streamed = open_stream(path, "", duration, no_events, &on_data, cancel, /*rate_limited=*/true);
  if (!streamed) return streamed.status();
  return ok_status();
}

Result<std::string> KubeClient::open_stream(const std::string& path, const std::string& resource_version,
                                            std::chrono::seconds duration,
                                            const std::function<bool(const WatchEvent&)>& on_event,
                                            const std::function<bool(std::string_view)>* on_data,
                                            const std::atomic<bool>* cancel, bool rate_limited) {
  auto server = server_of(connection_);
  if (!server) return server.status();
  const Target& target = server->target;
  const std::string& base = server->base;
  const std::string& where = server->where;
  ssl::context tls(ssl::context::tls_client);
  K4DS_RETURN_IF_ERROR(load_pem(tls, connection_));
  if (rate_limited) std::this_thread::sleep_for(limiter_.reserve());
  auto token = tokens_.token();
  if (!token) return token.status();
  http::request<http::string_body> req;
  req.method(http::verb::get);
  req.target(base + path);
  req.version(11);
  req.set(http::field::host, target.host);
  req.set(http::field::user_agent, "k4ds/0.1");
  if (!token->empty()) req.set(http::field::authorization, "Bearer " + *token);
  req.prepare_payload();
  std::string sni = connection_.tls_server_name.empty() ? target.host : connection_.tls_server_name;
  // The server ends the watch after `duration`; the socket deadline is a little later, so a
  // silent connection cannot hang the caller.
  auto deadline = std::chrono::duration_cast<std::chrono::milliseconds>(duration) + options_.timeout;
  WatchTry w{target, sni, tls, req, deadline, on_event};
  w.last_version = resource_version;
  w.cancel = cancel;
  w.on_data = on_data;
  asio::io_context ioc;
  asio::co_spawn(ioc, watch_exchange(w), asio::detached);
  if (cancel) asio::co_spawn(ioc, watch_cancel_poller(w), asio::detached);
  ioc.run();
  ++requests_;
  if (w.cancelled) return unavailable("the watch on " + where + " was cancelled");
  if (w.expired || w.status == 410) {
    return aborted("resource version " + resource_version + " has expired on " + where + "; list again");
  }
  if (!w.error.empty()) return unavailable(where + ": " + w.error);
  if (w.status == 404) return not_found(status_message(w.error_body));
  if (w.status == 401) {
    tokens_.invalidate();
    return unauthenticated(where + " does not accept k4ds's credentials");
  }
  if (w.status / 100 != 2) {
    return unavailable(where + " refused the watch (HTTP " + std::to_string(w.status) + ": " +
                       status_message(w.error_body) + ")");
  }
  return w.last_version;
}

}  // namespace k4ds::kubernetes
