// LiveConnections: the gateway's registry of client connections that relay to a workspace
// (kept-alive HTTP connections and the WebSocket tunnels they became), so that a change that
// takes access away (a revoked share, a deleted user or session, a deleted workspace) can close
// them, WebSockets included, within a second.
//
// Contract
// - A client connection joins with add() at its first allowed request and leaves when the
//   returned Registration is destroyed: when the connection ends, or when the tunnel it was
//   handed to ends. So the registry's lock is taken once per connection, not per request.
// - Registration::relaying() records the credential and workspace of each request about to be
//   relayed; it takes the entry's own lock only when they change, so a connection that keeps
//   sending the same cookie to the same workspace pays a few string comparisons per request.
// - snapshot() copies the entries (for a re-check on a worker thread); read each entry's
//   credential and workspace under its `mutex`. close() shuts the entry's client socket down on
//   the connection's executor, unless the entry has left the registry by then.
// - Thread-safety: add(), snapshot(), size() and close() from any thread. A Registration, and an
//   entry's `client` and `alive`, are used on the connection's executor only.
//
// Usage:
//   if (!connection.live) connection.live = live.add(executor, stream.socket(), credential, route);
//   else connection.live->relaying(credential, route);
//   ...                                         // on upgrade, the tunnel takes the socket:
//   connection.live->moved_to(start_tunnel(...));  // and the Registration goes with the tunnel
//   for (auto& entry : live.snapshot()) if (!allowed(*entry)) LiveConnections::close(entry);
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gateway/route_table.h"
#include "gateway/workspace_gate.h"

namespace k4ds {

struct LiveConnection {
  // What the connection relays: written on its executor, read by re-checks, under `mutex`.
  mutable std::mutex mutex;
  Credential credential;
  std::string workspace_id;
  std::string owner;
  std::string name;
  // Only on `executor`.
  boost::asio::any_io_executor executor;
  boost::asio::ip::tcp::socket* client = nullptr;
  bool alive = true;
};

class LiveConnections {
  using List = std::list<std::shared_ptr<LiveConnection>>;

 public:
  // A connection's place in the registry; destroying it takes the connection out.
  class Registration {
   public:
    ~Registration();
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;

    // The credential and workspace of the request about to be relayed.
    void relaying(const Credential& credential, const Route& route);
    // The client socket now lives here (a tunnel took it over); revocation closes this one.
    void moved_to(boost::asio::ip::tcp::socket& client);

   private:
    friend class LiveConnections;
    Registration(LiveConnections& owner, List::iterator entry) : owner_(owner), entry_(entry) {}
    LiveConnections& owner_;
    List::iterator entry_;
  };

  // Registers a connection with the credential and workspace of its first relayed request.
  std::unique_ptr<Registration> add(const boost::asio::any_io_executor& executor,
                                    boost::asio::ip::tcp::socket& client, const Credential& credential,
                                    const Route& route);
  std::vector<std::shared_ptr<LiveConnection>> snapshot() const;
  std::size_t size() const;
  static void close(const std::shared_ptr<LiveConnection>& connection);

 private:
  mutable std::mutex mutex_;
  List list_;  // erased by iterator
};

}  // namespace k4ds
