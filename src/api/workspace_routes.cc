// Workspaces: list, launch, get, start, stop, delete, events, logs. Watching is in watch.cc.
#include <boost/json.hpp>

#include <algorithm>

#include "api/dry_run.h"
#include "api/handler_util.h"
#include "api/json_encode.h"
#include "auth/access_facts.h"
#include "auth/rules.h"
#include "model/validation.h"

namespace k4ds::api {

namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

constexpr std::string_view kHomeVolume = "home";
constexpr int kMaxDefaultNameSuffix = 100;
constexpr int kEventPageLimit = 1000;

template <class T>
std::string names_of(const std::vector<T>& items, bool only_available = false) {
  std::string out;
  for (const auto& item : items) {
    if constexpr (std::is_same_v<T, Environment>) {
      if (only_available && !item.available) continue;
    }
    out += (out.empty() ? "" : ", ") + item.name;
  }
  return out.empty() ? "(none configured; ask your admin)" : out;
}

Reply workspace_reply(ApiCore& core, const ApiCall& call, const Workspace& ws,
                      http::status status = http::status::ok) {
  return json_reply(call.request, status,
                    core.workspace_object(ws, call.context.secure));
}

Status append_event(ApiCore& core, Tx& tx, const Workspace& ws, std::string message) {
  WorkspaceEvent event{.workspace_id = ws.id,
                       .time = to_unix_ms(core.services.clock->now()),
                       .message = std::move(message)};
  return tx.append_event(event).status();
}

// The ids of the volumes a launch mounts: home first, then the owner's volumes named in
// `names` (each once, in the order given).
Result<std::vector<std::string>> chosen_volumes(Tx& tx, const std::string& owner, const Volume& home,
                                                const std::vector<std::string>& names) {
  std::vector<std::string> ids{home.id};
  if (names.empty()) return ids;
  Result<std::vector<Volume>> mine = tx.list_volumes(std::string_view(owner));
  if (!mine) return mine.status();
  for (const std::string& name : names) {
    auto it = std::find_if(mine->begin(), mine->end(), [&](const Volume& v) { return v.name == name; });
    if (it == mine->end()) {
      return invalid_argument("you have no volume named " + name +
                              "; create it first (k4ds volume create " + name + ", or the Volumes page)");
    }
    if (std::find(ids.begin(), ids.end(), it->id) == ids.end()) ids.push_back(it->id);
  }
  return ids;
}

// Finds the user's home volume, creating it on first use.
Result<Volume> home_volume(ApiCore& core, Tx& tx, const std::string& owner, int64_t now_ms) {
  Result<std::vector<Volume>> volumes = tx.list_volumes(std::string_view(owner));
  if (!volumes) return volumes.status();
  for (const auto& volume : *volumes) {
    if (volume.name == kHomeVolume) return volume;
  }
  return tx.create_volume(Volume{.id = random_uuid(*core.services.random),
                                 .owner = owner,
                                 .name = std::string(kHomeVolume),
                                 .created_at = now_ms});
}

// The operator's launch rules (auth/rules.h), for the workspace's owner: they are the one who
// runs it, whoever asks.
Status check_launch(Tx& tx, const ApiCall& call, const std::string& owner,
                    const std::string& environment, const std::string& size) {
  auto policy = tx.get_policy();
  if (!policy) return policy.status();
  auto groups = groups_of(tx, owner);
  if (!groups) return groups.status();
  RuleVerdict verdict = evaluate_launch(*policy, RuleSubject{owner, std::move(groups).value()},
                                        environment, size);
  if (verdict.allowed) return ok_status();
  const bool self = owner == call.user().name;
  return permission_denied((self ? std::string("you may not") : owner + " may not") + " launch " +
                           environment + " in size " + size + ": " + verdict.explanation +
                           "; choose another environment or size, or ask your k4ds administrator");
}

enum class Transition { start, stop };

Reply transition(ApiCore& core, ApiCall& call, Transition to) {
  Workspace result;
  Status s = write_with_retry(core.store, [&](Tx& tx) -> Status {
    Result<Workspace> ws = visible_workspace(tx, call);
    if (!ws) return ws.status();
    result = *ws;
    if (to == Transition::start) {
      bool restart = ws->phase == Phase::stopped || ws->phase == Phase::failed;
      if (ws->desired == DesiredState::running && !restart) return ok_status();  // already so
      // The rules may have changed since the launch.
      K4DS_RETURN_IF_ERROR(check_launch(tx, call, ws->owner, ws->environment, ws->size));
      K4DS_RETURN_IF_ERROR(check_admission(core, tx, call, ws->owner, ws->size, ws->id));
      ws->desired = DesiredState::running;
      if (restart) {
        ws->phase = Phase::pending;
        ws->reason = "queued";
      }
    } else {
      if (ws->desired == DesiredState::stopped) return ok_status();
      ws->desired = DesiredState::stopped;
    }
    ws->updated_at = to_unix_ms(core.services.clock->now());
    Result<Workspace> updated = tx.update_workspace(*ws);
    if (!updated) return updated.status();
    result = std::move(updated).value();
    return append_event(core, tx, result,
                        std::string(to == Transition::start ? "start" : "stop") +
                            " requested by " + call.user().name);
  });
  if (!s.ok()) return fail(call, s);
  return workspace_reply(core, call, result);
}

}  // namespace

Reply handle_list_workspaces(ApiCore& core, ApiCall& call) {
  std::optional<bool> shared = parse_bool(call.query_value("shared").value_or("false"));
  if (!shared) return fail(call, invalid_argument("query parameter \"shared\" must be true or false"));
  if (*shared) {
    if (call.query_value("all") || call.query_value("owner")) {
      return fail(call, invalid_argument("\"shared\" cannot be combined with \"all\" or \"owner\""));
    }
    Result<std::vector<Workspace>> listed =
        read_value(core.store, [&](Tx& tx) { return shared_with(tx, call.user()); });
    if (!listed) return fail(call, listed.status());
    json::array items;
    for (const auto& ws : *listed) items.push_back(core.workspace_object(ws, call.context.secure));
    return ok_json(call, list_json(std::move(items)));
  }
  std::optional<bool> all = parse_bool(call.query_value("all").value_or("false"));
  if (!all) return fail(call, invalid_argument("query parameter \"all\" must be true or false"));
  WorkspaceFilter filter{.owner = call.user().name};
  if (*all) filter.owner.reset();
  if (auto owner = call.query_value("owner")) {
    if (Status v = validate_user_name(*owner); !v.ok()) return fail(call, v);
    filter.owner = *owner;
  }
  if (filter.owner != call.user().name && !call.admin()) {
    return fail(call, permission_denied("only admins may list other users' workspaces"));
  }
  std::vector<Workspace> workspaces;
  Status s = core.store.read([&](Tx& tx) -> Status {
    auto listed = tx.list_workspaces(filter);
    if (!listed) return listed.status();
    workspaces = std::move(listed).value();
    return ok_status();
  });
  if (!s.ok()) return fail(call, s);
  json::array items;
  for (const auto& ws : workspaces) {
    items.push_back(core.workspace_object(ws, call.context.secure));
  }
  return ok_json(call, list_json(std::move(items)));
}

Reply handle_create_workspace(ApiCore& core, ApiCall& call) {
  Result<JsonBody> body = JsonBody::parse(call.request, core.options.max_body_bytes,
                                          {"environment", "name", "size", "volumes"});
  if (!body) return fail(call, body.status());
  auto requested_volumes = body->strings("volumes");
  if (!requested_volumes) return fail(call, requested_volumes.status());
  auto environment_name = body->string("environment");
  if (!environment_name) return fail(call, environment_name.status());
  auto requested_name = body->string("name");
  if (!requested_name) return fail(call, requested_name.status());
  auto requested_size = body->string("size");
  if (!requested_size) return fail(call, requested_size.status());

  auto catalog = core.catalog();
  if (!*environment_name) {
    return fail(call, invalid_argument("field \"environment\" is required; available: " +
                                       names_of(catalog->environments, true)));
  }
  const Environment* environment = catalog->find_environment(**environment_name);
  if (!environment) {
    return fail(call, invalid_argument("there is no environment \"" + **environment_name +
                                       "\"; available: " + names_of(catalog->environments, true)));
  }
  if (!environment->available) {
    std::string why = environment->unavailable_reason.empty()
                          ? "" : " (" + environment->unavailable_reason + ")";
    return fail(call, invalid_argument("environment " + environment->name +
                                       " is not available on this server" + why +
                                       "; available: " + names_of(catalog->environments, true)));
  }
  std::string size_name = requested_size->value_or(
      !environment->default_size.empty() ? environment->default_size : catalog->default_size);
  if (size_name.empty() || !catalog->find_size(size_name)) {
    std::string what = size_name.empty() ? std::string("no size was given and there is no default")
                                          : "there is no size \"" + size_name + "\"";
    return fail(call, invalid_argument(what + "; choose one of: " + names_of(catalog->sizes)));
  }
  const std::string owner = call.user().name;
  if (*requested_name) {
    if (Status v = validate_workspace_name(owner, **requested_name); !v.ok()) return fail(call, v);
  }
  std::optional<bool> dry_run = parse_bool(call.query_value("dry_run").value_or("false"));
  if (!dry_run) return fail(call, invalid_argument("query parameter \"dry_run\" must be true or false"));

  Workspace created;
  std::optional<json::object> preview;  // dry run: the same checks, then a rollback
  Status s = write_with_retry(core.store, [&](Tx& tx) -> Status {
    K4DS_RETURN_IF_ERROR(check_launch(tx, call, owner, environment->name, size_name));
    K4DS_RETURN_IF_ERROR(check_admission(core, tx, call, owner, size_name));
    int64_t now_ms = to_unix_ms(core.services.clock->now());
    std::string name;
    if (*requested_name) {
      name = **requested_name;
      Result<Workspace> existing = tx.find_workspace(owner, name);
      if (existing) {
        return already_exists("you already have a workspace named " + name +
                              "; choose another name, or start it with POST /api/v1/workspaces/" +
                              owner + "/" + name + "/start");
      }
      if (existing.status().code() != Code::not_found) return existing.status();
    } else {
      for (int n = 1; n <= kMaxDefaultNameSuffix && name.empty(); ++n) {
        std::string candidate = environment->name + (n == 1 ? "" : "-" + std::to_string(n));
        K4DS_RETURN_IF_ERROR(validate_workspace_name(owner, candidate));
        Result<Workspace> existing = tx.find_workspace(owner, candidate);
        if (!existing && existing.status().code() == Code::not_found) name = candidate;
        else if (!existing) return existing.status();
      }
      if (name.empty()) {
        return failed_precondition("you already have " + std::to_string(kMaxDefaultNameSuffix) +
                                   " workspaces named after " + environment->name +
                                   "; give this one a name");
      }
    }
    Result<Volume> home = home_volume(core, tx, owner, now_ms);
    if (!home) return home.status();
    Result<std::vector<std::string>> volume_ids =
        chosen_volumes(tx, owner, *home, requested_volumes->value_or(std::vector<std::string>{}));
    if (!volume_ids) return volume_ids.status();
    Workspace ws{.id = random_uuid(*core.services.random),
                 .owner = owner,
                 .name = name,
                 .environment = environment->name,
                 .size = size_name,
                 .volumes = std::move(volume_ids).value(),
                 .desired = DesiredState::running,
                 .phase = Phase::pending,
                 .reason = "queued",
                 .created_at = now_ms,
                 .updated_at = now_ms};
    if (*dry_run) {
      Result<User> user = tx.get_user(owner);
      std::optional<QuotaLimits> quota;
      auto groups = groups_of(tx, owner);
      auto quotas = tx.list_quotas();
      if (groups && quotas) quota = resolve_quota(owner, *groups, *quotas);
      std::vector<LaunchSpec::Mount> extra;
      for (std::size_t i = 1; i < ws.volumes.size(); ++i) {
        Result<Volume> volume = tx.get_volume(ws.volumes[i]);
        if (!volume) return volume.status();
        extra.push_back({.volume_id = volume->id, .name = volume->name});
      }
      auto p = launch_preview(core.workspace_object(ws, call.context.secure), ws, *environment,
                              *catalog->find_size(size_name), user ? &*user : nullptr, std::move(quota),
                              std::move(extra), core.options.kubernetes ? &*core.options.kubernetes : nullptr);
      if (!p) return p.status();
      preview = std::move(p).value();
      return failed_precondition("dry run");  // rolls back the home volume, if it was new
    }
    Result<Workspace> stored = tx.create_workspace(ws);
    if (!stored) {
      // Another launch took the default name first: re-run with the next free one.
      if (stored.status().code() == Code::already_exists && !*requested_name) {
        return aborted("name taken concurrently");
      }
      return stored.status();
    }
    created = std::move(stored).value();
    return append_event(core, tx, created, "launch requested by " + owner);
  });
  if (preview) return ok_json(call, *preview);
  if (!s.ok()) return fail(call, s);
  return workspace_reply(core, call, created, http::status::created);
}

Reply handle_get_workspace(ApiCore& core, ApiCall& call) {
  Result<Workspace> visible = read_value(core.store, [&](Tx& tx) { return visible_workspace(tx, call); });
  if (!visible) return fail(call, visible.status());
  Workspace found = std::move(visible).value();
  return workspace_reply(core, call, found);
}

Reply handle_start_workspace(ApiCore& core, ApiCall& call) {
  return transition(core, call, Transition::start);
}

Reply handle_stop_workspace(ApiCore& core, ApiCall& call) {
  return transition(core, call, Transition::stop);
}

Reply handle_delete_workspace(ApiCore& core, ApiCall& call) {
  Status s = write_with_retry(core.store, [&](Tx& tx) -> Status {
    Result<Workspace> ws = visible_workspace(tx, call);
    if (!ws) return ws.status();
    return tx.delete_workspace(ws->id);  // volumes are kept by the store's contract
  });
  if (!s.ok()) return fail(call, s);
  return no_content_reply(call.request);
}

Reply handle_list_events(ApiCore& core, ApiCall& call) {
  Result<int64_t> after = parse_after_seq(call);
  if (!after) return fail(call, after.status());
  std::vector<WorkspaceEvent> events;
  Status s = core.store.read([&](Tx& tx) -> Status {
    Result<Workspace> ws = visible_workspace(tx, call);
    if (!ws) return ws.status();
    auto listed = tx.list_events(ws->id, *after, kEventPageLimit);
    if (!listed) return listed.status();
    events = std::move(listed).value();
    return ok_status();
  });
  if (!s.ok()) return fail(call, s);
  json::array items;
  for (const auto& event : events) items.push_back(event_json(event));
  return ok_json(call, list_json(std::move(items)));
}

Reply handle_workspace_logs(ApiCore& core, ApiCall& call) {
  std::optional<bool> follow = parse_bool(call.query_value("follow").value_or("false"));
  if (!follow) return fail(call, invalid_argument("query parameter \"follow\" must be true or false"));
  Result<Workspace> visible = read_value(core.store, [&](Tx& tx) { return visible_workspace(tx, call); });
  if (!visible) return fail(call, visible.status());
  Workspace found = std::move(visible).value();
  if (!core.options.logs) {
    return fail(call, failed_precondition("this workspace has no logs yet: it has never run (no "
                                          "runtime is configured on this server)"));
  }
  if (!*follow) {
    Result<std::string> text = core.options.logs->tail(found, core.options.max_log_bytes);
    if (!text) return fail(call, text.status());
    return text_reply(call.request, std::move(text).value());
  }
  Result<LogSource::Follow> stream = core.options.logs->follow(found);
  if (!stream) return fail(call, stream.status());
  StreamReply reply;
  reply.head = {http::status::ok, call.request.version()};
  reply.head.set(http::field::content_type, "text/plain; charset=utf-8");
  reply.head.set(http::field::cache_control, "no-cache");
  reply.next = std::move(stream->next);
  reply.close = std::move(stream->close);
  reply.poll_every = std::chrono::milliseconds(250);  // log files grow outside the store
  return reply;
}

}  // namespace k4ds::api
