// The pages the gateway and login flow answer with: plain words, no external fetches, and JSON
// ({"code","message"}) for API clients. Every text placed in HTML is escaped.
//
// Usage:
//   return gateway_reply(want_json, http::status::forbidden, "permission_denied",
//                        "No access", "This workspace belongs to alice; ask alice to share it.",
//                        {"Go to the portal", portal_url});
#pragma once

#include <string>
#include <string_view>

#include "api/api.h"

namespace k4ds {

struct PageLink {
  std::string label;
  std::string href;  // empty = no link
};

std::string html_escape(std::string_view text);
// Percent-encodes everything but RFC 3986 unreserved characters (for query values).
std::string url_encode(std::string_view text);

HttpResponse html_page(boost::beast::http::status status, std::string_view title,
                       std::string_view message, const PageLink& link = {},
                       std::string_view extra_html = {});
HttpResponse json_reply(boost::beast::http::status status, std::string_view code,
                        std::string_view message);
HttpResponse gateway_reply(bool want_json, boost::beast::http::status status, std::string_view code,
                           std::string_view title, std::string_view message,
                           const PageLink& link = {});
HttpResponse redirect_to(std::string_view location, boost::beast::http::status status =
                                                        boost::beast::http::status::found);

// True when the client is a script or XHR that wants a status code rather than a page.
bool wants_json(const boost::beast::http::fields& fields);

}  // namespace k4ds
