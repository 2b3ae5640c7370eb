// DirectoryRecheck: users removed or disabled in a directory lose access within the provider's
// recheck_interval, not only at their next login.
//
// Contract
// - Every recheck_interval (per provider), each user of that provider who is signed in (an
//   unexpired session or API token, Tx::list_signed_in_users) is looked up in the directory:
//     gone (not_found) or disabled  → every session and API token of the user is deleted
//                                     (Authenticator::revoke_credentials); the gateway sees
//                                     that in the change feed
//     found                         → attributes and directory groups are refreshed
//     directory trouble             → nothing changes and the pass for that provider stops:
//                                     a directory that is down must not sign everyone out
// - Runs on its own thread (blocking LDAP calls never reach the I/O threads); stop() (or the
//   destructor) ends it promptly, even in the middle of a wait.
// - run_once() does one pass for one provider, synchronously, for tests and tools.
//
// Usage:
//   DirectoryRecheck recheck(*store, *auth, services, auth_options.directories);
//   recheck.start();
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "auth/authenticator.h"
#include "auth/directory_provider.h"
#include "store/store.h"

namespace k4ds {

struct RecheckReport {
  int checked = 0;
  int revoked_users = 0;
  int revoked_credentials = 0;  // sessions + tokens
  bool directory_trouble = false;
  bool unsupported = false;  // the provider cannot look users up (no service account)
};

class DirectoryRecheck {
 public:
  DirectoryRecheck(Store& store, Authenticator& auth, Services services,
                   std::vector<std::shared_ptr<DirectoryProvider>> providers);
  ~DirectoryRecheck();
  DirectoryRecheck(const DirectoryRecheck&) = delete;
  DirectoryRecheck& operator=(const DirectoryRecheck&) = delete;

  void start();
  void stop();
  RecheckReport run_once(DirectoryProvider& provider);

 private:
  void loop();

  Store& store_;
  Authenticator& auth_;
  Services services_;
  std::vector<std::shared_ptr<DirectoryProvider>> providers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace k4ds
