#include "runtime/local/volume_links.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace k4ds::local {
namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

Status failed(const std::string& what) { return unavailable(what + ": " + std::strerror(errno)); }

}  // namespace

Status link_volumes(const std::string& home, const std::vector<std::pair<std::string, std::string>>& targets,
                    bool chown_it, uid_t uid, gid_t gid, std::vector<std::string>& skipped) {
  if (targets.empty()) return ok_status();
  Fd home_fd(::open(home.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (home_fd.get() < 0) return failed("cannot open the home volume " + home);
  if (::mkdirat(home_fd.get(), "volumes", 0700) == 0) {
    if (chown_it && ::fchownat(home_fd.get(), "volumes", uid, gid, AT_SYMLINK_NOFOLLOW) != 0) {
      return failed("cannot give " + home + "/volumes to the workspace's account");
    }
  } else if (errno != EEXIST) {
    return failed("cannot create " + home + "/volumes");
  }
  Fd dir(::openat(home_fd.get(), "volumes", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (dir.get() < 0) {
    return failed_precondition(home + "/volumes is not a directory, so other volumes cannot be shown there; "
                               "rename it and start the workspace again");
  }
  for (const auto& [target, name] : targets) {
    struct stat st {};
    if (::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      if (!S_ISLNK(st.st_mode)) {
        skipped.push_back("volumes/" + name + " in your home is not a link k4ds made, so volume " + name +
                          " is not shown there; rename it and start the workspace again");
        continue;
      }
      if (::unlinkat(dir.get(), name.c_str(), 0) != 0) return failed("cannot replace volumes/" + name);
    }
    if (::symlinkat(target.c_str(), dir.get(), name.c_str()) != 0) return failed("cannot link volumes/" + name);
    if (chown_it && ::fchownat(dir.get(), name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0) {
      return failed("cannot give volumes/" + name + " to the workspace's account");
    }
  }
  return ok_status();
}

}  // namespace k4ds::local
