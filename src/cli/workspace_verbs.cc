// k4ds env ls / size ls / launch / ls / status / stop / start / rm / open / logs.
#include <ctime>
#include <iostream>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "cli/sse.h"
#include "cli/terminal.h"
#include "cli/verbs.h"

namespace k4ds::cli {
namespace {

namespace json = boost::json;
using Clock = std::chrono::system_clock;

struct WorkspaceOptions {
  std::string name;     // NAME or OWNER/NAME (or the environment for launch)
  std::string output;
  std::string new_name;  // launch --name
  std::string size;      // launch --size
  std::vector<std::string> volumes;  // launch --volume (repeatable)
  bool all = false;      // ls --all
  bool shared = false;   // ls --shared
  bool watch = false;    // status -w
  bool follow = false;   // logs -f
  bool print_only = false;  // open --print
  bool dry_run = false;     // launch --dry-run
};

// "11:14:36" in local time, for progress lines.
std::string clock_time(const json::value& time) {
  auto tp = time.is_string() ? parse_rfc3339(time.get_string()) : std::nullopt;
  std::time_t t = Clock::to_time_t(tp ? *tp : Clock::now());
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  return buf;
}

Status env_ls(ApiClient& api, const WorkspaceOptions& o) {
  Result<OutputFormat> format = output_format(o.output);
  if (!format) return format.status();
  Result<json::value> list = api.get("/api/v1/environments");
  if (!list) return list.status();
  print_value(std::cout, *format, *list, [&] {
    Table t({"NAME", "DESCRIPTION", "VERSION", "DEFAULT SIZE", "AVAILABLE"});
    for (const auto& e : items_of(*list)) {
      std::string available = "yes";
      if (field(e, "available").is_bool() && !bool_field(e, "available"))
        available = "no: " + str_field(e, "unavailable_reason");
      t.add_row({str_field(e, "name"), str_field(e, "display_name"), str_field(e, "version"),
                 str_field(e, "default_size"), available});
    }
    std::cout << t.render();
  });
  return ok_status();
}

Status size_ls(ApiClient& api, const WorkspaceOptions& o) {
  Result<OutputFormat> format = output_format(o.output);
  if (!format) return format.status();
  Result<json::value> list = api.get("/api/v1/sizes");
  if (!list) return list.status();
  print_value(std::cout, *format, *list, [&] {
    Table t({"NAME", "CPU", "MEMORY", "GPUS", "DESCRIPTION"});
    for (const auto& s : items_of(*list))
      t.add_row({str_field(s, "name"), str_field(s, "cpu"), str_field(s, "memory"),
                 str_field(s, "gpus"), str_field(s, "description")});
    std::cout << t.render();
  });
  return ok_status();
}

// --dry-run: the objects as kubectl reads them (a YAML stream, or a JSON List), so operators can
// review them or pipe them to `kubectl apply --dry-run=server -f -`. The server's note goes to
// stderr to keep stdout machine-readable.
Status launch_dry_run(ApiClient& api, const json::object& body, OutputFormat format) {
  Result<json::value> preview = api.post("/api/v1/workspaces?dry_run=true", body);
  if (!preview) return preview.status();
  const json::value& objects = field(*preview, "objects");
  if (!objects.is_array()) {
    return unavailable("the server's dry-run reply has no objects; is it an older k4ds? Upgrade it");
  }
  std::cerr << "# " << str_field(*preview, "note") << "\n";
  if (format == OutputFormat::json) {
    json::object list{{"apiVersion", "v1"}, {"kind", "List"}, {"items", objects}};
    std::cout << to_pretty_json(list);
    return ok_status();
  }
  for (const json::value& object : objects.get_array()) std::cout << "---\n" << to_yaml(object);
  return ok_status();
}

Status launch(ApiClient& api, const WorkspaceOptions& o) {
  Result<OutputFormat> format = output_format(o.output);
  if (!format) return format.status();
  json::object body{{"environment", o.name}};
  if (!o.new_name.empty()) body["name"] = o.new_name;
  if (!o.size.empty()) body["size"] = o.size;
  if (!o.volumes.empty()) {
    json::array volumes;
    for (const auto& v : o.volumes) volumes.push_back(json::string(v));
    body["volumes"] = std::move(volumes);
  }
  if (o.dry_run) return launch_dry_run(api, body, *format);
  Result<json::value> ws = api.post("/api/v1/workspaces", body);
  if (!ws) return ws.status();
  print_value(std::cout, *format, *ws, [&] {
    std::string name = str_field(*ws, "name");
    std::cout << "Launched " << str_field(*ws, "owner") << "/" << name << " ("
              << str_field(*ws, "environment") << ", " << str_field(*ws, "size") << ")\n"
              << "State:  " << workspace_state_text(*ws) << "\n"
              << "URL:    " << str_field(*ws, "url") << "\n"
              << "Follow its progress with: k4ds status " << name << " --watch\n";
  });
  return ok_status();
}

Status ls(ApiClient& api, const WorkspaceOptions& o) {
  Result<OutputFormat> format = output_format(o.output);
  if (!format) return format.status();
  if (o.all && o.shared) return invalid_argument("--all and --shared cannot be combined");
  Result<json::value> list = api.get(o.all      ? "/api/v1/workspaces?all=true"
                                     : o.shared ? "/api/v1/workspaces?shared=true"
                                                : "/api/v1/workspaces");
  if (!list) return list.status();
  print_value(std::cout, *format, *list, [&] {
    std::vector<std::string> headers{"NAME", "ENVIRONMENT", "SIZE", "STATE", "URL", "AGE", "LAST ACTIVE"};
    const bool with_owner = o.all || o.shared;
    if (with_owner) headers.insert(headers.begin(), "OWNER");
    Table t(headers);
    auto now = Clock::now();
    for (const auto& w : items_of(*list)) {
      std::vector<std::string> row{str_field(w, "name"), str_field(w, "environment"),
                                   str_field(w, "size"), workspace_state_text(w),
                                   str_field(w, "url"), age_of(field(w, "created_at"), now),
                                   last_active_text(field(w, "last_activity_at"), now)};
      if (with_owner) row.insert(row.begin(), str_field(w, "owner"));
      t.add_row(std::move(row));
    }
    if (items_of(*list).empty() && o.shared) {
      std::cout << "No one has shared a workspace with you.\n";
    } else if (items_of(*list).empty()) {
      std::cout << "No workspaces yet. Launch one with: k4ds launch ENVIRONMENT "
                   "(see k4ds env ls)\n";
    } else {
      std::cout << t.render();
    }
  });
  return ok_status();
}

// Follows the workspace's watch stream, printing state changes and progress events.
Status watch(ApiClient& api, const WorkspaceRef& ref) {
  SseParser parser;
  std::string last_state;
  Status bad_event;
  Status streamed = api.stream(ApiClient::workspace_path(ref) + "/watch", [&](std::string_view b) {
    for (const SseEvent& e : parser.feed(b)) {
      if (e.event == "deleted") {
        std::cout << clock_time(nullptr) << "  " << ref.text() << " was deleted" << std::endl;
        return false;
      }
      boost::system::error_code ec;
      json::value data = json::parse(e.data, ec);
      if (ec) continue;  // a newer server may send something we do not know; keep watching
      if (e.event == "workspace") {
        std::string state = workspace_state_text(data);
        if (state != last_state)
          std::cout << clock_time(field(data, "updated_at"))
                    << "  state: " << state << std::endl;
        last_state = state;
      } else if (e.event == "event") {
        std::cout << clock_time(field(data, "time"))
                  << "  " << (bool_field(data, "warning") ? "warning: " : "")
                  << str_field(data, "message") << std::endl;
      }
    }
    return true;
  });
  return streamed;
}

Status status(ApiClient& api, const WorkspaceOptions& o) {
  Result<OutputFormat> format = output_format(o.output);
  if (!format) return format.status();
  Result<WorkspaceRef> ref = api.workspace(o.name);
  if (!ref) return ref.status();
  if (o.watch) return watch(api, *ref);
  Result<json::value> ws = api.get(ApiClient::workspace_path(*ref));
  if (!ws) return ws.status();
  if (*format != OutputFormat::table) {
    print_value(std::cout, *format, *ws, [] {});
    return ok_status();
  }
  auto now = Clock::now();
  std::cout << "Workspace:    " << str_field(*ws, "owner") << "/" << str_field(*ws, "name") << "\n"
            << "Environment:  " << str_field(*ws, "environment") << "\n"
            << "Size:         " << str_field(*ws, "size") << "\n"
            << "State:        " << workspace_state_text(*ws) << "\n"
            << "URL:          " << str_field(*ws, "url") << "\n"
            << "Created:      " << age_of(field(*ws, "created_at"), now) << " ago\n"
            << "Last active:  " << last_active_text(field(*ws, "last_activity_at"), now) << "\n";
  if (field(*ws, "warnings").is_array()) {
    for (const auto& w : field(*ws, "warnings").as_array()) {
      if (w.is_string()) std::cout << "Warning:      " << std::string(w.get_string()) << "\n";
    }
  }
  Result<json::value> events = api.get(ApiClient::workspace_path(*ref) + "/events");
  if (events && !items_of(*events).empty()) {
    const auto& items = items_of(*events);
    std::cout << "Events:\n";
    std::size_t first = items.size() > 10 ? items.size() - 10 : 0;
    for (std::size_t i = first; i < items.size(); ++i) {
      const auto& e = items[i];
      std::cout << "  " << age_of(field(e, "time"), now)
                << "\t" << (bool_field(e, "warning") ? "warning: " : "") << str_field(e, "message")
                << "\n";
    }
  }
  return ok_status();
}

// stop / start / rm: one call each, one line of confirmation.
Status change(ApiClient& api, const WorkspaceOptions& o, const std::string& verb) {
  Result<WorkspaceRef> ref = api.workspace(o.name);
  if (!ref) return ref.status();
  std::string path = ApiClient::workspace_path(*ref);
  if (verb == "rm") {
    Result<json::value> gone = api.del(path);
    if (!gone) return gone.status();
    std::cout << "Deleted " << ref->text() << " (its volumes are kept)\n";
    return ok_status();
  }
  Result<json::value> ws = api.post(path + "/" + verb, json::object{});
  if (!ws) return ws.status();
  std::cout << (verb == "stop" ? "Stopping " : "Starting ") << ref->text()
            << " (state: " << workspace_state_text(*ws) << ")\n";
  return ok_status();
}

Status open(ApiClient& api, const WorkspaceOptions& o) {
  Result<WorkspaceRef> ref = api.workspace(o.name);
  if (!ref) return ref.status();
  Result<json::value> ws = api.get(ApiClient::workspace_path(*ref));
  if (!ws) return ws.status();
  std::string url = str_field(*ws, "url");
  std::cout << url << std::endl;
  if (!o.print_only && !url.empty() && !open_in_browser(url))
    std::cerr << "(could not start a browser; open the URL above yourself)\n";
  if (str_field(*ws, "phase") != "running")
    std::cerr << "note: " << ref->text() << " is " << workspace_state_text(*ws) << "\n";
  return ok_status();
}

Status logs(ApiClient& api, const WorkspaceOptions& o) {
  Result<WorkspaceRef> ref = api.workspace(o.name);
  if (!ref) return ref.status();
  std::string path = ApiClient::workspace_path(*ref) + "/logs" + (o.follow ? "?follow=true" : "");
  return api.stream(path, [](std::string_view bytes) {
    std::cout.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    std::cout.flush();
    return static_cast<bool>(std::cout);
  });
}

using VerbFn = Status (*)(ApiClient&, const WorkspaceOptions&);

CLI::App* verb(CLI::App& parent, const Context& ctx, const std::string& name,
               const std::string& description, VerbFn fn,
               std::shared_ptr<WorkspaceOptions> o = std::make_shared<WorkspaceOptions>()) {
  CLI::App* cmd = parent.add_subcommand(name, description);
  cmd->callback([ctx, o, fn] { run_verb(ctx, [&](ApiClient& api) { return fn(api, *o); }); });
  return cmd;
}

}  // namespace

void add_workspace_verbs(CLI::App& app, const Context& ctx) {
  CLI::App* env = app.add_subcommand("env", "Environments you can launch (Jupyter, RStudio, …)");
  env->require_subcommand(1);
  auto env_opts = std::make_shared<WorkspaceOptions>();
  add_output_option(verb(*env, ctx, "ls", "List the environments", env_ls, env_opts),
                    &env_opts->output);

  CLI::App* size = app.add_subcommand("size", "Sizes: CPU, memory and GPUs for a workspace");
  size->require_subcommand(1);
  auto size_opts = std::make_shared<WorkspaceOptions>();
  add_output_option(verb(*size, ctx, "ls", "List the sizes", size_ls, size_opts),
                    &size_opts->output);

  auto o = std::make_shared<WorkspaceOptions>();
  CLI::App* cmd = verb(app, ctx, "launch", "Launch a new workspace from an environment", launch, o);
  cmd->add_option("environment", o->name, "Environment to run (see k4ds env ls)")->required();
  cmd->add_option("-n,--name", o->new_name, "Workspace name (default: the environment's name)");
  cmd->add_option("-s,--size", o->size, "Size (see k4ds size ls; default: the environment's)");
  cmd->add_option("-v,--volume", o->volumes,
                  "Also mount this volume of yours as ~/volumes/NAME (repeatable; see k4ds volume ls)");
  cmd->add_flag("--dry-run", o->dry_run,
                "Create nothing; print the Kubernetes objects the launch would create "
                "(YAML, or a JSON List with -o json)");
  add_output_option(cmd, &o->output);
  cmd->footer("Examples:\n  k4ds launch jupyter-python --name analysis --size large\n"
              "  k4ds launch jupyter-python --volume data\n"
              "  k4ds launch jupyter-python --dry-run -o yaml");

  o = std::make_shared<WorkspaceOptions>();
  cmd = verb(app, ctx, "ls", "List your workspaces", ls, o);
  cmd->add_flag("-a,--all", o->all, "Everyone's workspaces (admins)");
  cmd->add_flag("--shared", o->shared, "Workspaces others shared with you");
  add_output_option(cmd, &o->output);

  o = std::make_shared<WorkspaceOptions>();
  cmd = verb(app, ctx, "status", "Show a workspace's state and progress", status, o);
  cmd->add_option("name", o->name, "NAME, or OWNER/NAME for admins")->required();
  cmd->add_flag("-w,--watch", o->watch, "Keep following state changes and progress (Ctrl-C ends)");
  add_output_option(cmd, &o->output);
  cmd->footer("Example:\n  k4ds status analysis --watch");

  for (const char* name : {"stop", "start", "rm"}) {
    o = std::make_shared<WorkspaceOptions>();
    std::string v = name;
    std::string description = v == "stop"    ? "Stop a workspace (its files are kept)"
                              : v == "start" ? "Start a stopped workspace again"
                                             : "Delete a workspace (its volumes are kept)";
    cmd = app.add_subcommand(v, description);
    cmd->add_option("name", o->name, "NAME, or OWNER/NAME for admins")->required();
    cmd->callback([ctx, o, v] {
      run_verb(ctx, [&](ApiClient& api) { return change(api, *o, v); });
    });
  }

  o = std::make_shared<WorkspaceOptions>();
  cmd = verb(app, ctx, "open", "Print a workspace's URL and open it in the browser", open, o);
  cmd->add_option("name", o->name, "NAME, or OWNER/NAME for admins")->required();
  cmd->add_flag("--print", o->print_only, "Only print the URL");

  o = std::make_shared<WorkspaceOptions>();
  cmd = verb(app, ctx, "logs", "Show a workspace's output", logs, o);
  cmd->add_option("name", o->name, "NAME, or OWNER/NAME for admins")->required();
  cmd->add_flag("-f,--follow", o->follow, "Keep printing new output (Ctrl-C ends)");
}

}  // namespace k4ds::cli
