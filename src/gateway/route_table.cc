#include "gateway/route_table.h"

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
  return host + ":" + std::to_string(upstream.port);
}

RouteTable::RouteTable(const std::vector<Workspace>& workspaces) {
  routes_.reserve(workspaces.size());
  for (const Workspace& ws : workspaces) {
    Route route;
    route.workspace_id = ws.id;
    route.owner = ws.owner;
    route.name = ws.name;
    if (!ws.upstream.empty()) {
      Result<Upstream> up = parse_upstream(ws.upstream);
      if (up) route.upstream = std::move(up).value();
    }
    route.running = ws.phase == Phase::running && route.upstream.has_value();
    std::string key;
    key.reserve(ws.owner.size() + ws.name.size() + 1);
    key.append(ws.owner).append("/").append(ws.name);
    routes_.try_emplace(std::move(key), std::move(route));
  }
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
  auto it = routes_.find(key);
  return it == routes_.end() ? nullptr : &it->second;
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
