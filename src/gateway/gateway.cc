#include "gateway/gateway.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/url/parse.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "api/http_util.h"
#include "common/logging.h"
#include "gateway/pages.h"
#include "gateway/route_feed.h"
#include "gateway/tunnel.h"

namespace k4ds {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::awaitable;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);

namespace {

bool is_upgrade_request(const http::fields& fields) {
  if (fields[http::field::upgrade].empty()) return false;
  auto [begin, end] = fields.equal_range(http::field::connection);
  for (auto it = begin; it != end; ++it) {
    for (auto token : http::token_list(it->value())) {
      if (beast::iequals(token, "upgrade")) return true;
    }
  }
  return false;
}

}  // namespace

struct Gateway::Impl {
  Impl(Store& s, Authenticator& a, Services svc, GatewayOptions o)
      : store(s),
        options(std::move(o)),
        gate(s, a, std::move(svc)),
        trusted(TrustedProxies::parse(options.trusted_proxies).value()),
        feed(s),
        pool(static_cast<std::size_t>(options.worker_threads)) {
    if (options.portal_host.empty()) options.portal_host = options.domain;
  }

  Store& store;
  GatewayOptions options;
  WorkspaceGate gate;
  TrustedProxies trusted;
  RouteFeed feed;
  asio::thread_pool pool;
  Subscription subscription;
  std::atomic<bool> refresh_pending{false};
  std::mutex flush_mutex;
  std::mutex stop_mutex;
  std::condition_variable stop_cv;
  bool stopping = false;  // guarded by stop_mutex
  std::thread flusher;
  LiveConnections live;
  std::shared_ptr<spdlog::logger> log = component_logger("gateway");

  template <class F>
  awaitable<decltype(std::declval<F>()())> on_pool(F f) {
    co_return co_await asio::co_spawn(
        pool, [&]() -> awaitable<decltype(f())> { co_return f(); }, asio::use_awaitable);
  }

  void schedule_refresh() {
    if (refresh_pending.exchange(true)) return;
    asio::post(pool, [this] {
      refresh_pending = false;
      refresh();
    });
  }

  // Writes the activity that moved since the last flush to the store (one transaction).
  Status flush_activity() {
    std::lock_guard lock(flush_mutex);
    std::vector<std::pair<std::string, int64_t>> moved;
    std::vector<std::shared_ptr<Activity>> marks;
    feed.table()->for_each([&](const Route& route) {
      const int64_t at = route.activity->seen();
      if (at <= route.activity->written()) return;
      moved.emplace_back(route.workspace_id, at);
      marks.push_back(route.activity);
    });
    if (moved.empty()) return ok_status();
    Status written = store.write([&](Tx& tx) { return tx.record_activity(moved); });
    if (!written.ok()) return written;  // tried again at the next flush
    for (std::size_t i = 0; i < marks.size(); ++i) marks[i]->set_written(moved[i].second);
    return ok_status();
  }

  void flush_and_log() {
    if (Status s = flush_activity(); !s.ok()) log->warn("cannot record workspace activity: {}", s.to_string());
  }

  // The flusher thread: every activity_flush, and once more when stopping.
  void flush_loop() {
    std::unique_lock lock(stop_mutex);
    while (!stopping) {
      stop_cv.wait_for(lock, options.activity_flush, [this] { return stopping; });
      lock.unlock();
      flush_and_log();
      lock.lock();
    }
  }

  // Drops cached verdicts when the policy changed, and re-checks the live connections when
  // anything did.
  void apply(FeedChanges touched) {
    if (touched.policy) gate.invalidate();
    if (touched.policy || touched.routes) revalidate_live();
  }

  void refresh() { apply(feed.refresh()); }

  // Read your writes: a request that would be refused for want of a route (no such workspace,
  // or not running) first makes sure the table reflects every commit made before it arrived,
  // so a workspace the API reported running is never answered "not running" because the
  // background refresh has not run yet. Only the refusal path pays: one revision read.
  bool catch_up() {
    std::optional<FeedChanges> touched = feed.catch_up();
    if (touched) apply(*touched);
    return touched.has_value();
  }

  // Closes every live relayed connection whose workspace is gone or whose user lost access.
  void revalidate_live() {
    auto table = feed.table();
    for (const std::shared_ptr<LiveConnection>& connection : live.snapshot()) {
      Credential credential;
      std::string workspace_id, owner, name;
      {
        std::lock_guard lock(connection->mutex);
        credential = connection->credential;
        workspace_id = connection->workspace_id;
        owner = connection->owner;
        name = connection->name;
      }
      const Route* route = table->find(owner, name);
      bool keep = route && route->workspace_id == workspace_id &&
                  gate.check(credential, *route).kind == GateVerdict::Kind::allowed;
      if (keep) continue;
      log->info("closing a connection of {}/{}: access was revoked or the workspace is gone", owner, name);
      LiveConnections::close(connection);
    }
  }

  std::string portal_origin(const RequestContext& context, std::optional<uint16_t> port) const {
    std::string scheme = context.secure ? "https" : "http";
    bool default_port = !port || (*port == 80 && !context.secure) || (*port == 443 && context.secure);
    return scheme + "://" + options.portal_host + (default_port ? "" : ":" + std::to_string(*port));
  }

  awaitable<bool> write_reply(beast::tcp_stream& client, HttpResponse response, unsigned version,
                              bool keep_alive) {
    response.version(version);
    response.keep_alive(keep_alive);
    client.expires_after(options.timeouts.body_idle);
    auto [ec, n] = co_await http::async_write(client, response, kAsTuple);
    co_return !ec && keep_alive;
  }

  HttpResponse callback(const http::request_header<>& header, const std::string& host,
                        const RequestContext& context);
};

HttpResponse Gateway::Impl::callback(const http::request_header<>& header, const std::string& host,
                                     const RequestContext& context) {
  auto url = boost::urls::parse_origin_form(header.target());
  std::string code, rd = "/";
  if (url) {
    for (auto param : url->params()) {
      if (param.key == "code") code = param.value;
      if (param.key == "rd") rd = param.value;
    }
  }
  // Only a local path is accepted here: the portal already validated the full URL.
  if (rd.empty() || rd[0] != '/' || rd.starts_with("//") || rd.find('\\') != std::string::npos) rd = "/";
  auto secret = gate.redeem_code(code, host, context.client_address);
  if (!secret) {
    return html_page(http::status::unauthorized, "Sign-in link not valid", secret.status().message(),
                     PageLink{"Open the workspace again", rd});
  }
  HttpResponse res = redirect_to(rd);
  // Host-only (no Domain attribute): no other host ever receives it.
  std::string cookie = std::string(kWorkspaceCookie) + "=" + *secret + "; Path=/; HttpOnly; SameSite=Lax";
  if (context.secure) cookie += "; Secure";
  res.set(http::field::set_cookie, cookie);
  return res;
}

Gateway::Gateway(Store& store, Authenticator& auth, Services services, GatewayOptions options)
    : impl_(std::make_unique<Impl>(store, auth, std::move(services), std::move(options))) {
  impl_->subscription = store.subscribe([this](int64_t) { impl_->schedule_refresh(); });
  impl_->refresh();  // anything committed between loading the routes and subscribing
  impl_->flusher = std::thread([d = impl_.get()] { d->flush_loop(); });
}

Gateway::~Gateway() {
  impl_->subscription.reset();
  {
    std::lock_guard lock(impl_->stop_mutex);
    impl_->stopping = true;
  }
  impl_->stop_cv.notify_all();
  impl_->flusher.join();
  impl_->pool.join();
}

WorkspaceGate& Gateway::gate() { return impl_->gate; }
std::shared_ptr<const RouteTable> Gateway::routes() const { return impl_->feed.table(); }
void Gateway::refresh_now() { impl_->refresh(); }
Status Gateway::flush_activity() { return impl_->flush_activity(); }
std::size_t Gateway::live_connections() const { return impl_->live.size(); }

awaitable<bool> Gateway::serve(beast::tcp_stream& client, beast::flat_buffer& buffer, HeaderParser& header,
                               const HostClass& host, const RequestContext& context,
                               GatewayConnection& connection, Deadline& deadline) {
  Impl& d = *impl_;
  auto& head = header.get();
  const unsigned version = head.version();
  const bool keep_alive_wanted = head.keep_alive();
  // An early answer can keep the connection only if no request body is left unread.
  const bool bodyless = header.is_done();
  const bool early_keep_alive = keep_alive_wanted && bodyless;
  const bool json = wants_json(head);
  // The request's fields: `head` until they move into the relay's parser, then that parser's.
  const http::fields* fields = &head;
  // Only pages and redirects need the portal's address: not built for relayed requests.
  auto portal = [&] {
    std::optional<uint16_t> port;
    if (auto normalized = normalize_host((*fields)[http::field::host])) port = normalized->port;
    return d.portal_origin(context, port);
  };

  if (head.target().starts_with("/_k4ds/callback")) {
    const std::string host_name = workspace_host(host.owner, host.name, d.options.domain);
    HttpResponse res = co_await d.on_pool([&] { return d.callback(head, host_name, context); });
    co_return co_await d.write_reply(client, std::move(res), version, early_keep_alive);
  }

  // The credential, as views into the request: copied only when this connection presents a
  // new one (the remembered verdict below then holds the copy). Valid until sanitizing.
  Credential::Kind kind = Credential::Kind::none;
  std::string_view secret;
  if (auto auth = head[http::field::authorization]; auth.starts_with("Bearer ")) {
    kind = Credential::Kind::token;
    secret = auth.substr(7);
  } else if (auto value = api::cookie_view(head, kWorkspaceCookie); !value.empty()) {
    kind = Credential::Kind::workspace_cookie;
    secret = value;
  }
  auto make_credential = [&] {
    return Credential{.kind = kind, .secret = std::string(secret),
                      .host = workspace_host(host.owner, host.name, d.options.domain)};
  };

  auto login_redirect = [&]() {
    std::string here = (context.secure ? "https://" : "http://") + std::string(head[http::field::host]) +
                       std::string(head.target());
    return redirect_to(portal() + "/login?rd=" + url_encode(here));
  };

  auto table = d.feed.table();
  const Route* route = table->find(host.owner, host.name);
  // A refusal for want of a route is only given once the table has caught up with the store.
  // Without a credential the answer is the login redirect either way, so strangers cost nothing.
  if ((!route || !route->running || !route->upstream) && kind != Credential::Kind::none) {
    const bool caught_up = co_await d.on_pool([&] { return d.catch_up(); });
    if (caught_up) {
      table = d.feed.table();
      route = table->find(host.owner, host.name);
    }
  }
  auto unauthenticated_reply = [&](const std::string& message) {
    return json || kind == Credential::Kind::token
               ? json_reply(http::status::unauthorized, "unauthenticated",
                            message + "; log in at " + portal() + "/login")
               : login_redirect();
  };
  if (!route) {
    // Authenticate first, so that strangers can't probe which workspaces exist.
    GateVerdict who;
    if (kind != Credential::Kind::none) {
      const Credential credential = make_credential();
      GateVerdict identified = co_await d.on_pool([&] { return d.gate.identify(credential); });
      who = std::move(identified);
    }
    HttpResponse reply =
        who.kind != GateVerdict::Kind::allowed
            ? unauthenticated_reply("log in to open this workspace")
            : gateway_reply(json, http::status::not_found, "not_found", "No such workspace",
                            "There is no workspace " + host.name + " of " + host.owner +
                                ". Check the address, or launch it from the portal.",
                            {"Go to the portal", portal() + "/"});
    co_return co_await d.write_reply(client, std::move(reply), version, early_keep_alive);
  }

  // The verdict: remembered on this connection while nothing relevant changed, else from the
  // gate's cache, else decided on the worker pool.
  const uint64_t generation = d.gate.generation();
  auto& remembered = connection.verdict;
  if (!remembered || remembered->generation != generation || remembered->workspace_id != route->workspace_id ||
      remembered->credential.kind != kind || remembered->credential.secret != secret ||
      !is_workspace_host(remembered->credential.host, host.owner, host.name, d.options.domain)) {
    const Credential credential = make_credential();
    GateVerdict fresh;
    if (auto hit = d.gate.cached(credential, *route)) {
      fresh = std::move(*hit);
    } else {
      Route route_copy = *route;
      GateVerdict decided = co_await d.on_pool([&] { return d.gate.check(credential, route_copy); });
      fresh = std::move(decided);
    }
    // Remembered at the generation read before asking: a change since makes the next request ask again.
    remembered.emplace(GatewayConnection::RememberedVerdict{
        .credential = credential, .workspace_id = route->workspace_id, .generation = generation,
        .verdict = std::move(fresh)});
  }
  const GateVerdict& verdict = remembered->verdict;
  const Credential& credential = remembered->credential;  // the same as the request's
  if (verdict.kind == GateVerdict::Kind::unauthenticated) {
    HttpResponse res = unauthenticated_reply(verdict.message);
    co_return co_await d.write_reply(client, std::move(res), version, early_keep_alive);
  }
  if (verdict.kind == GateVerdict::Kind::denied) {
    HttpResponse reply = gateway_reply(json, http::status::forbidden, "permission_denied", "No access",
                                       verdict.message, {"Go to the portal", portal() + "/"});
    co_return co_await d.write_reply(client, std::move(reply), version, early_keep_alive);
  }
  route->activity->touch(to_unix_ms(std::chrono::system_clock::now()));
  auto not_running_reply = [&] {
    return gateway_reply(json, http::status::service_unavailable, "unavailable", "Workspace not running",
                         "The workspace " + host.name + " of " + host.owner +
                             " is not running. Start it from the portal, then reload this page.",
                         {"Open the portal to start it", portal() + "/"});
  };
  if (!route->running || !route->upstream) {
    co_return co_await d.write_reply(client, not_running_reply(), version, early_keep_alive);
  }

  // Sanitize: hop-by-hop, identity headers and k4ds's own credentials never reach a workspace.
  RequestParser request{std::move(header)};
  request.body_limit(boost::none);  // streamed: uploads of any size
  auto& req = request.get();
  fields = &req;
  const bool upgrade = is_upgrade_request(req);
  const bool chunked = request.chunked();
  const bool expect_continue = beast::iequals(req[http::field::expect], "100-continue");
  strip_hop_by_hop(req, {.keep_upgrade = upgrade});
  req.erase(http::field::expect);
  if (chunked) req.chunked(true);
  strip_k4ds_cookies(req, {kPortalCookie, kWorkspaceCookie});
  if (credential.kind == Credential::Kind::token) req.erase(http::field::authorization);
  if (!connection.client_trusted) {  // once per client connection
    boost::system::error_code peer_ec;
    auto peer = client.socket().remote_endpoint(peer_ec);
    connection.client_trusted = !peer_ec && d.trusted.contains(peer.address());
  }
  set_forwarded_headers(req, {.client_addr = context.client_address,
                              .proto = context.secure ? "https" : "http",
                              .host = req[http::field::host],
                              .trusted_peer = *connection.client_trusted});
  // Strips every identity header the client sent, then sets the gateway's.
  set_identity_headers(req, verdict.user, verdict.groups, d.options.remote_user_headers);
  req.version(11);

  if (expect_continue) {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    auto [ec, n] = co_await asio::async_write(client, asio::buffer(kContinue), kAsTuple);
    if (ec) co_return false;
  }

  // From here a revocation closes this connection (once per connection: the entry stays until
  // the connection, or the tunnel it becomes, ends).
  if (!connection.live) {
    connection.live = d.live.add(client.get_executor(), client.socket(), credential, *route);
  } else {
    connection.live->relaying(credential, *route);
  }

  const Upstream& upstream = *route->upstream;
  UpstreamConnection& pooled = connection.upstream;
  // A workspace that does not answer may have just been stopped: the table is caught up first,
  // so a stop the API already reported is answered "not running", not "not answering".
  auto not_answering = [&](boost::system::error_code ec) -> awaitable<HttpResponse> {
    const bool caught_up = co_await d.on_pool([&] { return d.catch_up(); });
    if (caught_up) {
      auto now = d.feed.table();
      const Route* current = now->find(host.owner, host.name);
      if (!current || !current->running || !current->upstream) co_return not_running_reply();
    }
    d.log->warn("workspace {}/{} does not answer at {}: {}", host.owner, host.name, format_upstream(upstream),
                ec.message());
    co_return gateway_reply(json, http::status::bad_gateway, "unavailable", "Workspace not answering",
                         "The workspace is running but does not answer yet. Wait a moment and reload; if "
                         "it persists, restart the workspace from the portal.",
                         {"Go to the portal", portal() + "/"});
  };
  auto connect = [&]() -> awaitable<boost::system::error_code> {
    boost::system::error_code ec;
    UpstreamConnection fresh = co_await connect_upstream(upstream, d.options.timeouts.connect, ec);
    pooled = std::move(fresh);
    co_return ec;
  };
  const bool reused = pooled.usable() && pooled.target == upstream;
  if (!reused) {
    if (auto ec = co_await connect()) {
      HttpResponse reply = co_await not_answering(ec);
      co_return co_await d.write_reply(client, std::move(reply), version, early_keep_alive);
    }
  }
  RelayResult result = co_await relay_exchange(client, buffer, request, version, keep_alive_wanted, pooled,
                                               d.options.timeouts, deadline);
  if (result.error && !result.response_started && reused && bodyless) {
    // The kept-alive upstream connection was closed under us; once more on a fresh one.
    if (auto ec = co_await connect()) {
      HttpResponse reply = co_await not_answering(ec);
      co_return co_await d.write_reply(client, std::move(reply), version, early_keep_alive);
    }
    result = co_await relay_exchange(client, buffer, request, version, keep_alive_wanted, pooled, d.options.timeouts,
                                     deadline);
  }
  if (result.upgraded) {
    // The tunnel takes both sockets, the bytes already read past the upgrade and this
    // connection's live entry; this request path (and the listener's) then ends and frees
    // its frames, parser and buffers for the tunnel's (long) life.
    TunnelEnds ends{.client = client.release_socket(),
                    .upstream = pooled.stream->release_socket(),
                    .from_client = beast::buffers_to_string(buffer.data()),
                    .from_upstream = beast::buffers_to_string(pooled.buffer.data())};
    pooled = UpstreamConnection{};
    LiveConnections::Registration* registration = connection.live.get();
    std::shared_ptr<void> keep = std::move(connection.live);
    asio::ip::tcp::socket& socket = start_tunnel(
        std::move(ends),
        {.idle = d.options.timeouts.tunnel_idle, .activity = route->activity, .keep = std::move(keep)});
    registration->moved_to(socket);
    co_return false;
  }
  if (!result.upstream_reusable) pooled.stream.reset();
  if (result.error && !result.response_started) {
    HttpResponse reply = gateway_reply(json, http::status::bad_gateway, "unavailable", "Workspace not answering",
                                       "The workspace closed the connection before answering. Reload the page.",
                                       {"Go to the portal", portal() + "/"});
    co_return co_await d.write_reply(client, std::move(reply), version, false);
  }
  co_return !result.error && result.client_keep_alive;
}

}  // namespace k4ds
