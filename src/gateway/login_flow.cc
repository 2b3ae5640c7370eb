#include "gateway/login_flow.h"

#include <boost/url/parse.hpp>

#include "api/http_util.h"
#include "gateway/host.h"
#include "gateway/pages.h"

namespace k4ds {

namespace http = boost::beast::http;

namespace {

// application/x-www-form-urlencoded value: "+" is a space, %XX a byte; a malformed escape
// is kept literally (it then fails the checks that follow, e.g. redirect validation).
std::string form_decode(std::string_view encoded) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(encoded.size());
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    char c = encoded[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%' && i + 2 < encoded.size() && hex(encoded[i + 1]) >= 0 && hex(encoded[i + 2]) >= 0) {
      out += static_cast<char>(hex(encoded[i + 1]) * 16 + hex(encoded[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

// Reads one field of a query string or form body; "" when absent.
std::string form_field(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    auto eq = pair.find('=');
    if (form_decode(pair.substr(0, eq)) != name) continue;
    return eq == std::string_view::npos ? std::string() : form_decode(pair.substr(eq + 1));
  }
  return {};
}

std::string_view query_of(std::string_view target) {
  auto q = target.find('?');
  return q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
}

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }


}  // namespace

LoginFlow::LoginFlow(Authenticator& auth, WorkspaceGate& gate, LoginFlowOptions options)
    : auth_(auth), gate_(gate), options_(std::move(options)) {
  if (options_.portal_host.empty()) options_.portal_host = options_.domain;
}

bool LoginFlow::owns(std::string_view target) const {
  auto path = path_of(target);
  return path == "/login" || path == "/_k4ds/authorize";
}

HttpResponse LoginFlow::handle(const HttpRequest& request, const RequestContext& context) {
  auto path = path_of(request.target());
  std::string rd = form_field(query_of(request.target()), "rd");
  if (path == "/login" && request.method() == http::verb::post) return submit(request, context);
  if (request.method() != http::verb::get && request.method() != http::verb::head) {
    return html_page(http::status::method_not_allowed, "Not allowed", "Use the sign-in form.");
  }
  if (path == "/_k4ds/authorize") return authorize(request, context, rd);
  // GET /login: someone already signed in on the portal goes straight on.
  std::string session = api::cookie_value(request, kPortalCookie);
  if (!session.empty() && auth_.authenticate_session(session)) return authorize(request, context, rd);
  return show_form(rd, "", http::status::ok);
}

HttpResponse LoginFlow::show_form(std::string_view rd, std::string_view error, http::status status) {
  std::string form =
      (error.empty() ? std::string() : "<p class=error role=alert>" + html_escape(error) + "</p>") +
      "<form method=post action=\"/login\"><input type=hidden name=rd value=\"" + html_escape(rd) +
      "\"><label for=u>User name</label><input id=u name=username autocomplete=username required autofocus>"
      "<label for=p>Password</label><input id=p name=password type=password "
      "autocomplete=current-password required><button type=submit>Sign in</button></form>";
  HttpResponse res = html_page(status, "Sign in to k4ds", "Use your k4ds or directory account.", {}, form);
  res.set("X-Frame-Options", "DENY");
  return res;
}

HttpResponse LoginFlow::submit(const HttpRequest& request, const RequestContext& context) {
  const std::string& body = request.body();
  std::string username = form_field(body, "username");
  std::string password = form_field(body, "password");
  std::string rd = form_field(body, "rd");
  std::chrono::seconds retry_after{0};
  auto login = auth_.login(username, password, context.client_address, &retry_after);
  if (!login) {
    bool limited = login.status().code() == Code::resource_exhausted;
    HttpResponse res = show_form(rd, login.status().message(),
                                 limited ? http::status::too_many_requests : http::status::unauthorized);
    if (limited) res.set(http::field::retry_after, std::to_string(retry_after.count()));
    return res;
  }
  HttpResponse res = redirect_to("/_k4ds/authorize?rd=" + url_encode(rd), http::status::see_other);
  res.set(http::field::set_cookie,
          api::session_cookie(login->cookie_value, options_.session_ttl.count(), context.secure));
  return res;
}

HttpResponse LoginFlow::authorize(const HttpRequest& request, const RequestContext& context,
                                  std::string_view rd) {
  std::string session = api::cookie_value(request, kPortalCookie);
  auto principal = session.empty() ? Result<Principal>(unauthenticated("no session"))
                                   : auth_.authenticate_session(session);
  if (!principal) return redirect_to("/login?rd=" + url_encode(rd));
  if (rd.empty()) return redirect_to("/");

  RedirectPolicy policy{.domain = options_.domain,
                        .portal_host = options_.portal_host,
                        .allow_http = !context.secure,
                        .allow_https = true,
                        .ports = options_.ports};
  auto target = validate_redirect(rd, policy);
  if (!target) {
    return html_page(http::status::bad_request, "Link not allowed",
                     "After signing in, k4ds only sends you to its own pages and workspaces. " +
                         target.status().message(),
                     {"Go to the portal", "/"});
  }
  if (target->starts_with("/")) return redirect_to(*target);
  auto url = boost::urls::parse_absolute_uri(*target);
  if (!url) return redirect_to("/");
  auto host = normalize_host(url->encoded_authority());
  if (!host) return redirect_to("/");
  HostClass kind = classify_host(host->host, options_.domain, options_.portal_host);
  if (kind.kind != HostKind::workspace) return redirect_to(*target);

  std::string code = gate_.issue_code(principal->user.name, host->host);
  std::string local = std::string(url->encoded_path().empty() ? "/" : std::string_view(url->encoded_path()));
  if (url->has_query()) local += "?" + std::string(url->encoded_query());
  std::string origin = std::string(url->scheme()) + "://" + std::string(url->encoded_authority());
  return redirect_to(origin + "/_k4ds/callback?code=" + url_encode(code) + "&rd=" + url_encode(local));
}

}  // namespace k4ds
