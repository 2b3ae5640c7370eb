#include "runtime/local/log_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <mutex>
#include <thread>

#include "runtime/local/files.h"

namespace k4ds::local {

std::string tail_log(const std::string& log_path, std::size_t max_bytes) {
  std::string text = read_file(log_path + ".1").value_or("") + read_file(log_path).value_or("");
  if (text.size() > max_bytes) text.erase(0, text.size() - max_bytes);
  return text;
}

std::vector<std::string> last_lines(const std::string& log_path, std::size_t n) {
  std::string text = tail_log(log_path, 64 * 1024);
  std::vector<std::string> lines;
  size_t end = text.size();
  while (end > 0 && lines.size() < n) {
    size_t start = text.rfind('\n', end - 1);
    size_t from = start == std::string::npos ? 0 : start + 1;
    std::string line = text.substr(from, end - from);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) lines.insert(lines.begin(), line);
    if (start == std::string::npos) break;
    end = start;
  }
  return lines;
}

namespace {

struct Follower {
  std::string path;
  std::function<bool()> ended;
  std::string pending;  // the tail, handed out first
  int fd = -1;
  ino_t inode = 0;
  std::mutex mutex;

  ~Follower() {
    if (fd >= 0) ::close(fd);
  }
  void open_current(bool from_end) {
    if (fd >= 0) ::close(fd);
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st{};
    inode = (fd >= 0 && ::fstat(fd, &st) == 0) ? st.st_ino : 0;
    if (fd >= 0 && from_end) ::lseek(fd, 0, SEEK_END);
  }
  std::string read_available() {
    std::string out;
    if (fd < 0) return out;
    char buf[16384];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    return out;
  }
  std::optional<std::string> next(std::chrono::milliseconds wait) {
    std::lock_guard lock(mutex);
    if (!pending.empty()) return std::exchange(pending, "");
    auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
      bool was_ended = ended();  // read before the data, so nothing written just before is lost
      std::string out = read_available();
      struct stat st{};
      if (::stat(path.c_str(), &st) == 0 && st.st_ino != inode) {
        open_current(false);  // rotated: the old part is drained above, the new one starts at 0
        out += read_available();
      }
      if (!out.empty()) return out;
      if (was_ended) return std::nullopt;
      if (std::chrono::steady_clock::now() >= deadline) return std::string();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
};

}  // namespace

LogFollow follow_log(const std::string& log_path, std::size_t tail_bytes,
                     std::function<bool()> ended) {
  auto f = std::make_shared<Follower>();
  f->path = log_path;
  f->ended = std::move(ended);
  f->open_current(true);
  // The tail up to where the descriptor stands: no overlap, no gap.
  off_t at = f->fd >= 0 ? ::lseek(f->fd, 0, SEEK_CUR) : 0;
  std::string tail = tail_log(log_path, tail_bytes + 1024 * 1024);
  std::string current = read_file(log_path).value_or("");
  if (current.size() > static_cast<size_t>(at)) {
    tail.erase(tail.size() - (current.size() - static_cast<size_t>(at)));
  }
  if (tail.size() > tail_bytes) tail.erase(0, tail.size() - tail_bytes);
  f->pending = std::move(tail);
  return LogFollow{
      .next = [f](std::chrono::milliseconds wait) { return f->next(wait); },
      .close = [f] {
        std::lock_guard lock(f->mutex);
        if (f->fd >= 0) ::close(std::exchange(f->fd, -1));
      },
  };
}

}  // namespace k4ds::local
