// The OpenAPI 3.0 document of the REST API, served at GET /api/v1/openapi.json.
//
// Contract: built from the route table (api/routes.h), so every route the dispatcher knows is
// described, with its parameters, request and response schemas, security and error answers.
//
// Usage:
//   boost::json::value doc = openapi_document();
//   doc.at("paths").at("/api/v1/workspaces").at("post");
#pragma once

#include <boost/json/value.hpp>

namespace k4ds::api {

boost::json::value openapi_document();

}  // namespace k4ds::api
