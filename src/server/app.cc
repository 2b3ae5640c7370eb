#include "server/app.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "api/api_handler.h"
#include "auth/authenticator.h"
#include "controller/controller.h"
#include "directory/ldap_directory.h"
#include "directory/recheck.h"
#include "gateway/forward_auth.h"
#include "gateway/gateway.h"
#include "gateway/listener.h"
#include "gateway/login_flow.h"
#include "kubernetes/clusters.h"
#include "kubernetes/kubernetes_runtime.h"
#include "kubernetes/multi_cluster_runtime.h"
#include "kubernetes/setup.h"
#include "portal/asset_server.h"
#include "runtime/local/host.h"
#include "runtime/local/local_runtime.h"
#include "common/logging.h"
#include "config/parse_quotas.h"
#include "store/store.h"

namespace k4ds::server {
namespace {

constexpr const char* kAdminName = "admin";

// Makes the data dir (0700 when new: it holds the database and every user's files). An existing
// one keeps its mode: the local runtime adds o+x so per-user accounts can reach their volumes.
Status prepare_data_dir(const std::string& dir) {
  std::error_code ec;
  bool created = std::filesystem::create_directories(dir, ec);
  if (ec) {
    return unavailable("cannot create the data directory " + dir + ": " + ec.message() +
                       "; choose another with --data-dir or K4DS_DATA_DIR");
  }
  if (created) ::chmod(dir.c_str(), 0700);
  if (::access(dir.c_str(), W_OK) != 0) {
    return unavailable("the data directory " + dir + " is not writable; choose another with --data-dir");
  }
  return ok_status();
}

// The first start creates `admin`; the password comes from K4DS_ADMIN_PASSWORD or is generated
// and printed once (it is stored only as an argon2id hash).
Status bootstrap_admin(Authenticator& auth, Services& services) {
  const char* from_env = std::getenv("K4DS_ADMIN_PASSWORD");
  std::string password = from_env && *from_env ? from_env : generate_password(*services.random);
  auto created = auth.bootstrap_admin(kAdminName, password);
  if (!created) return created.status();
  if (*created && !(from_env && *from_env)) {
    std::cout << "k4ds: created the user 'admin' with password: " << password << "\n"
              << "k4ds: it is shown only this once; change it with: k4ds admin user passwd admin\n";
  } else if (*created) {
    std::cout << "k4ds: created the user 'admin' with the password from K4DS_ADMIN_PASSWORD\n";
  }
  return ok_status();
}

Status seed_users(Authenticator& auth, Store& store, const std::vector<SeedUser>& users) {
  for (const SeedUser& seed : users) {
    bool exists = false;
    K4DS_RETURN_IF_ERROR(store.read([&](Tx& tx) -> Status {
      exists = tx.get_user(seed.name).ok();
      return ok_status();
    }));
    if (exists) continue;  // the store is the source of truth once a user exists
    User user{.name = seed.name, .display_name = seed.display_name, .email = seed.email, .admin = seed.admin};
    auto created = auth.create_user(user, seed.password);
    if (!created) return created.status();
    component_logger("server")->info("created user {} from the config file", seed.name);
  }
  return ok_status();
}

// Quotas from the config file: written when the store has none for the subject, or the one it
// has came from the config too; a quota an admin changed through the API wins (and is logged).
Status seed_quotas(Store& store, const std::vector<Quota>& quotas, int64_t now_ms) {
  auto log = component_logger("server");
  for (const Quota& wanted : quotas) {
    K4DS_RETURN_IF_ERROR(store.write([&](Tx& tx) -> Status {
      Quota next = wanted;
      next.updated_at = now_ms;
      Result<Quota> stored = tx.get_quota(wanted.subject);
      if (stored) {
        if (stored->updated_by != config::kConfigQuotaAuthor) {
          log->info("quota for {}: keeping the one {} set through the API over the config file's",
                    wanted.subject, stored->updated_by);
          return ok_status();
        }
        if (stored->workspaces == wanted.workspaces && stored->cpu_millis == wanted.cpu_millis &&
            stored->memory_bytes == wanted.memory_bytes && stored->gpus == wanted.gpus) {
          return ok_status();
        }
        next.version = stored->version;
      } else if (stored.status().code() != Code::not_found) {
        return stored.status();
      }
      return tx.put_quota(next).status();
    }));
  }
  return ok_status();
}

// Activity reaches the store every 30 s, or ten times per idle limit when that is shorter, so
// the activity the controller sees lags the real one by at most a tenth of the limit.
std::chrono::milliseconds activity_flush_interval(std::chrono::seconds idle_stop_after) {
  std::chrono::milliseconds flush = std::chrono::seconds(30);
  if (idle_stop_after.count() > 0) flush = std::min<std::chrono::milliseconds>(flush, idle_stop_after / 10);
  return std::max<std::chrono::milliseconds>(flush, std::chrono::milliseconds(100));
}

std::string portal_url(const Config& config, uint16_t port, bool tls) {
  std::string host = config.portal_host.empty() ? config.domain : config.portal_host;
  const uint16_t default_port = tls ? 443 : 80;
  return (tls ? "https://" : "http://") + host + (port == default_port ? "" : ":" + std::to_string(port));
}

// How long start-up waits for a first answer from the cluster before going on without it.
constexpr std::chrono::seconds kClusterStartupWait{5};

// The Kubernetes runtime from the config's `runtime:` section, or an error saying what to fix:
// one KubernetesRuntime per cluster (its own client and options), several wrapped in a
// MultiClusterRuntime. An unreachable cluster does not stop k4ds: it warns, keeps retrying in the
// background, and workspaces start once the cluster answers.
Result<std::unique_ptr<Runtime>> make_kubernetes_runtime(const Config& config, Store& store) {
  auto log = component_logger("server");
  const RuntimeConfig& rc = config.runtime;
  // The owner's uid/gid from the directory, so files on shared volumes (NFS) get the right owner.
  auto ids_of = [&store](const std::string& owner) {
    kubernetes::PosixIds ids;
    (void)store.read([&](Tx& tx) -> Status {
      if (auto user = tx.get_user(owner)) ids = {.uid = user->uid_number, .gid = user->gid_number};
      return ok_status();
    });
    return ids;
  };
  // One cluster (the top-level kubeconfig / context / in_cluster, named ""), or runtime.clusters.
  std::vector<kubernetes::ClusterOptions> clusters = rc.kubernetes.clusters;
  if (clusters.empty()) {
    clusters.push_back({.name = "", .kubeconfig = rc.kubeconfig, .context = rc.context, .in_cluster = rc.in_cluster});
  }
  std::vector<kubernetes::MultiClusterRuntime::Cluster> members;
  for (const kubernetes::ClusterOptions& cluster : clusters) {
    auto connection = kubernetes::resolve_connection(cluster.kubeconfig, cluster.context, cluster.in_cluster);
    if (!connection) {
      if (cluster.name.empty()) return connection.status();
      return Status(connection.status().code(), "cluster " + cluster.name + ": " + connection.status().message());
    }
    auto client = std::make_shared<kubernetes::KubeClient>(*connection);
    kubernetes::KubernetesOptions options = kubernetes::options_for_cluster(rc.kubernetes, cluster.name);
    auto runtime = std::make_unique<kubernetes::KubernetesRuntime>(client, options, ids_of);
    log->info("Kubernetes runtime: cluster {}{} (context {}), workspaces reached by {}",
              cluster.name.empty() ? "" : cluster.name + " at ", connection->server, connection->context,
              options.upstream == kubernetes::UpstreamMode::pod_ip ? "Pod address" : "Service name");
    members.push_back({cluster.name, std::move(runtime), std::move(options)});
  }
  // The clusters are read at the same time: start-up waits kClusterStartupWait at most in all.
  const auto deadline = std::chrono::steady_clock::now() + kClusterStartupWait;
  for (std::size_t i = 0; i < members.size(); ++i) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (members[i].runtime->wait_synced(std::max(left, std::chrono::milliseconds(0)))) continue;
    const std::string keys = members[i].name.empty()
                                 ? std::string("runtime.kubeconfig / runtime.context")
                                 : "runtime.clusters[" + std::to_string(i) + "].kubeconfig / .context";
    log->warn("the cluster {}does not answer yet ({}); k4ds keeps trying in the background and starts workspaces "
              "once it answers — check {} and the network",
              members[i].name.empty() ? "" : members[i].name + " ", members[i].runtime->cluster_status().message(), keys);
  }
  if (members.size() == 1) return std::unique_ptr<Runtime>(std::move(members.front().runtime));
  return std::unique_ptr<Runtime>(
      std::make_unique<kubernetes::MultiClusterRuntime>(std::move(members), rc.kubernetes));
}

}  // namespace

// The runtime's logs, as the API serves them.
class RuntimeLogSource final : public LogSource {
 public:
  explicit RuntimeLogSource(Runtime& runtime) : runtime_(runtime) {}
  Result<std::string> tail(const Workspace& workspace, std::size_t max_bytes) override {
    return runtime_.tail_logs(workspace.id, max_bytes);
  }
  Result<Follow> follow(const Workspace& workspace) override {
    auto follow = runtime_.follow_logs(workspace.id, 64 * 1024);
    if (!follow) return follow.status();
    return Follow{std::move(follow->next), std::move(follow->close)};
  }

 private:
  Runtime& runtime_;
};

int serve(const Config& config, ServeMode mode) {
  ::umask(077);  // everything k4ds creates is private unless it says otherwise (make_dir modes)
  setup_logging();
  auto log = component_logger("server");
  auto fail = [](const Status& s) {
    std::cerr << "k4ds: cannot start: " << s.message() << "\n";
    return 1;
  };
  if (Status s = prepare_data_dir(config.data_dir); !s.ok()) return fail(s);

  auto opened = open_sqlite_store(config.data_dir + "/k4ds.db");
  if (!opened) return fail(opened.status());
  std::unique_ptr<Store> store = std::move(opened.value());
  Services services = Services::system();

  AuthenticatorOptions auth_options{.session_ttl = config.session_ttl};
  auth_options.directories = make_directory_providers(config.identity_providers);
  auto auth = std::make_shared<Authenticator>(*store, services, auth_options);
  for (const auto& directory : auth_options.directories)
    log->info("identity provider {}: {}", directory->name(), directory->describe());
  if (Status s = bootstrap_admin(*auth, services); !s.ok()) return fail(s);
  if (Status s = seed_users(*auth, *store, config.users); !s.ok()) return fail(s);
  if (Status s = seed_quotas(*store, config.quotas, to_unix_ms(services.clock->now())); !s.ok()) {
    return fail(s);
  }

  // Environments the runtime can't run (a command missing on this host; no image or port for a
  // cluster) are shown as unavailable, with the reason.
  Catalog catalog_value = config.catalog;
  std::unique_ptr<Runtime> runtime_owner;
  if (config.runtime.kind == RuntimeKind::kubernetes) {
    kubernetes::mark_unavailable_on_cluster(catalog_value);
    auto made = make_kubernetes_runtime(config, *store);
    if (!made) return fail(made.status());
    runtime_owner = std::move(made).value();
  } else {
    local::mark_unavailable_environments(catalog_value);
    runtime_owner = std::make_unique<LocalRuntime>(LocalRuntimeOptions{.data_dir = config.data_dir});
  }
  Runtime& runtime = *runtime_owner;
  for (const auto& env : catalog_value.environments) {
    if (!env.available) log->warn("environment {} is unavailable: {}", env.name, env.unavailable_reason);
  }
  auto catalog = std::make_shared<const Catalog>(std::move(catalog_value));
  log->info("{}", runtime.capabilities());

  Gateway gateway(*store, *auth, services,
                  GatewayOptions{.domain = config.domain,
                                 .portal_host = config.portal_host,
                                 .trusted_proxies = config.trusted_proxies,
                                 .activity_flush = activity_flush_interval(config.idle_stop_after)});
  ListenerOptions listener_options{.listen = config.listen,
                                   .domain = config.domain,
                                   .portal_host = config.portal_host,
                                   .trusted_proxies = config.trusted_proxies,
                                   .tls_listen = config.tls_listen,
                                   .tls_cert = config.tls_cert,
                                   .tls_key = config.tls_key};
  // The public port is known only after bind(); the API and login flow build URLs with it.
  std::unique_ptr<Api> api;
  std::unique_ptr<LoginFlow> login_flow;
  std::unique_ptr<ForwardAuth> forward_auth;
  const PortalAssets portal;  // the web app, compiled in
  Listener listener(
      listener_options,
      [&](const HttpRequest& request, const RequestContext& context) -> Reply {
        if (login_flow->owns(request.target())) return login_flow->handle(request, context);
        if (forward_auth->owns(request.target())) return forward_auth->handle(request, context);
        if (portal.owns(request)) return portal.handle(request);
        return api->handle(request, context);
      },
      *store, &gateway);
  if (Status s = listener.bind(); !s.ok()) return fail(s);
  // With TLS the public port is the HTTPS one; the plain port only redirects to it.
  const bool tls = listener.tls_port() != 0;
  const uint16_t port = tls ? listener.tls_port() : listener.port();
  api = std::make_unique<Api>(*store, services, catalog,
                              ApiOptions{.domain = config.domain,
                                         .portal_host = config.portal_host,
                                         .public_port = port,
                                         .session_ttl = config.session_ttl,
                                         .logs = std::make_shared<RuntimeLogSource>(runtime),
                                         .runtime_warnings = runtime.warnings(),
                                         .capacity = [&runtime] { return runtime.capacity(); },
                                         .kubernetes = config.runtime.kind == RuntimeKind::kubernetes
                                                           ? std::optional(config.runtime.kubernetes)
                                                           : std::nullopt},
                              auth);
  login_flow = std::make_unique<LoginFlow>(
      *auth, gateway.gate(),
      LoginFlowOptions{.domain = config.domain, .portal_host = config.portal_host,
                       .ports = {port}, .session_ttl = config.session_ttl});

  forward_auth = std::make_unique<ForwardAuth>(
      gateway, ForwardAuthOptions{.domain = config.domain,
                                  .portal_host = config.portal_host,
                                  .portal_origin = portal_url(config, port, tls)});

  Controller controller(*store, services, runtime, [catalog] { return catalog; },
                        ControllerOptions{.idle_stop_after = config.idle_stop_after});
  controller.start();
  DirectoryRecheck recheck(*store, *auth, services, auth_options.directories);
  recheck.start();

  std::cout << "k4ds: serving on " << portal_url(config, port, tls) << std::endl;
  if (tls) {
    log->info("TLS on port {} with {}; plain HTTP on port {} redirects to it", port, config.tls_cert,
              listener.port());
  }
  log->info("data in {}; {} mode", config.data_dir, mode.embedded ? "embedded" : "server");
  listener.run_until_signal();
  recheck.stop();
  controller.stop();  // before the runtime goes; workspaces keep running and are re-adopted
  log->info("stopped");
  return 0;
}

}  // namespace k4ds::server
