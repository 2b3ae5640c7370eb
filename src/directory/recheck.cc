#include "directory/recheck.h"

#include <algorithm>
#include <chrono>

#include "common/logging.h"

namespace k4ds {
namespace {

std::shared_ptr<spdlog::logger> log() {
  static auto logger = component_logger("directory");
  return logger;
}

}  // namespace

DirectoryRecheck::DirectoryRecheck(Store& store, Authenticator& auth, Services services,
                                   std::vector<std::shared_ptr<DirectoryProvider>> providers)
    : store_(store), auth_(auth), services_(std::move(services)), providers_(std::move(providers)) {}

DirectoryRecheck::~DirectoryRecheck() { stop(); }

void DirectoryRecheck::start() {
  if (providers_.empty() || thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { loop(); });
}

void DirectoryRecheck::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DirectoryRecheck::loop() {
  using Steady = std::chrono::steady_clock;
  std::vector<Steady::time_point> due;
  for (const auto& p : providers_) due.push_back(Steady::now() + p->recheck_interval());
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    auto next = *std::min_element(due.begin(), due.end());
    if (next == Steady::time_point::max()) {
      wake_.wait(lock, [&] { return stopping_; });
      break;
    }
    if (wake_.wait_until(lock, next, [&] { return stopping_; })) break;
    lock.unlock();
    for (std::size_t i = 0; i < providers_.size(); ++i) {
      if (Steady::now() < due[i]) continue;
      RecheckReport report = run_once(*providers_[i]);
      if (report.unsupported) {
        due[i] = Steady::time_point::max();  // said once in the log; asking again won't help
        continue;
      }
      if (report.checked > 0 || report.directory_trouble) {
        log()->info("re-checked {} signed-in users of {}: {} lost access{}", report.checked,
                    providers_[i]->name(), report.revoked_users,
                    report.directory_trouble ? "; the directory had trouble, the rest wait" : "");
      }
      due[i] = Steady::now() + providers_[i]->recheck_interval();
    }
    lock.lock();
  }
}

RecheckReport DirectoryRecheck::run_once(DirectoryProvider& provider) {
  RecheckReport report;
  int64_t now_ms = to_unix_ms(services_.clock->now());
  std::vector<std::string> users;
  Status read = store_.read([&](Tx& tx) -> Status {
    Result<std::vector<std::string>> signed_in = tx.list_signed_in_users(now_ms);
    if (!signed_in) return signed_in.status();
    for (const std::string& name : *signed_in) {
      Result<User> user = tx.get_user(name);
      if (user && user->provider == provider.name()) users.push_back(name);
    }
    return ok_status();
  });
  if (!read.ok()) {
    log()->warn("directory re-check of {}: cannot read the store: {}", provider.name(), read.message());
    report.directory_trouble = true;
    return report;
  }
  for (const std::string& name : users) {
    Result<DirectoryAccount> account = provider.lookup(name);
    ++report.checked;
    Code code = account.status().code();
    if (code == Code::failed_precondition) {
      log()->warn("no re-check for {}: {}", provider.name(), account.status().message());
      report.unsupported = true;
      break;
    }
    bool gone = code == Code::not_found || (account && account->disabled);
    if (gone) {
      Result<int> revoked = auth_.revoke_credentials(name);
      if (!revoked) {
        log()->warn("{} is {} in the directory {}, but revoking their sessions failed: {}", name,
                    code == Code::not_found ? "no longer" : "disabled", provider.name(),
                    revoked.status().message());
        continue;
      }
      ++report.revoked_users;
      report.revoked_credentials += *revoked;
      log()->info("{} is {} in the directory {}: revoked {} sessions and API tokens", name,
                  code == Code::not_found ? "no longer" : "disabled", provider.name(), *revoked);
    } else if (account && account->name != name) {
      log()->warn("directory re-check: {} now maps to the user name {} in {}; left as it is",
                  name, account->name, provider.name());
    } else if (account) {
      if (Status s = auth_.refresh_directory_user(provider, *account); !s.ok())
        log()->warn("directory re-check: cannot update {}: {}", name, s.message());
    } else {
      log()->warn("directory re-check of {} stopped at {}: {}", provider.name(), name,
                  account.status().message());
      report.directory_trouble = true;
      break;
    }
  }
  return report;
}

}  // namespace k4ds
