// What the local runtime needs from the host besides processes: per-user Unix accounts,
// command templates, and which catalog environments this machine can actually run.
//
// Usage:
//   auto account = ensure_account("alice", "/var/lib/k4ds/volumes/<uuid>");  // as root
//   auto same = ensure_account("alice", home, 10001, 10001);  // the directory's uidNumber/gidNumber
//   auto argv = expand_template(env.command, {{"socket", path}, {"home", home}});
//   mark_unavailable_environments(catalog);  // at start-up
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "common/result.h"
#include "model/catalog.h"

namespace k4ds::local {

struct Account {
  std::string name;  // "k4ds-alice"
  uid_t uid = 0;
  gid_t gid = 0;
};

// "k4ds-<user>", shortened with a hash when it would pass the 32-character account-name limit.
std::string account_name(const std::string& user);
// Finds or creates (useradd --system, no login shell) the user's account. With the directory's
// ids (uid >= 0): an existing account with that uid is used as it is (on hosts that see the
// directory's accounts, it is the user's own); else "k4ds-<user>" is created with that uid and
// gid (the group "k4ds-<user>" is created with that gid when no group has it). uid 0 is refused,
// and so is an existing "k4ds-<user>" whose uid differs (files would change owner), with what
// to do. Without ids (-1): "k4ds-<user>" with a uid and group of its own.
Result<Account> ensure_account(const std::string& user, const std::string& home,
                               int64_t uid = -1, int64_t gid = -1);

// Replaces {name} placeholders; an unknown placeholder is invalid_argument (a config mistake
// must not reach exec as a literal "{sock}").
Result<std::vector<std::string>> expand_template(const std::vector<std::string>& args,
                                                 const std::map<std::string, std::string>& values);
Result<std::string> expand_template(const std::string& text,
                                    const std::map<std::string, std::string>& values);

// Absolute path of an executable: as given when it contains '/', else searched in PATH-like dirs.
std::string find_executable(const std::string& name);

// Why this host cannot run the environment, or "" when it can: the command's executable is
// missing, `python3 -m <module>` cannot import the module, or the Jupyter kernel the command
// selects (--MultiKernelManager.default_kernel_name=ir) has no kernelspec.
std::string environment_unavailable_reason(const Environment& environment);
// Sets available/unavailable_reason on every environment with a command.
void mark_unavailable_environments(Catalog& catalog);

// Runs argv (absolute argv[0]) with stdout/stderr discarded; returns its exit code, -1 on failure.
int run_quietly(const std::vector<std::string>& argv);

}  // namespace k4ds::local
