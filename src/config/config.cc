// Defaults, reading the file, and K4DS_* overrides. The YAML document itself is read in parse.cc.
#include "config/config.h"

#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "config/checks.h"

namespace k4ds {
namespace {

// The notebook server both built-in environments run (python3-notebook, Notebook 6.4). The
// workspace's own auth is off because only the gateway can reach its Unix socket, and remote
// access is on because requests arrive with Host "<user>-<name>.<domain>", not "localhost".
std::vector<std::string> notebook_command(std::vector<std::string> extra) {
  std::vector<std::string> command = {
      "/usr/bin/python3",
      "-m",
      "notebook",
      "--no-browser",
      "--sock={socket}",
      "--notebook-dir={home}",
      "--NotebookApp.token=",
      "--NotebookApp.password=",
      "--NotebookApp.allow_remote_access=True",
  };
  command.insert(command.end(), extra.begin(), extra.end());
  return command;
}

Size make_size(std::string name, int64_t cpu_millis, int64_t memory_bytes) {
  Size size{.name = std::move(name), .cpu_millis = cpu_millis, .memory_bytes = memory_bytes};
  size.description = config::describe_size(size);
  return size;
}

}  // namespace

Config default_config() {
  constexpr int64_t kGi = int64_t{1} << 30;
  Config c;
  c.domain = "localhost";
  c.listen = "127.0.0.1:8080";
  c.data_dir = default_data_dir();
  c.session_ttl = std::chrono::hours(12);
  c.catalog.environments = {
      Environment{
          .name = "jupyter-python",
          .display_name = "Jupyter · Python 3",
          .description = "Jupyter Notebook with the Python 3 kernel",
          .version = "6.4",
          .command = notebook_command({}),
          .port = 0,
          .health_path = "/api",
          .default_size = "small",
      },
      Environment{
          .name = "jupyter-r",
          .display_name = "Jupyter · R",
          .description = "Jupyter Notebook with the R kernel (IRkernel)",
          .version = "6.4",
          .command = notebook_command({"--MultiKernelManager.default_kernel_name=ir"}),
          .port = 0,
          .health_path = "/api",
          .default_size = "small",
      },
  };
  c.catalog.sizes = {
      make_size("small", 1000, 2 * kGi),
      make_size("medium", 2000, 8 * kGi),
      make_size("large", 4000, 16 * kGi),
  };
  c.catalog.default_size = "small";
  return c;
}

std::string default_data_dir() {
  if (geteuid() == 0) return "/var/lib/k4ds";
  // XDG: a relative $XDG_DATA_HOME is invalid and must be ignored.
  const char* xdg = std::getenv("XDG_DATA_HOME");
  if (xdg != nullptr && xdg[0] == '/') return std::string(xdg) + "/k4ds";
  const char* home = std::getenv("HOME");
  std::string home_dir = home != nullptr && home[0] == '/' ? home : "";
  if (home_dir.empty()) {
    if (const passwd* pw = getpwuid(geteuid()); pw != nullptr && pw->pw_dir != nullptr)
      home_dir = pw->pw_dir;
  }
  if (home_dir.empty()) return fmt::format("/tmp/k4ds-{}", geteuid());  // no home at all
  return home_dir + "/.local/share/k4ds";
}

ParsedConfig parse_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    ParsedConfig parsed{default_config(), {}};
    parsed.problems.push_back(
        {"", fmt::format("cannot read the configuration file {}: {}; check the path and its "
                         "permissions",
                         path, std::strerror(err))});
    return parsed;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    ParsedConfig parsed{default_config(), {}};
    parsed.problems.push_back({"", fmt::format("cannot read the configuration file {}", path)});
    return parsed;
  }
  return parse_config_text(text.str());
}

void apply_env_overrides(ParsedConfig& parsed, const GetEnv& getenv) {
  Config& c = parsed.config;
  auto report = [&](const char* variable, const Status& s) {
    parsed.problems.push_back({variable, s.message()});
  };
  auto apply = [&](const char* variable, std::string& field, Status (*check)(std::string_view)) {
    std::optional<std::string> value = getenv(variable);
    if (!value) return false;
    if (Status s = check(*value); !s.ok()) {
      report(variable, s);
      return false;
    }
    field = *value;
    return true;
  };
  bool domain_changed = apply("K4DS_DOMAIN", c.domain, config::check_domain);
  apply("K4DS_LISTEN", c.listen, config::check_listen);
  apply("K4DS_DATA_DIR", c.data_dir, config::check_data_dir);
  std::optional<std::string> portal = getenv("K4DS_PORTAL_HOST");
  if (portal) {
    // Empty means "the domain", as in the file.
    if (Status s = config::check_portal_host(*portal, c.domain); !portal->empty() && !s.ok())
      report("K4DS_PORTAL_HOST", s);
    else
      c.portal_host = *portal;
  } else if (domain_changed && !c.portal_host.empty()) {
    // A new domain can turn the file's portal host into a workspace host.
    if (Status s = config::check_portal_host(c.portal_host, c.domain); !s.ok())
      report("K4DS_DOMAIN", s);
  }
}

}  // namespace k4ds
