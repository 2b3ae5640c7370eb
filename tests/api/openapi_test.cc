// The OpenAPI document describes every route the dispatcher knows, and its references resolve.
#include "api/openapi.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "api/routes.h"

namespace k4ds {
namespace {

using namespace k4ds::api;

namespace json = boost::json;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void collect_refs(const json::value& v, std::vector<std::string>& refs) {
  if (v.is_object()) {
    for (const auto& [key, child] : v.as_object()) {
      if (key == "$ref") refs.emplace_back(child.as_string());
      else collect_refs(child, refs);
    }
  } else if (v.is_array()) {
    for (const auto& child : v.as_array()) collect_refs(child, refs);
  }
}

TEST(OpenApi, EveryRouteIsDescribed) {
  json::value doc = openapi_document();
  const json::object& paths = doc.at("paths").as_object();
  std::size_t operations = 0;
  for (const ApiRoute& route : api_routes()) {
    const json::value* item = paths.if_contains(route.path);
    ASSERT_NE(item, nullptr) << route.path;
    std::string method = lower(boost::beast::http::to_string(route.method));
    const json::value* op = item->as_object().if_contains(method);
    ASSERT_NE(op, nullptr) << method << " " << route.path;
    EXPECT_TRUE(op->at("responses").as_object().contains(std::to_string(route.success_status)))
        << method << " " << route.path;
    if (route.access != RouteAccess::anyone) {
      EXPECT_TRUE(op->at("responses").as_object().contains("401")) << route.path;
    }
    ++operations;
  }
  std::size_t documented = 0;
  for (const auto& [path, item] : paths) documented += item.as_object().size();
  EXPECT_EQ(documented, operations);  // nothing documented that does not exist
}

TEST(OpenApi, ReferencesResolveAndPathParametersAreDeclared) {
  json::value doc = openapi_document();
  std::vector<std::string> refs;
  collect_refs(doc, refs);
  ASSERT_FALSE(refs.empty());
  const json::object& schemas = doc.at("components").at("schemas").as_object();
  for (const auto& ref : refs) {
    const std::string prefix = "#/components/schemas/";
    ASSERT_TRUE(ref.starts_with(prefix)) << ref;
    EXPECT_TRUE(schemas.contains(ref.substr(prefix.size()))) << ref;
  }
  const json::value& get = doc.at("paths").at("/api/v1/workspaces/{owner}/{name}").at("get");
  EXPECT_EQ(get.at("parameters").as_array().size(), 2u);
  EXPECT_EQ(doc.at("paths").at("/api/v1/login").at("post").at("security"), json::array{});
}

}  // namespace
}  // namespace k4ds
