// Header hygiene: what a workspace receives must not be something the client chose.
#include "gateway/headers.h"

#include <gtest/gtest.h>

namespace k4ds {
namespace {

namespace http = boost::beast::http;
namespace ip = boost::asio::ip;

// All values of `name`, in order.
std::vector<std::string> values(const HttpFields& f, std::string_view name) {
  std::vector<std::string> out;
  auto [b, e] = f.equal_range(name);
  for (auto it = b; it != e; ++it) out.emplace_back(it->value());
  return out;
}

std::vector<std::string> names(const HttpFields& f) {
  std::vector<std::string> out;
  for (const auto& h : f) out.emplace_back(h.name_string());
  return out;
}

HttpFields make(std::initializer_list<std::pair<std::string, std::string>> headers) {
  HttpFields f;
  for (const auto& [n, v] : headers) f.insert(n, v);
  return f;
}

// ---- hop-by-hop ------------------------------------------------------------------------------

TEST(StripHopByHop, RemovesTheStandardSet) {
  HttpFields f = make({{"Host", "alice-x.localhost"}, {"Connection", "keep-alive"},
                       {"Keep-Alive", "timeout=5"}, {"Proxy-Connection", "keep-alive"},
                       {"TE", "trailers"}, {"Trailer", "X-Checksum"},
                       {"Transfer-Encoding", "chunked"}, {"Upgrade", "h2c"},
                       {"Proxy-Authenticate", "Basic"}, {"Proxy-Authorization", "Basic Zm9v"},
                       {"Accept", "*/*"}});
  strip_hop_by_hop(f);
  EXPECT_EQ(names(f), (std::vector<std::string>{"Host", "Accept"}));
}

struct NominatedCase {
  std::vector<std::string> connection_values;  // one Connection header each
  std::vector<std::string> removed;
};
void PrintTo(const NominatedCase& c, std::ostream* os) {
  *os << ::testing::PrintToString(c.connection_values);
}

class StripNominated : public ::testing::TestWithParam<NominatedCase> {};

TEST_P(StripNominated, RemovesHeadersNamedInConnection) {
  HttpFields f = make({{"Host", "h"}, {"X-Secret", "1"}, {"X-Other", "2"}, {"X-Keep", "3"},
                       {"Cookie", "a=b"}, {"Content-Length", "5"}});
  for (const std::string& v : GetParam().connection_values) f.insert(http::field::connection, v);
  strip_hop_by_hop(f);
  for (const std::string& name : GetParam().removed) {
    EXPECT_EQ(f.count(name), 0u) << name << " survived";
  }
  EXPECT_EQ(f.count("X-Keep"), 1u);
  EXPECT_EQ(f.count("Host"), 1u);  // never removed: the upstream needs it
  EXPECT_EQ(values(f, "Content-Length"), std::vector<std::string>{"5"});  // framing is kept
  EXPECT_EQ(f.count(http::field::connection), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Table, StripNominated,
    ::testing::Values(NominatedCase{{"X-Secret"}, {"X-Secret"}},
                      NominatedCase{{"close, X-Secret"}, {"X-Secret"}},
                      NominatedCase{{"x-secret,x-other"}, {"X-Secret", "X-Other"}},
                      NominatedCase{{"  X-SECRET  ,\t X-Other\t"}, {"X-Secret", "X-Other"}},
                      NominatedCase{{",,X-Secret,,"}, {"X-Secret"}},
                      NominatedCase{{"keep-alive", "X-Secret"}, {"X-Secret"}},
                      NominatedCase{{"X-Secret", "Cookie, X-Other"},
                                    {"X-Secret", "X-Other", "Cookie"}},
                      // Smuggling attempts: framing and Host stay.
                      NominatedCase{{"Content-Length, Host, X-Secret"}, {"X-Secret"}}));

TEST(StripHopByHop, ProxyConnectionNominatesToo) {
  HttpFields f = make({{"Proxy-Connection", "X-Secret"}, {"X-Secret", "1"}});
  strip_hop_by_hop(f);
  EXPECT_EQ(f.count("X-Secret"), 0u);
}

TEST(StripHopByHop, KeepsAWebSocketUpgrade) {
  HttpFields f = make({{"Host", "h"}, {"Connection", "keep-alive, Upgrade, X-Secret"},
                       {"Upgrade", "websocket"}, {"Sec-WebSocket-Key", "abc"},
                       {"X-Secret", "1"}, {"TE", "trailers"}});
  strip_hop_by_hop(f, {.keep_upgrade = true});
  EXPECT_EQ(values(f, "Upgrade"), std::vector<std::string>{"websocket"});
  EXPECT_EQ(values(f, "Connection"), std::vector<std::string>{"Upgrade"});
  EXPECT_EQ(f.count("X-Secret"), 0u);
  EXPECT_EQ(f.count("TE"), 0u);
  EXPECT_EQ(f.count("Sec-WebSocket-Key"), 1u);
}

TEST(StripHopByHop, KeepUpgradeNeedsBothHeaders) {
  HttpFields no_token = make({{"Connection", "keep-alive"}, {"Upgrade", "websocket"}});
  strip_hop_by_hop(no_token, {.keep_upgrade = true});
  EXPECT_EQ(no_token.count("Upgrade"), 0u);
  EXPECT_EQ(no_token.count("Connection"), 0u);

  HttpFields no_upgrade = make({{"Connection", "upgrade"}});
  strip_hop_by_hop(no_upgrade, {.keep_upgrade = true});
  EXPECT_EQ(no_upgrade.count("Connection"), 0u);
}

TEST(StripHopByHop, UpgradeDroppedWithoutTheOption) {
  HttpFields f = make({{"Connection", "Upgrade"}, {"Upgrade", "websocket"}});
  strip_hop_by_hop(f);
  EXPECT_TRUE(names(f).empty());
}

// ---- identity headers ------------------------------------------------------------------------

class IdentitySpoof : public ::testing::TestWithParam<std::string> {};

TEST_P(IdentitySpoof, Stripped) {
  HttpFields f = make({{"Host", "h"}, {GetParam(), "admin"}, {"Accept", "*/*"}});
  strip_identity_headers(f);
  EXPECT_EQ(names(f), (std::vector<std::string>{"Host", "Accept"})) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(
    Table, IdentitySpoof,
    ::testing::Values("X-K4DS-User", "x-k4ds-user", "X-K4DS-USER", "x_k4ds_user", "X_K4DS_Groups",
                      "X-K4DS-Anything-New", "x-K4ds_uSeR", "Remote-User", "remote_user",
                      "REMOTE-GROUPS", "Remote-Email", "Remote_Name", "X-Forwarded-User",
                      "X_Forwarded_User", "x-forwarded-groups", "X-Forwarded-Email",
                      "X-Forwarded-Preferred-Username", "x_forwarded_preferred_username",
                      "X-Auth-Request-User", "X-Auth-Request-Email", "x_auth_request_groups",
                      "X-Auth-Request-Access-Token", "X-Remote-User", "x_remote_user"));

TEST(IdentityHeaders, LookAlikesThatAreNotOursSurvive) {
  for (std::string name : {"X-K4DS", "X-K4DSUser", "Remote-Addr", "X-Forwarded-For",
                           "X-Auth-Request", "X-Remote-Addr", "Authorization", "User-Agent"}) {
    EXPECT_FALSE(is_identity_header(name)) << name;
  }
}

TEST(IdentityHeaders, SetReplacesEverySpoofedSpelling) {
  HttpFields f = make({{"x_k4ds_user", "root"}, {"X-K4DS-USER", "root"}, {"Remote-User", "root"},
                       {"X-K4DS-Groups", "admins"}, {"remote_groups", "admins"}});
  set_identity_headers(f, "alice", {"data", "ml"}, /*also_remote_headers=*/false);
  EXPECT_EQ(values(f, "X-K4DS-User"), std::vector<std::string>{"alice"});
  EXPECT_EQ(values(f, "X-K4DS-Groups"), std::vector<std::string>{"data,ml"});
  EXPECT_EQ(f.count("Remote-User"), 0u);
  EXPECT_EQ(f.count("remote_groups"), 0u);
  EXPECT_EQ(f.count("x_k4ds_user"), 0u);
  EXPECT_EQ(names(f).size(), 2u);
}

TEST(IdentityHeaders, SetWithRemoteHeaders) {
  HttpFields f;
  set_identity_headers(f, "alice", {}, /*also_remote_headers=*/true);
  EXPECT_EQ(values(f, "Remote-User"), std::vector<std::string>{"alice"});
  EXPECT_EQ(values(f, "Remote-Groups"), std::vector<std::string>{""});
  EXPECT_EQ(values(f, "X-K4DS-Groups"), std::vector<std::string>{""});
}

TEST(IdentityHeaders, NoHeaderInjectionThroughNames) {
  HttpFields f;
  set_identity_headers(f, "alice", {"ok", "bad\r\nX-K4DS-User: root", "a,b"}, true);
  EXPECT_EQ(values(f, "X-K4DS-Groups"), std::vector<std::string>{"ok"});
  HttpFields g;
  set_identity_headers(g, "eve\r\nX: y", {"ok"}, true);
  EXPECT_TRUE(names(g).empty());
}

// ---- cookies ---------------------------------------------------------------------------------

struct CookieCase {
  std::vector<std::string> in;   // Cookie headers as sent
  std::vector<std::string> out;  // Cookie headers relayed
};
void PrintTo(const CookieCase& c, std::ostream* os) { *os << ::testing::PrintToString(c.in); }

class StripCookies : public ::testing::TestWithParam<CookieCase> {};

TEST_P(StripCookies, RemovesOnlyOurs) {
  HttpFields f;
  f.insert(http::field::host, "alice-x.localhost");
  for (const std::string& v : GetParam().in) f.insert(http::field::cookie, v);
  strip_k4ds_cookies(f, {"k4ds_session", "k4ds_ws"});
  EXPECT_EQ(values(f, "Cookie"), GetParam().out);
  EXPECT_EQ(f.count(http::field::host), 1u);
}

INSTANTIATE_TEST_SUITE_P(
    Table, StripCookies,
    ::testing::Values(
        CookieCase{{"k4ds_session=abc"}, {}},
        CookieCase{{"k4ds_session=abc; k4ds_ws=def"}, {}},
        CookieCase{{"_xsrf=2|aa|bb; k4ds_session=abc; username-x=\"2|1:0|10:x\""},
                   {"_xsrf=2|aa|bb; username-x=\"2|1:0|10:x\""}},
        // Untouched headers are relayed byte for byte, odd separators included.
        CookieCase{{"a=1;b=2;  c=3"}, {"a=1;b=2;  c=3"}},
        CookieCase{{"k4ds_ws=x;a=1;b=2"}, {"a=1; b=2"}},
        CookieCase{{"a=1", "k4ds_session=s", "b=2; k4ds_ws=w"}, {"a=1", "b=2"}},
        // Spellings a lenient upstream parser might still read as ours.
        CookieCase{{" k4ds_session =x; K4DS_SESSION=y; a=1"}, {"a=1"}},
        CookieCase{{"k4ds_session"}, {}},
        // Prefix look-alikes are not ours.
        CookieCase{{"k4ds_session2=x; xk4ds_ws=y"}, {"k4ds_session2=x; xk4ds_ws=y"}},
        CookieCase{{"a=k4ds_session; k4ds_ws=1"}, {"a=k4ds_session"}}));

// ---- forwarded headers -----------------------------------------------------------------------

TEST(Forwarded, UntrustedPeerReplacesEverything) {
  HttpFields f = make({{"X-Forwarded-For", "1.2.3.4"}, {"x-forwarded-for", "5.6.7.8"},
                       {"X-Forwarded-Proto", "https"}, {"X-Forwarded-Host", "evil.com"},
                       {"Forwarded", "for=1.2.3.4;proto=https"}, {"X-Real-IP", "1.2.3.4"},
                       {"X-Forwarded-Port", "443"}, {"X-Original-URL", "/admin"}});
  ForwardedInfo info{.client_addr = "203.0.113.9", .proto = "http",
                     .host = "alice-x.localhost:8080", .trusted_peer = false};
  EXPECT_EQ(forwarded_proto(f, info), "http");
  set_forwarded_headers(f, info);
  EXPECT_EQ(values(f, "X-Forwarded-For"), std::vector<std::string>{"203.0.113.9"});
  EXPECT_EQ(values(f, "X-Forwarded-Proto"), std::vector<std::string>{"http"});
  EXPECT_EQ(values(f, "X-Forwarded-Host"), std::vector<std::string>{"alice-x.localhost:8080"});
  for (std::string gone : {"Forwarded", "X-Real-IP", "X-Forwarded-Port", "X-Original-URL"}) {
    EXPECT_EQ(f.count(gone), 0u) << gone;
  }
}

TEST(Forwarded, TrustedPeerAppendsAndKeeps) {
  HttpFields f = make({{"X-Forwarded-For", "198.51.100.1, 10.0.0.1"},
                       {"X-Forwarded-For", "10.0.0.2"}, {"X-Forwarded-Proto", "HTTPS"},
                       {"X-Forwarded-Host", "alice-x.ds.example.com"}, {"X-Real-IP", "1.1.1.1"}});
  ForwardedInfo info{.client_addr = "10.0.0.3", .proto = "http",
                     .host = "alice-x.ds.example.com", .trusted_peer = true};
  EXPECT_EQ(forwarded_proto(f, info), "https");
  set_forwarded_headers(f, info);
  EXPECT_EQ(values(f, "X-Forwarded-For"),
            std::vector<std::string>{"198.51.100.1, 10.0.0.1, 10.0.0.2, 10.0.0.3"});
  EXPECT_EQ(values(f, "X-Forwarded-Proto"), std::vector<std::string>{"https"});
  EXPECT_EQ(values(f, "X-Forwarded-Host"), std::vector<std::string>{"alice-x.ds.example.com"});
  EXPECT_EQ(f.count("X-Real-IP"), 1u);
}

TEST(Forwarded, TrustedPeerWithGarbageFallsBackToTheGatewaysView) {
  HttpFields f = make({{"X-Forwarded-Proto", "javascript"},
                       {"X-Forwarded-Host", "evil.com/path@x"}});
  ForwardedInfo info{.client_addr = "10.0.0.3", .proto = "http", .host = "h.localhost",
                     .trusted_peer = true};
  set_forwarded_headers(f, info);
  EXPECT_EQ(values(f, "X-Forwarded-Proto"), std::vector<std::string>{"http"});
  EXPECT_EQ(values(f, "X-Forwarded-Host"), std::vector<std::string>{"h.localhost"});
  EXPECT_EQ(values(f, "X-Forwarded-For"), std::vector<std::string>{"10.0.0.3"});
}

TEST(Forwarded, ProtoListTakesTheFirstHop) {
  HttpFields f = make({{"X-Forwarded-Proto", "https, http"}});
  EXPECT_EQ(forwarded_proto(f, {.proto = "http", .trusted_peer = true}), "https");
  EXPECT_EQ(forwarded_proto(f, {.proto = "http", .trusted_peer = false}), "http");
}

// ---- trusted proxies -------------------------------------------------------------------------

struct TrustCase {
  std::string address;
  bool trusted;
};
void PrintTo(const TrustCase& c, std::ostream* os) { *os << c.address; }

class TrustedProxyTable : public ::testing::TestWithParam<TrustCase> {};

TEST_P(TrustedProxyTable, Matches) {
  Result<TrustedProxies> t =
      TrustedProxies::parse({"10.0.0.0/8", "192.168.1.7", "fd00::/8", "2001:db8::1/128",
                             "172.16.0.0/12"});
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  ip::address a = ip::make_address(GetParam().address);
  EXPECT_EQ(t->contains(a), GetParam().trusted) << GetParam().address;
}

INSTANTIATE_TEST_SUITE_P(
    Table, TrustedProxyTable,
    ::testing::Values(TrustCase{"10.1.2.3", true}, TrustCase{"10.255.255.255", true},
                      TrustCase{"11.0.0.1", false}, TrustCase{"9.255.255.255", false},
                      TrustCase{"192.168.1.7", true}, TrustCase{"192.168.1.8", false},
                      TrustCase{"172.16.0.1", true}, TrustCase{"172.31.255.255", true},
                      TrustCase{"172.32.0.1", false}, TrustCase{"fd12:3456::1", true},
                      TrustCase{"fe80::1", false}, TrustCase{"2001:db8::1", true},
                      TrustCase{"2001:db8::2", false}, TrustCase{"::ffff:10.9.8.7", true},
                      TrustCase{"::ffff:11.9.8.7", false}, TrustCase{"127.0.0.1", false},
                      TrustCase{"::1", false}));

TEST(TrustedProxies, EmptyListTrustsNobody) {
  Result<TrustedProxies> t = TrustedProxies::parse({});
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->contains(ip::make_address("127.0.0.1")));
  EXPECT_FALSE(is_trusted_proxy(ip::make_address("10.0.0.1"), {}));
}

TEST(TrustedProxies, HostBitsInTheNetworkAreIgnored) {
  EXPECT_TRUE(is_trusted_proxy(ip::make_address("10.9.9.9"), {"10.1.2.3/8"}));
  EXPECT_TRUE(is_trusted_proxy(ip::make_address("1.2.3.4"), {"0.0.0.0/0"}));
  EXPECT_TRUE(is_trusted_proxy(ip::make_address("10.0.0.1"), {"10.0.0.0/9"}));
  EXPECT_FALSE(is_trusted_proxy(ip::make_address("10.128.0.1"), {"10.0.0.0/9"}));
}

TEST(TrustedProxies, RefusesBadEntries) {
  for (std::string bad : {"10.0.0.0/33", "fd00::/129", "10.0.0.0/", "10.0.0.0/x", "10.0.0/8",
                          "localhost", "", "10.0.0.0/8/8", "10.0.0.0/-1", "::1/ 8"}) {
    Result<TrustedProxies> t = TrustedProxies::parse({"10.0.0.0/8", bad});
    ASSERT_FALSE(t.ok()) << bad;
    EXPECT_EQ(t.status().code(), Code::invalid_argument) << bad;
    EXPECT_FALSE(is_trusted_proxy(ip::make_address("10.0.0.1"), {bad})) << bad;
  }
}

}  // namespace
}  // namespace k4ds
