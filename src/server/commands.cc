#include "server/commands.h"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

#include "config/checks.h"
#include "config/config.h"
#include "config/parse_runtime.h"
#include "kubernetes/setup.h"
#include "server/app.h"

namespace k4ds::server {
namespace {

std::optional<std::string> real_getenv(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::optional<std::string>(v) : std::nullopt;
}

void print_problems(const std::string& source, const std::vector<ConfigProblem>& problems) {
  for (const auto& p : problems) {
    std::cerr << source << ": " << (p.path.empty() ? "" : p.path + ": ") << p.message << "\n";
  }
}

// What only a whole, valid config can tell about a Kubernetes runtime: whether the kubeconfig
// and its context can be used (nothing is sent to the cluster), and which environments a
// cluster cannot run.
void append_runtime_problems(ParsedConfig& parsed) {
  const RuntimeConfig& runtime = parsed.config.runtime;
  if (runtime.kind != RuntimeKind::kubernetes) return;
  if (runtime.kubernetes.clusters.empty()) {
    auto connection = kubernetes::resolve_connection(runtime.kubeconfig, runtime.context, runtime.in_cluster);
    if (!connection) {
      parsed.problems.push_back({runtime.in_cluster ? "runtime.in_cluster" : "runtime.kubeconfig",
                                 connection.status().message()});
    }
  }
  // Several clusters: each one's kubeconfig and context, the problem naming the cluster's entry.
  const auto& clusters = runtime.kubernetes.clusters;
  for (std::size_t i = 0; i < clusters.size(); ++i) {
    auto connection = kubernetes::resolve_connection(clusters[i].kubeconfig, clusters[i].context, clusters[i].in_cluster);
    if (!connection) {
      parsed.problems.push_back({"runtime.clusters[" + std::to_string(i) + "]." +
                                     (clusters[i].in_cluster ? "in_cluster" : "kubeconfig"),
                                 "cluster " + clusters[i].name + ": " + connection.status().message()});
    }
  }
  for (auto& problem : config::check_catalog_for_runtime(parsed.config)) parsed.problems.push_back(std::move(problem));
}

struct ServeFlags {
  std::string config_file;
  std::string listen;
  std::string data_dir;
  std::string domain;
};

void add_serve_flags(CLI::App& cmd, ServeFlags& flags) {
  cmd.add_option("--listen", flags.listen, "Address to listen on, host:port (port 0 picks a free one)");
  cmd.add_option("--data-dir", flags.data_dir, "Where k4ds keeps its database and volumes");
  cmd.add_option("--domain", flags.domain, "Workspaces answer on <user>-<name>.<domain>");
}

int serve_with(const ServeFlags& flags, bool embedded) {
  ParsedConfig parsed;
  std::string source = "defaults";
  if (!flags.config_file.empty()) {
    parsed = parse_config_file(flags.config_file);
    source = flags.config_file;
  } else {
    parsed.config = default_config();
  }
  apply_env_overrides(parsed, real_getenv);
  if (!parsed.ok()) {
    print_problems(source, parsed.problems);
    std::cerr << "k4ds: the configuration has problems (listed above); fix them and start again\n";
    return 1;
  }
  Config config = parsed.config;
  // Flags are validated like the file's keys: a bad value is refused, never half-used.
  std::vector<ConfigProblem> flag_problems;
  auto take = [&](const std::string& value, const char* flag, Status status, std::string& into) {
    if (value.empty()) return;
    if (!status.ok()) {
      flag_problems.push_back({flag, status.message()});
    } else {
      into = value;
    }
  };
  take(flags.listen, "--listen", config::check_listen(flags.listen), config.listen);
  take(flags.data_dir, "--data-dir", config::check_data_dir(flags.data_dir), config.data_dir);
  take(flags.domain, "--domain", config::check_domain(flags.domain), config.domain);
  if (!flag_problems.empty()) {
    print_problems("command line", flag_problems);
    return 2;
  }
  if (config.data_dir.empty()) config.data_dir = default_data_dir();
  return serve(config, ServeMode{.embedded = embedded});
}

}  // namespace

void add_commands(CLI::App& app, int* exit_code) {
  auto up_flags = std::make_shared<ServeFlags>();
  auto* up = app.add_subcommand("up", "Start k4ds all-in-one on this machine (no config file needed)");
  add_serve_flags(*up, *up_flags);
  up->add_option("-c,--config", up_flags->config_file, "Optional config file (YAML)")
      ->check(CLI::ExistingFile);
  up->footer(
      "The first start creates the user 'admin' with the password in $K4DS_ADMIN_PASSWORD, or a\n"
      "generated one printed once. Then: k4ds login http://localhost:8080");
  up->callback([up_flags, exit_code] { *exit_code = serve_with(*up_flags, true); });

  auto server_flags = std::make_shared<ServeFlags>();
  auto* server = app.add_subcommand("server", "Run the k4ds server from a config file (production)");
  server->add_option("-c,--config", server_flags->config_file, "Config file (YAML)")
      ->required()
      ->check(CLI::ExistingFile);
  add_serve_flags(*server, *server_flags);
  server->callback([server_flags, exit_code] { *exit_code = serve_with(*server_flags, false); });

  auto* config = app.add_subcommand("config", "Work with k4ds config files");
  config->require_subcommand(1);
  auto file = std::make_shared<std::string>();
  auto* check = config->add_subcommand("check", "Report every problem in a config file, with its path");
  check->add_option("FILE", *file, "Config file (YAML)")->required();
  check->footer("Exit code 0 when the file is valid, 1 when it has problems.");
  check->callback([file, exit_code] {
    ParsedConfig parsed = parse_config_file(*file);
    if (parsed.ok()) append_runtime_problems(parsed);
    if (parsed.ok()) {
      std::cout << *file << ": ok\n";
      *exit_code = 0;
    } else {
      print_problems(*file, parsed.problems);
      *exit_code = 1;
    }
  });
}

}  // namespace k4ds::server
