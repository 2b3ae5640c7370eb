#include "runtime/local/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace k4ds::local {

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

Status write_file_atomic(const std::string& path, const std::string& content, int mode) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return unavailable("cannot write " + tmp + ": " + std::strerror(errno));
  const char* p = content.data();
  size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      return unavailable("cannot write " + tmp + ": " + std::strerror(e));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  ::fsync(fd);
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return unavailable("cannot rename " + tmp + ": " + std::strerror(errno));
  }
  return ok_status();
}

Status make_dir(const std::string& path, int mode) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) {
    return unavailable("cannot create directory " + path + ": " + std::strerror(errno));
  }
  if (::chmod(path.c_str(), mode) != 0) {
    return unavailable("cannot set the mode of " + path + ": " + std::strerror(errno));
  }
  return ok_status();
}

std::string format_key_values(const KeyValues& values) {
  std::string out;
  for (const auto& [k, v] : values) out += k + "=" + v + "\n";
  return out;
}

KeyValues parse_key_values(const std::string& text) {
  KeyValues out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return out;
}

namespace {
// Fields after the command name, which is in parentheses and may itself contain ") ".
std::optional<std::string> stat_fields(int pid) {
  auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return std::nullopt;
  auto close = stat->rfind(')');
  if (close == std::string::npos) return std::nullopt;
  return stat->substr(close + 2);
}
}  // namespace

uint64_t process_start_time(int pid) {
  if (pid <= 0) return 0;
  auto fields = stat_fields(pid);
  if (!fields) return 0;
  std::istringstream in(*fields);
  std::string field;
  // The text after ") " starts with field 3 (state); the start time is field 22.
  for (int i = 3; i <= 22 && in >> field; ++i) {
    if (i == 22) return std::stoull(field);
  }
  return 0;
}

bool same_process_alive(int pid, uint64_t start_time) {
  if (pid <= 0 || start_time == 0) return false;
  auto fields = stat_fields(pid);
  if (!fields || fields->empty() || (*fields)[0] == 'Z' || (*fields)[0] == 'X') return false;
  return process_start_time(pid) == start_time;
}

}  // namespace k4ds::local
