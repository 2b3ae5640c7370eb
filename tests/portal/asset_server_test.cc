// The portal's asset server: which requests it answers, what it answers, and that the real
// embedded build is complete and self-contained.
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "portal/asset_server.h"

namespace k4ds {
namespace {

namespace http = boost::beast::http;

constexpr EmbeddedFile kFiles[] = {
    {"/index.html", "<!doctype html><script type=module src=/assets/app-1a2b.js></script>", "\"idx1\""},
    {"/assets/app-1a2b.js", "console.log('portal')", "\"js01\""},
    {"/assets/app-3c4d.css", "body{}", "\"css1\""},
    {"/favicon.svg", "<svg/>", "\"svg1\""},
};

HttpRequest get(std::string target, std::string accept = "text/html,application/xhtml+xml,*/*;q=0.8",
                http::verb method = http::verb::get) {
  HttpRequest req{method, target, 11};
  req.set(http::field::host, "localhost:8080");
  if (!accept.empty()) req.set(http::field::accept, accept);
  return req;
}

class PortalAssetsTest : public ::testing::Test {
 protected:
  PortalAssets assets_{kFiles};
};

TEST_F(PortalAssetsTest, RootAndIndexServeTheApp) {
  EXPECT_EQ(assets_.resolve("/", false), &kFiles[0]);
  EXPECT_EQ(assets_.resolve("/index.html", false), &kFiles[0]);
  EXPECT_EQ(assets_.resolve("/assets/app-1a2b.js", false), &kFiles[1]);
  EXPECT_EQ(assets_.resolve("/favicon.svg", false), &kFiles[3]);
}

TEST_F(PortalAssetsTest, PageRoutesGetIndexOnlyWhenHtmlIsWanted) {
  EXPECT_EQ(assets_.resolve("/w/alice/analysis", true), &kFiles[0]);
  EXPECT_EQ(assets_.resolve("/admin/users", true), &kFiles[0]);
  EXPECT_EQ(assets_.resolve("/apis", true), &kFiles[0]);  // only /api and /api/… are the API's
  EXPECT_EQ(assets_.resolve("/w/alice/analysis", false), nullptr);
  // A missing build output is a 404, not the app: a stale tab must not run HTML as a script.
  EXPECT_EQ(assets_.resolve("/assets/app-old.js", true), nullptr);
}

TEST_F(PortalAssetsTest, ServerPathsAreNeverTheApps) {
  for (const char* path : {"/api", "/api/v1/whoami", "/api/v1/openapi.json", "/login", "/login/",
                           "/logout", "/_k4ds/authorize", "/_k4ds", "/healthz"}) {
    EXPECT_EQ(assets_.resolve(path, true), nullptr) << path;
    EXPECT_FALSE(assets_.owns(get(path))) << path;
  }
}

TEST_F(PortalAssetsTest, HostilePathsNameNoFile) {
  for (const char* path : {"/assets/../index.html", "/assets/%2e%2e/%2e%2e/etc/passwd",
                           "/../../etc/passwd", "/assets/app-1a2b.js/", "/ASSETS/app-1a2b.js",
                           "/assets//app-1a2b.js", "/assets/app-1a2b.js%00.png", "/assets/"}) {
    EXPECT_EQ(assets_.resolve(path, false), nullptr) << path;
  }
  EXPECT_EQ(assets_.resolve("", true), nullptr);
  EXPECT_EQ(assets_.resolve("assets/app-1a2b.js", true), nullptr);  // not origin-form
  EXPECT_EQ(assets_.resolve("http://evil.example/", true), nullptr);
  // As a page, a strange path is just the app (which shows "page not found"), never a file.
  EXPECT_EQ(assets_.resolve("/../../etc/passwd", true), &kFiles[0]);
}

TEST_F(PortalAssetsTest, OwnsOnlyGetAndHead) {
  EXPECT_TRUE(assets_.owns(get("/")));
  EXPECT_TRUE(assets_.owns(get("/?next=/launch")));
  EXPECT_TRUE(assets_.owns(get("/", "", http::verb::head)));
  EXPECT_TRUE(assets_.owns(get("/assets/app-1a2b.js", "*/*")));
  EXPECT_FALSE(assets_.owns(get("/", "", http::verb::post)));
  EXPECT_FALSE(assets_.owns(get("/assets/app-1a2b.js", "*/*", http::verb::delete_)));
  EXPECT_FALSE(assets_.owns(get("/launch", "application/json")));
}

TEST_F(PortalAssetsTest, HashedAssetsAreImmutableWithSecurityHeaders) {
  HttpResponse res = assets_.handle(get("/assets/app-1a2b.js", "*/*"));
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(res[http::field::content_type], "text/javascript; charset=utf-8");
  EXPECT_EQ(res[http::field::cache_control], "public, max-age=31536000, immutable");
  EXPECT_EQ(res[http::field::etag], "\"js01\"");
  EXPECT_EQ(res.body(), "console.log('portal')");
  EXPECT_EQ(res[http::field::content_length], "21");
  EXPECT_EQ(res["X-Content-Type-Options"], "nosniff");
  EXPECT_EQ(res["X-Frame-Options"], "DENY");
  EXPECT_EQ(res["Referrer-Policy"], "no-referrer");
  std::string csp(res["Content-Security-Policy"]);
  EXPECT_NE(csp.find("default-src 'self'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe"), std::string::npos) << csp;
}

TEST_F(PortalAssetsTest, IndexIsRevalidatedEveryTime) {
  for (const char* target : {"/", "/index.html", "/w/alice/analysis?tab=logs"}) {
    HttpResponse res = assets_.handle(get(target));
    EXPECT_EQ(res.result(), http::status::ok) << target;
    EXPECT_EQ(res[http::field::content_type], "text/html; charset=utf-8") << target;
    EXPECT_EQ(res[http::field::cache_control], "no-cache") << target;
    EXPECT_EQ(res.body(), kFiles[0].data) << target;
    EXPECT_FALSE(res["Content-Security-Policy"].empty()) << target;
  }
  EXPECT_EQ(assets_.handle(get("/w/alice/analysis"))[http::field::vary], "Accept");
  EXPECT_EQ(assets_.handle(get("/"))[http::field::vary], "");
  HttpResponse favicon = assets_.handle(get("/favicon.svg", "image/*"));
  EXPECT_EQ(favicon[http::field::content_type], "image/svg+xml");
  EXPECT_EQ(favicon[http::field::cache_control], "no-cache");
}

TEST_F(PortalAssetsTest, MatchingEtagIsNotModified) {
  for (const char* inm : {"\"js01\"", "W/\"js01\"", "\"old\", \"js01\"", "*", " \"x\" ,\t\"js01\" "}) {
    HttpRequest req = get("/assets/app-1a2b.js", "*/*");
    req.set(http::field::if_none_match, inm);
    HttpResponse res = assets_.handle(req);
    EXPECT_EQ(res.result(), http::status::not_modified) << inm;
    EXPECT_TRUE(res.body().empty()) << inm;
    EXPECT_EQ(res[http::field::etag], "\"js01\"") << inm;
    EXPECT_EQ(res[http::field::cache_control], "public, max-age=31536000, immutable") << inm;
  }
  HttpRequest stale = get("/", "text/html");
  stale.set(http::field::if_none_match, "\"idx0\"");
  EXPECT_EQ(assets_.handle(stale).result(), http::status::ok);
}

TEST_F(PortalAssetsTest, HeadSendsTheLengthWithoutTheBody) {
  HttpResponse res = assets_.handle(get("/assets/app-3c4d.css", "text/css", http::verb::head));
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(res[http::field::content_type], "text/css; charset=utf-8");
  EXPECT_EQ(res[http::field::content_length], "6");
  EXPECT_TRUE(res.body().empty());
}

TEST_F(PortalAssetsTest, AnythingElseIsAPlainNotFound) {
  HttpResponse res = assets_.handle(get("/assets/gone.js", "*/*"));
  EXPECT_EQ(res.result(), http::status::not_found);
  EXPECT_NE(res.body().find("go to /"), std::string::npos);
  EXPECT_EQ(res["X-Content-Type-Options"], "nosniff");
}

TEST(ContentType, ByExtension) {
  EXPECT_EQ(content_type_for("/a/b.css"), "text/css; charset=utf-8");
  EXPECT_EQ(content_type_for("/x.woff2"), "font/woff2");
  EXPECT_EQ(content_type_for("/x.png"), "image/png");
  EXPECT_EQ(content_type_for("/x.webmanifest"), "application/manifest+json");
  EXPECT_EQ(content_type_for("/noextension"), "application/octet-stream");
  EXPECT_EQ(content_type_for("/dir.d/file"), "application/octet-stream");
  EXPECT_EQ(content_type_for("/x.exe"), "application/octet-stream");
}

TEST(EtagMatches, ListsWeakAndStar) {
  EXPECT_TRUE(etag_matches("\"a\"", "\"a\""));
  EXPECT_TRUE(etag_matches("W/\"a\"", "\"a\""));
  EXPECT_TRUE(etag_matches("\"b\",\"a\"", "\"a\""));
  EXPECT_TRUE(etag_matches("*", "\"a\""));
  EXPECT_FALSE(etag_matches("", "\"a\""));
  EXPECT_FALSE(etag_matches("\"ab\"", "\"a\""));
  EXPECT_FALSE(etag_matches("a", "\"a\""));
}

// The build that is compiled in: an index page whose scripts and styles are all embedded
// files, no inline script (the CSP would block it) and nothing fetched from elsewhere.
TEST(EmbeddedBuild, IsCompleteAndSelfContained) {
  PortalAssets assets;
  const EmbeddedFile* index = assets.resolve("/", true);
  ASSERT_NE(index, nullptr) << "the portal build has no index.html";
  const std::string html(index->data);
  std::regex reference(R"re((?:src|href)="([^"]*)")re");
  int scripts = 0;
  for (std::sregex_iterator it(html.begin(), html.end(), reference), end; it != end; ++it) {
    const std::string url = (*it)[1];
    EXPECT_TRUE(url.starts_with("/")) << "index.html refers to another origin: " << url;
    EXPECT_NE(assets.resolve(url, false), nullptr) << "index.html refers to a missing file: " << url;
    if (url.ends_with(".js")) ++scripts;
  }
  EXPECT_GE(scripts, 1);
  std::regex inline_script(R"(<script(?![^>]*\bsrc=)[^>]*>)");
  EXPECT_FALSE(std::regex_search(html, inline_script)) << html;
  EXPECT_EQ(html.find("style="), std::string::npos) << "inline styles are blocked by the CSP";
  for (const EmbeddedFile& file : embedded_portal_files()) {
    EXPECT_TRUE(file.path.starts_with("/")) << file.path;
    EXPECT_EQ(file.etag.front(), '"');
    if (file.path.ends_with(".css") || file.path.ends_with(".html")) {
      EXPECT_EQ(file.data.find("://"), std::string_view::npos) << file.path << " fetches from elsewhere";
    }
  }
}

}  // namespace
}  // namespace k4ds
