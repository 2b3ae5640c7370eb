#include "directory/ldap_pool.h"

#include <fmt/format.h>

namespace k4ds::ldap {

Pool::Pool(ConnectionSettings settings, std::size_t size, std::optional<Identity> identity,
           std::shared_ptr<QuietState> quiet)
    : settings_(std::move(settings)),
      size_(size == 0 ? 1 : size),
      quiet_(quiet ? std::move(quiet) : std::make_shared<QuietState>()),
      identity_(std::move(identity)) {}

Pool::~Pool() = default;

std::size_t Pool::idle() const {
  std::lock_guard lock(mutex_);
  return idle_.size();
}

Result<std::unique_ptr<Connection>> Pool::acquire(bool& reused) {
  {
    std::lock_guard quiet_lock(quiet_->mutex);
    if (Steady::now() < quiet_->until) return quiet_->reason;
  }
  {
    std::unique_lock lock(mutex_);
    bool got = freed_.wait_for(lock, settings_.timeout,
                               [&] { return !idle_.empty() || open_ < size_; });
    if (!got) {
      return unavailable(fmt::format(
          "all {} connections to the directory at {} are busy; try again in a minute", size_,
          settings_.url));
    }
    if (!idle_.empty()) {
      std::unique_ptr<Connection> conn = std::move(idle_.back());
      idle_.pop_back();
      reused = true;
      return conn;
    }
    ++open_;  // reserved; connecting happens outside the lock
  }
  reused = false;
  auto forget = [&] {
    std::lock_guard lock(mutex_);
    --open_;
    freed_.notify_one();
  };
  Result<std::unique_ptr<Connection>> conn = Connection::open(settings_);
  if (!conn) {
    forget();
    return conn.status();
  }
  if (identity_) {
    Status bound = (*conn)->bind(identity_->dn, identity_->password);
    if (!bound.ok()) {
      forget();
      if (bound.code() == Code::unauthenticated) {
        return unavailable(fmt::format(
            "the directory at {} refused k4ds's service account {}; ask your admin to check "
            "bind_dn and bind_password",
            settings_.url, identity_->dn));
      }
      return bound;
    }
  }
  return conn;
}

void Pool::release(std::unique_ptr<Connection> conn) {
  std::lock_guard lock(mutex_);
  if (conn->broken()) {
    --open_;
    conn.reset();  // unbinds; cheap on a dead socket
  } else {
    idle_.push_back(std::move(conn));
  }
  freed_.notify_one();
}

Status Pool::run(const std::function<Status(Connection&)>& fn) {
  // A failure that took this long was a timeout (a refused connection fails in microseconds).
  auto slow = std::min(settings_.connect_timeout, settings_.timeout) * 9 / 10;
  auto quiet_if_slow = [&](const Status& s, Steady::time_point started) {
    if (s.code() != Code::unavailable || Steady::now() - started < slow) return;
    std::lock_guard lock(quiet_->mutex);
    quiet_->until = Steady::now() + settings_.timeout;
    quiet_->reason = s;
  };
  for (int attempt = 0;; ++attempt) {
    bool reused = false;
    auto started = Steady::now();
    Result<std::unique_ptr<Connection>> conn = acquire(reused);
    if (!conn) {
      quiet_if_slow(conn.status(), started);
      return conn.status();
    }
    Status s = fn(**conn);
    quiet_if_slow(s, started);
    bool retry = reused && attempt == 0 && s.code() == Code::unavailable && (*conn)->broken();
    release(std::move(conn).value());
    if (!retry) return s;
  }
}

}  // namespace k4ds::ldap
