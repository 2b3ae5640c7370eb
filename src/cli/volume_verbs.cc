// k4ds volume ls / create: your volumes. Every workspace mounts your home volume; others you
// create are mounted with `k4ds launch ENV --volume NAME` as ~/volumes/NAME.
#include <iostream>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "cli/verbs.h"

namespace k4ds::cli {
namespace {

namespace json = boost::json;

struct VolumeOptions {
  std::string name;
  std::string output;
};

Status create(ApiClient& api, const VolumeOptions& o) {
  Result<OutputFormat> format = output_format(o.output);
  if (!format) return format.status();
  Result<json::value> volume = api.post("/api/v1/volumes", json::object{{"name", o.name}});
  if (!volume) return volume.status();
  print_value(std::cout, *format, *volume, [&] {
    std::cout << "Created volume " << str_field(*volume, "name") << ". Mount it with: k4ds launch ENVIRONMENT --volume "
              << str_field(*volume, "name") << " (it appears as ~/volumes/" << str_field(*volume, "name") << ")\n";
  });
  return ok_status();
}

Status ls(ApiClient& api, const VolumeOptions& o) {
  Result<OutputFormat> format = output_format(o.output);
  if (!format) return format.status();
  Result<json::value> list = api.get("/api/v1/volumes");
  if (!list) return list.status();
  print_value(std::cout, *format, *list, [&] {
    auto now = std::chrono::system_clock::now();
    Table t({"NAME", "ID", "CREATED"});
    for (const auto& v : items_of(*list)) {
      t.add_row({str_field(v, "name"), str_field(v, "id"), age_of(field(v, "created_at"), now) + " ago"});
    }
    if (items_of(*list).empty()) {
      std::cout << "No volumes yet: your home volume is made at your first launch.\n";
    } else {
      std::cout << t.render();
    }
  });
  return ok_status();
}

}  // namespace

void add_volume_verbs(CLI::App& app, const Context& ctx) {
  CLI::App* volume = app.add_subcommand("volume", "Your volumes: storage that outlives workspaces");
  volume->require_subcommand(1);

  auto o = std::make_shared<VolumeOptions>();
  CLI::App* cmd = volume->add_subcommand("ls", "List your volumes");
  add_output_option(cmd, &o->output);
  cmd->callback([ctx, o] { run_verb(ctx, [&](ApiClient& api) { return ls(api, *o); }); });

  o = std::make_shared<VolumeOptions>();
  cmd = volume->add_subcommand("create", "Create a volume to mount into workspaces you launch");
  cmd->add_option("name", o->name, "Volume name (a-z, 0-9 and -)")->required();
  add_output_option(cmd, &o->output);
  cmd->footer("Example:\n  k4ds volume create data && k4ds launch jupyter-python --volume data");
  cmd->callback([ctx, o] { run_verb(ctx, [&](ApiClient& api) { return create(api, *o); }); });
}

}  // namespace k4ds::cli
