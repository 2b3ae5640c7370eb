#include "gateway/live_connections.h"

#include <boost/asio/post.hpp>

namespace k4ds {

std::unique_ptr<LiveConnections::Registration> LiveConnections::add(const boost::asio::any_io_executor& executor,
                                                                    boost::asio::ip::tcp::socket& client,
                                                                    const Credential& credential,
                                                                    const Route& route) {
  // Complete before it is visible: a re-check must never see an entry without its credential.
  auto entry = std::make_shared<LiveConnection>();
  entry->credential = credential;
  entry->workspace_id = route.workspace_id;
  entry->owner = route.owner;
  entry->name = route.name;
  entry->executor = executor;
  entry->client = &client;
  std::lock_guard lock(mutex_);
  auto it = list_.insert(list_.end(), std::move(entry));
  return std::unique_ptr<Registration>(new Registration(*this, it));
}

LiveConnections::Registration::~Registration() {
  (*entry_)->alive = false;  // a close() already posted finds it gone
  std::lock_guard lock(owner_.mutex_);
  owner_.list_.erase(entry_);
}

void LiveConnections::Registration::relaying(const Credential& credential, const Route& route) {
  LiveConnection& c = **entry_;
  // Read without the lock: only this executor writes these fields.
  if (c.credential.kind == credential.kind && c.credential.secret == credential.secret &&
      c.credential.host == credential.host && c.workspace_id == route.workspace_id && c.owner == route.owner &&
      c.name == route.name) {
    return;
  }
  std::lock_guard lock(c.mutex);
  c.credential = credential;
  c.workspace_id = route.workspace_id;
  c.owner = route.owner;
  c.name = route.name;
}

void LiveConnections::Registration::moved_to(boost::asio::ip::tcp::socket& client) { (*entry_)->client = &client; }

std::vector<std::shared_ptr<LiveConnection>> LiveConnections::snapshot() const {
  std::lock_guard lock(mutex_);
  return {list_.begin(), list_.end()};
}

std::size_t LiveConnections::size() const {
  std::lock_guard lock(mutex_);
  return list_.size();
}

void LiveConnections::close(const std::shared_ptr<LiveConnection>& connection) {
  boost::asio::post(connection->executor, [connection] {
    if (!connection->alive) return;
    boost::system::error_code ignored;
    connection->client->shutdown(boost::asio::socket_base::shutdown_both, ignored);
    connection->client->close(ignored);
  });
}

}  // namespace k4ds
