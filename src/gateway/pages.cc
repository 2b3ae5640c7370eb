#include "gateway/pages.h"

#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

namespace k4ds {

namespace http = boost::beast::http;

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string url_encode(std::string_view text) {
  return boost::urls::encode(text, boost::urls::unreserved_chars);
}

HttpResponse html_page(http::status status, std::string_view title, std::string_view message,
                       const PageLink& link, std::string_view extra_html) {
  HttpResponse res{status, 11};
  res.set(http::field::content_type, "text/html; charset=utf-8");
  res.set(http::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'");
  std::string body =
      "<!doctype html><html lang=en><head><meta charset=utf-8>"
      "<meta name=viewport content='width=device-width,initial-scale=1'><title>" +
      html_escape(title) +
      " · k4ds</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:10vh auto;"
      "padding:0 1rem;color:#1b1f24}h1{font-size:1.5rem}a{color:#0b5cad}label{display:block;margin:.6rem 0 .2rem}"
      "input{font:inherit;padding:.4rem;width:100%;box-sizing:border-box}button{font:inherit;margin-top:1rem;"
      "padding:.4rem 1.2rem}.error{color:#a40e26}</style></head><body><h1>" +
      html_escape(title) + "</h1><p>" + html_escape(message) + "</p>";
  body += extra_html;
  if (!link.href.empty()) {
    body += "<p><a href=\"" + html_escape(link.href) + "\">" + html_escape(link.label) + "</a></p>";
  }
  body += "</body></html>\n";
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

HttpResponse json_reply(http::status status, std::string_view code, std::string_view message) {
  HttpResponse res{status, 11};
  res.set(http::field::content_type, "application/json");
  res.set(http::field::cache_control, "no-store");
  res.body() = boost::json::serialize(boost::json::object{{"code", code}, {"message", message}});
  res.prepare_payload();
  return res;
}

HttpResponse gateway_reply(bool want_json, http::status status, std::string_view code,
                           std::string_view title, std::string_view message, const PageLink& link) {
  return want_json ? json_reply(status, code, message) : html_page(status, title, message, link);
}

HttpResponse redirect_to(std::string_view location, http::status status) {
  HttpResponse res{status, 11};
  res.set(http::field::location, location);
  res.set(http::field::cache_control, "no-store");
  res.prepare_payload();
  return res;
}

bool wants_json(const http::fields& fields) {
  auto accept = fields[http::field::accept];
  bool json = accept.find("application/json") != std::string_view::npos &&
              accept.find("text/html") == std::string_view::npos;
  return json || !fields["X-Requested-With"].empty() ||
         fields[http::field::authorization].starts_with("Bearer ");
}

}  // namespace k4ds
