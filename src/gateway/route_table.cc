#include "gateway/route_table.h"

#include "common/netns.h"
#include "gateway/host.h"

namespace k4ds {
namespace {

constexpr std::string_view kUnixPrefix = "unix:";
// sockaddr_un::sun_path is 108 bytes including the terminating NUL.
constexpr std::size_t kMaxUnixPathLength = 107;

Status bad_upstream(std::string_view text, std::string_view why) {
  return invalid_argument("workspace upstream \"" + std::string(text) + "\" " +
                          std::string(why) +
                          "; use unix:/absolute/path, 127.0.0.1:8888 or [::1]:8888");
}

}  // namespace

Result<Upstream> parse_upstream(std::string_view text) {
  if (text.starts_with(kNetnsPrefix)) {
    std::optional<NetnsAddress> in_netns = parse_netns_upstream(text);
    if (!in_netns) return bad_upstream(text, "is not netns:<pid>:<host>:<port>");
    Result<Upstream> inner = parse_upstream(in_netns->address);
    if (!inner || inner->kind != Upstream::Kind::tcp || inner->netns_pid != 0) {
      return bad_upstream(text, "needs host:port after the process id");
    }
    inner->netns_pid = in_netns->pid;
    return inner;
  }
  Upstream out;
  if (text.substr(0, kUnixPrefix.size()) == kUnixPrefix) {
    std::string_view path = text.substr(kUnixPrefix.size());
    if (path.empty() || path.front() != '/') return bad_upstream(text, "needs an absolute path");
    if (path.size() > kMaxUnixPathLength) return bad_upstream(text, "has a path too long");
    if (path.find('\0') != std::string_view::npos) return bad_upstream(text, "contains NUL");
    out.kind = Upstream::Kind::unix_socket;
    out.path = std::string(path);
    return out;
  }
  Result<NormalizedHost> host = normalize_host(text);
  if (!host) return bad_upstream(text, "is not host:port");
  if (!host->port) return bad_upstream(text, "has no port");
  out.kind = Upstream::Kind::tcp;
  out.port = *host->port;
  out.host = host->host;
  if (!out.host.empty() && out.host.front() == '[') {
    out.host = out.host.substr(1, out.host.size() - 2);  // "[::1]" → "::1" for the resolver
  }
  return out;
}

std::string format_upstream(const Upstream& upstream) {
  if (upstream.kind == Upstream::Kind::unix_socket) return "unix:" + upstream.path;
  bool v6 = upstream.host.find(':') != std::string::npos;
  std::string host = v6 ? "[" + upstream.host + "]" : upstream.host;
  std::string address = host + ":" + std::to_string(upstream.port);
  return upstream.netns_pid > 0 ? format_netns_upstream(upstream.netns_pid, address) : address;
}

namespace {

Route route_of(const Workspace& ws, std::shared_ptr<Activity> activity) {
  Route route;
  route.activity = activity ? std::move(activity) : std::make_shared<Activity>(ws.last_activity_at);
  route.workspace_id = ws.id;
  route.owner = ws.owner;
  route.name = ws.name;
  if (!ws.upstream.empty()) {
    Result<Upstream> up = parse_upstream(ws.upstream);
    if (up) route.upstream = std::move(up).value();
  }
  route.running = ws.phase == Phase::running && route.upstream.has_value();
  return route;
}

}  // namespace

std::string RouteTable::key_of(std::string_view owner, std::string_view name) {
  std::string key;
  key.reserve(owner.size() + name.size() + 1);
  key.append(owner).append("/").append(name);
  return key;
}

RouteTable::RouteTable(const std::vector<Workspace>& workspaces, const RouteTable* previous) {
  std::array<std::shared_ptr<RouteMap>, kShards> routes;
  std::array<std::shared_ptr<IdMap>, kShards> ids;
  for (std::size_t i = 0; i < kShards; ++i) {
    routes[i] = std::make_shared<RouteMap>();
    routes[i]->reserve(workspaces.size() / kShards + 1);
    ids[i] = std::make_shared<IdMap>();
    ids[i]->reserve(workspaces.size() / kShards + 1);
  }
  for (const Workspace& ws : workspaces) {
    std::string key = key_of(ws.owner, ws.name);
    const Route* before = previous ? previous->find_id(ws.id) : nullptr;
    if (!routes[shard_of(ws.owner)]->try_emplace(key, route_of(ws, before ? before->activity : nullptr)).second) {
      continue;
    }
    ids[shard_of(ws.id)]->try_emplace(ws.id, std::move(key));
    ++size_;
  }
  for (std::size_t i = 0; i < kShards; ++i) {
    routes_[i] = std::move(routes[i]);
    ids_[i] = std::move(ids[i]);
  }
}

std::shared_ptr<const RouteTable> RouteTable::updated(const std::vector<Workspace>& changed,
                                                      const std::vector<std::string>& removed) const {
  auto next = std::make_shared<RouteTable>(*this);  // shares every shard
  std::array<std::shared_ptr<RouteMap>, kShards> routes;  // shards copied for writing
  std::array<std::shared_ptr<IdMap>, kShards> ids;
  auto route_shard = [&](std::size_t i) -> RouteMap& {
    if (!routes[i]) {
      routes[i] = routes_[i] ? std::make_shared<RouteMap>(*routes_[i]) : std::make_shared<RouteMap>();
      next->routes_[i] = routes[i];
    }
    return *routes[i];
  };
  auto id_shard = [&](std::size_t i) -> IdMap& {
    if (!ids[i]) {
      ids[i] = ids_[i] ? std::make_shared<IdMap>(*ids_[i]) : std::make_shared<IdMap>();
      next->ids_[i] = ids[i];
    }
    return *ids[i];
  };
  auto erase_id = [&](const std::string& id) {
    const std::size_t s = shard_of(id);
    const IdMap* current = ids[s] ? ids[s].get() : ids_[s].get();
    if (!current) return;
    auto it = current->find(id);
    if (it == current->end()) return;
    const std::string key = it->second;
    const std::string_view owner = std::string_view(key).substr(0, key.find('/'));
    if (route_shard(shard_of(owner)).erase(key) > 0) --next->size_;
    id_shard(s).erase(id);
  };
  for (const std::string& id : removed) erase_id(id);
  for (const Workspace& ws : changed) {
    std::shared_ptr<Activity> activity;
    if (const Route* before = find_id(ws.id)) activity = before->activity;
    erase_id(ws.id);
    std::string key = key_of(ws.owner, ws.name);
    RouteMap& shard = route_shard(shard_of(ws.owner));
    if (auto taken = shard.find(key); taken != shard.end()) {
      // The store keeps (owner, name) unique; a stale holder of the name gives way.
      id_shard(shard_of(taken->second.workspace_id)).erase(taken->second.workspace_id);
      shard.erase(taken);
      --next->size_;
    }
    shard.emplace(key, route_of(ws, std::move(activity)));
    id_shard(shard_of(ws.id)).emplace(ws.id, std::move(key));
    ++next->size_;
  }
  return next;
}

const Route* RouteTable::find(std::string_view owner, std::string_view name) const {
  // Build the key on the stack for names of ordinary length: this is the per-request path.
  char buffer[160];
  std::string heap;
  std::string_view key;
  std::size_t size = owner.size() + name.size() + 1;
  if (size <= sizeof(buffer)) {
    owner.copy(buffer, owner.size());
    buffer[owner.size()] = '/';
    name.copy(buffer + owner.size() + 1, name.size());
    key = std::string_view(buffer, size);
  } else {
    heap.append(owner).append("/").append(name);
    key = heap;
  }
  const auto& shard = routes_[shard_of(owner)];
  if (!shard) return nullptr;
  auto it = shard->find(key);
  return it == shard->end() ? nullptr : &it->second;
}

const Route* RouteTable::find_id(std::string_view workspace_id) const {
  const auto& ids = ids_[shard_of(workspace_id)];
  if (!ids) return nullptr;
  auto it = ids->find(workspace_id);
  if (it == ids->end()) return nullptr;
  const std::string_view key = it->second;
  const auto& shard = routes_[shard_of(key.substr(0, key.find('/')))];
  if (!shard) return nullptr;
  auto route = shard->find(key);
  return route == shard->end() ? nullptr : &route->second;
}

RouteTableHolder::RouteTableHolder(std::shared_ptr<const RouteTable> initial)
    : current_(initial ? std::move(initial) : std::make_shared<const RouteTable>()) {}

std::shared_ptr<const RouteTable> RouteTableHolder::load() const {
  std::lock_guard lock(mutex_);
  return current_;
}

void RouteTableHolder::store(std::shared_ptr<const RouteTable> table) {
  if (!table) table = std::make_shared<const RouteTable>();
  {
    std::lock_guard lock(mutex_);
    current_.swap(table);
  }
  // `table` now holds the previous snapshot; if this was its last reference it is destroyed
  // here, outside the lock, so a large table's teardown never delays readers.
}

}  // namespace k4ds
