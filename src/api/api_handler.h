// Api: the REST API of docs/api.md as one synchronous function of a request.
//
// Contract: see api.h. Api is thread-safe: handle() may run on many worker threads at once.
// The catalog can be swapped at any time (set_catalog); requests already running keep the
// snapshot they started with. Workspace logs come from a LogSource, which the runtime plugs in;
// without one, the logs route answers 409 failed_precondition. A StreamReply returned by
// handle() refers to the Api: the Api must outlive every stream it handed out.
//
// Usage:
//   Api api(store, Services::system(), catalog,
//           ApiOptions{.domain = "localhost", .public_port = 8080});
//   Reply reply = api.handle(request, RequestContext{.client_address = "127.0.0.1"});
//   api.set_catalog(new_catalog);   // after a configuration reload
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "api/api.h"
#include "auth/authenticator.h"
#include "common/result.h"
#include "common/services.h"
#include "kubernetes/options.h"
#include "model/catalog.h"
#include "model/model.h"
#include "store/store.h"

namespace k4ds {

inline constexpr std::string_view kSessionCookie = "k4ds_session";

// Where a workspace's output comes from (the runtime). Both calls block at most briefly.
class LogSource {
 public:
  virtual ~LogSource() = default;
  // The last `max_bytes` of the workspace's output. Code::failed_precondition when it has
  // never run (say so in words people understand).
  virtual Result<std::string> tail(const Workspace& workspace, std::size_t max_bytes) = 0;
  // Output as it is written, starting with the tail. next(wait) follows StreamReply's
  // contract (nullopt = ended, "" = nothing new); close() releases what the stream holds.
  struct Follow {
    std::function<std::optional<std::string>(std::chrono::milliseconds wait)> next;
    std::function<void()> close;
  };
  virtual Result<Follow> follow(const Workspace& workspace) = 0;
};

struct ApiOptions {
  std::string domain = "localhost";  // workspaces answer on <owner>-<name>.<domain>
  std::string portal_host;           // empty = domain
  int public_port = 8080;            // the port browsers use; left out of URLs when 80 or 443
  std::chrono::seconds session_ttl = std::chrono::hours(12);
  LoginLimits login_limits;
  PasswordCost password_cost = PasswordCost::interactive();
  std::size_t max_body_bytes = 1 << 20;  // JSON request bodies
  std::size_t max_log_bytes = 1 << 20;   // GET .../logs without follow
  std::shared_ptr<LogSource> logs;       // null until a runtime is configured
  // What the runtime cannot enforce ("memory, CPU and process limits are NOT enforced: …"),
  // shown with every workspace so users and `k4ds status` see it, never silently missing.
  std::vector<std::string> runtime_warnings;
  // What the runtime's machines offer (Runtime::capacity); unset or nullopt = unknown, and then
  // launches are not checked against it.
  std::function<std::optional<Capacity>()> capacity;
  // The configured Kubernetes runtime's settings, so a dry run shows exactly what it would
  // create; nullopt (another runtime) = its defaults, and the dry run says so.
  std::optional<kubernetes::KubernetesOptions> kubernetes;
};

class Api {
 public:
  Api(Store& store, Services services, std::shared_ptr<const Catalog> catalog,
      ApiOptions options);
  // Shares an Authenticator (and so its login limits) with the gateway.
  Api(Store& store, Services services, std::shared_ptr<const Catalog> catalog,
      ApiOptions options, std::shared_ptr<Authenticator> authenticator);
  ~Api();
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  Reply handle(const HttpRequest& request, const RequestContext& context);

  void set_catalog(std::shared_ptr<const Catalog> catalog);
  Authenticator& authenticator();

  struct Core;  // shared state of the route handlers (api/routes.h)

 private:
  std::unique_ptr<Core> core_;
};

}  // namespace k4ds
