#include "cli/cli_config.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

namespace k4ds::cli {
namespace {

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

std::string home_dir() {
  std::string home = env_or_empty("HOME");
  if (!home.empty()) return home;
  if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_dir) return pw->pw_dir;
  return ".";
}

// mkdir -p with mode 0700 for the directories it creates; existing ones are left alone.
Status make_parent_dirs(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return ok_status();
  std::string dir = path.substr(0, slash);
  for (std::size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    std::string prefix = dir.substr(0, pos);
    if (::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
      return Status(Code::failed_precondition, "cannot create directory " + prefix + " (" +
                                                   std::strerror(errno) +
                                                   "); set K4DS_CONFIG to a writable path");
    }
  }
  return ok_status();
}

}  // namespace

std::string cli_config_path() {
  if (std::string p = env_or_empty("K4DS_CONFIG"); !p.empty()) return p;
  if (std::string x = env_or_empty("XDG_CONFIG_HOME"); !x.empty()) return x + "/k4ds/cli.yaml";
  return home_dir() + "/.config/k4ds/cli.yaml";
}

Result<CliConfig> load_cli_config(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 && errno == ENOENT) return CliConfig{};
  std::ifstream in(path);
  if (!in) {
    return Status(Code::failed_precondition,
                  "cannot read " + path + " (" + std::strerror(errno) + "); check its permissions");
  }
  std::stringstream text;
  text << in.rdbuf();
  CliConfig config;
  try {
    YAML::Node root = YAML::Load(text.str());
    if (!root || root.IsNull()) return config;
    if (!root.IsMap()) throw YAML::Exception(YAML::Mark::null_mark(), "not a mapping");
    auto get = [&](const char* key) {
      return root[key] && root[key].IsScalar() ? root[key].as<std::string>() : std::string();
    };
    config.server = get("server");
    config.user = get("user");
    config.token = get("token");
    config.token_id = get("token_id");
  } catch (const YAML::Exception& e) {
    return Status(Code::failed_precondition, "the CLI config " + path + " is not valid (" +
                                                 e.what() + "); delete it and run k4ds login");
  }
  return config;
}

Status save_cli_config(const std::string& path, const CliConfig& config) {
  K4DS_RETURN_IF_ERROR(make_parent_dirs(path));
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "server" << YAML::Value << config.server;
  out << YAML::Key << "user" << YAML::Value << config.user;
  out << YAML::Key << "token" << YAML::Value << config.token;
  out << YAML::Key << "token_id" << YAML::Value << config.token_id;
  out << YAML::EndMap;
  std::string text = std::string("# k4ds CLI config; holds a secret API token, keep it private\n") +
                     out.c_str() + "\n";

  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Status(Code::failed_precondition, "cannot write " + path + " (" +
                                                 std::strerror(errno) +
                                                 "); set K4DS_CONFIG to a writable path");
  }
  // The file may predate us with a looser mode: tighten it before the secret goes in.
  Status status;
  if (::fchmod(fd, 0600) != 0 || ::ftruncate(fd, 0) != 0) {
    status = Status(Code::failed_precondition,
                    "cannot secure " + path + " (" + std::strerror(errno) + "); check its owner");
  }
  std::size_t written = 0;
  while (status.ok() && written < text.size()) {
    ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      status = Status(Code::failed_precondition,
                      "cannot write " + path + " (" + std::strerror(errno) + ")");
      break;
    }
    written += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return status;
}

}  // namespace k4ds::cli
