// Personal API tokens: list, create (secret shown once), revoke.
#include <boost/json.hpp>

#include "api/handler_util.h"
#include "api/json_encode.h"

namespace k4ds::api {

namespace json = boost::json;

inline constexpr int64_t kMaxTokenDays = 3650;

Reply handle_list_tokens(ApiCore& core, ApiCall& call) {
  Result<std::vector<ApiToken>> tokens = core.authenticator->list_tokens(call.user().name);
  if (!tokens) return fail(call, tokens.status());
  json::array items;
  for (const auto& token : *tokens) items.push_back(token_json(token));
  return ok_json(call, list_json(std::move(items)));
}

Reply handle_create_token(ApiCore& core, ApiCall& call) {
  Result<JsonBody> body =
      JsonBody::parse(call.request, core.options.max_body_bytes, {"name", "expires_in_days"});
  if (!body) return fail(call, body.status());
  auto name = body->string("name");
  if (!name) return fail(call, name.status());
  auto days = body->integer("expires_in_days");
  if (!days) return fail(call, days.status());
  std::optional<std::chrono::seconds> expires_in;
  if (*days) {
    if (**days < 1 || **days > kMaxTokenDays) {
      return fail(call, invalid_argument("field \"expires_in_days\" must be between 1 and " +
                                         std::to_string(kMaxTokenDays) +
                                         "; leave it out for a token that never expires"));
    }
    expires_in = std::chrono::hours(24) * **days;
  }
  Result<CreatedToken> created =
      core.authenticator->create_token(call.user().name, name->value_or(""), expires_in);
  if (!created) return fail(call, created.status());
  return created_json(call, token_json(created->token, created->secret));
}

Reply handle_delete_token(ApiCore& core, ApiCall& call) {
  std::optional<std::string_view> owner;
  if (!call.admin()) owner = call.user().name;
  Status s = core.authenticator->revoke_token(call.param("id"), owner);
  if (!s.ok()) return fail(call, s);
  return no_content_reply(call.request);
}

}  // namespace k4ds::api
