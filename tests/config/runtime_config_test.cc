// The `runtime:` section: local by default, every Kubernetes key read into KubernetesOptions,
// every mistake reported with its path and what to set, secrets read from files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/config.h"
#include "config_test_support.h"
#include "config/parse_runtime.h"

namespace k4ds {
namespace {

using namespace config_test;  // Problem, AtPath, all_problems

using ::testing::Contains;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;
namespace fs = std::filesystem;
using kubernetes::NamespaceMode;
using kubernetes::UpstreamMode;



class RuntimeConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "k4ds-runtime-config-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string file(const std::string& name, const std::string& content) {
    std::ofstream(dir_ / name) << content;
    return (dir_ / name).string();
  }
  fs::path dir_;
};

TEST_F(RuntimeConfig, LocalByDefault) {
  ParsedConfig parsed = parse_config_text("domain: localhost");
  EXPECT_TRUE(parsed.ok());
  EXPECT_EQ(parsed.config.runtime.kind, RuntimeKind::local);
  EXPECT_TRUE(parse_config_text("runtime: {kind: local}").ok());
}

TEST_F(RuntimeConfig, ReadsEveryKubernetesKey) {
  std::string kubeconfig = file("kubeconfig", "apiVersion: v1\n");
  std::string password = file("password", "s3cret-pass\n");
  std::string key = file("key.json", R"({"type":"service_account","private_key":"-----BEGIN..."})");
  ParsedConfig parsed = parse_config_text(R"(
sizes:
  - {name: small, cpu: 1, memory: 2Gi}
  - {name: gpu, cpu: 4, memory: 16Gi, gpus: 1}
runtime:
  kind: kubernetes
  kubeconfig: )" + kubeconfig + R"(
  context: prod
  namespace_mode: shared
  namespace: data-science
  storage_class: fast-ssd
  volume_size: 20Gi
  nfs: {server: nfs.example.org, export: /exports/k4ds}
  registries:
    - {server: registry.example.org, username: robot, password_file: )" + password + R"(}
    - {server: europe-docker.pkg.dev, json_key_file: )" + key + R"(}
  node_pools:
    gpu:
      node_selector: {pool: gpu}
      tolerations:
        - {key: dedicated, operator: Equal, value: gpu, effect: NoSchedule}
        - {key: spot}
  gateway_pod_labels: {app.kubernetes.io/name: k4ds-gateway}
  gateway_namespace: platform
  default_uid: 2000
  default_gid: 200
  upstream: pod_ip
  qps: 7.5
  burst: 15
)");
  ASSERT_TRUE(parsed.ok()) << all_problems(parsed);
  const auto& r = parsed.config.runtime;
  EXPECT_EQ(r.kind, RuntimeKind::kubernetes);
  EXPECT_EQ(r.kubeconfig, kubeconfig);
  EXPECT_EQ(r.context, "prod");
  EXPECT_FALSE(r.in_cluster);
  const auto& k = r.kubernetes;
  EXPECT_EQ(k.namespace_mode, NamespaceMode::shared);
  EXPECT_EQ(k.shared_namespace, "data-science");
  EXPECT_EQ(k.storage_class, "fast-ssd");
  EXPECT_EQ(k.volume_size_bytes, int64_t{20} << 30);
  EXPECT_EQ(k.nfs_server, "nfs.example.org");
  EXPECT_EQ(k.nfs_export, "/exports/k4ds");
  ASSERT_EQ(k.registries.size(), 2u);
  EXPECT_EQ(k.registries[0].username, "robot");
  EXPECT_EQ(k.registries[0].password, "s3cret-pass") << "read from the file, without the newline";
  EXPECT_EQ(k.registries[1].server, "europe-docker.pkg.dev");
  EXPECT_THAT(k.registries[1].json_key, HasSubstr("service_account"));
  ASSERT_TRUE(k.node_pools.contains("gpu"));
  EXPECT_EQ(k.node_pools.at("gpu").node_selector.at("pool"), "gpu");
  ASSERT_EQ(k.node_pools.at("gpu").tolerations.size(), 2u);
  EXPECT_EQ(k.node_pools.at("gpu").tolerations[0].op, "Equal");
  EXPECT_EQ(k.node_pools.at("gpu").tolerations[0].effect, "NoSchedule");
  EXPECT_EQ(k.node_pools.at("gpu").tolerations[1].op, "Exists");
  EXPECT_EQ(k.gateway_pod_labels, (std::map<std::string, std::string>{{"app.kubernetes.io/name", "k4ds-gateway"}}));
  EXPECT_EQ(k.gateway_namespace, "platform");
  EXPECT_EQ(k.default_uid, 2000);
  EXPECT_EQ(k.default_gid, 200);
  EXPECT_EQ(k.upstream, UpstreamMode::pod_ip);
  EXPECT_EQ(k.api_qps, 7.5);
  EXPECT_EQ(k.api_burst, 15);
}

TEST_F(RuntimeConfig, DefaultsMatchTheRenderer) {
  ParsedConfig parsed = parse_config_text("runtime: {kind: kubernetes, in_cluster: true}");
  ASSERT_TRUE(parsed.ok()) << all_problems(parsed);
  const auto& k = parsed.config.runtime.kubernetes;
  EXPECT_TRUE(parsed.config.runtime.in_cluster);
  EXPECT_EQ(k.namespace_mode, NamespaceMode::per_user);
  EXPECT_EQ(k.namespace_prefix, "k4ds-");
  EXPECT_EQ(k.volume_size_bytes, int64_t{10} << 30);
  EXPECT_EQ(k.upstream, UpstreamMode::service);
  EXPECT_EQ(k.api_qps, 20) << "client-go's default";
  EXPECT_EQ(k.api_burst, 40);
}

TEST_F(RuntimeConfig, EveryProblemHasItsPathAndWhatToDo) {
  std::string empty = file("empty-password", "\n");
  std::string not_a_key = file("not-a-key.json", "{\"type\": \"user\"}");
  ParsedConfig parsed = parse_config_text(R"(
runtime:
  kind: kubernetes
  kubeconfig: /nonexistent/kubeconfig
  in_cluster: true
  namespace: Data_Science
  namespace_prefix: Bad
  volume_size: 10GB
  nfs: {server: nfs.example.org, export: relative/path}
  registries:
    - {server: r.example.org, password_file: )" + empty + R"(}
    - {server: gcr.io, json_key_file: )" + not_a_key + R"(}
    - {server: both.example.org, username: u, password_file: /nonexistent/p, json_key_file: /nonexistent/k}
    - {username: u}
  node_pools:
    huge: {node_selector: {pool: huge}}
    small: {tolerations: [{key: a, operator: Sometimes}, {operator: Equal}]}
  gateway_pod_labels: {"bad key!": x}
  default_uid: 0
  upstream: dns
  qps: fast
  burst: 0
  colour: blue
)");
  EXPECT_FALSE(parsed.ok());
  const auto& p = parsed.problems;
  EXPECT_THAT(p, Contains(Problem("runtime.kubeconfig", "\"/nonexistent/kubeconfig\" is not a readable file")));
  EXPECT_THAT(p, Contains(Problem("runtime.in_cluster", "remove kubeconfig and context")));
  EXPECT_THAT(p, Contains(Problem("runtime.namespace", "is not a Kubernetes name")));
  EXPECT_THAT(p, Contains(Problem("runtime.namespace", "applies only to namespace_mode: shared")));
  EXPECT_THAT(p, Contains(Problem("runtime.namespace_prefix", "cannot start a namespace name")));
  EXPECT_THAT(p, Contains(Problem("runtime.volume_size", "10GB")));
  EXPECT_THAT(p, Contains(Problem("runtime.nfs.export", "must be an absolute path")));
  EXPECT_THAT(p, Contains(Problem("runtime.registries[0].password_file", "is empty")));
  EXPECT_THAT(p, Contains(Problem("runtime.registries[0].username", "password_file needs the user name")));
  EXPECT_THAT(p, Contains(Problem("runtime.registries[1].json_key_file", "is not a Google Cloud service-account key")));
  EXPECT_THAT(p, Contains(Problem("runtime.registries[2]", "needs either username and password_file, or json_key_file")));
  EXPECT_THAT(p, Contains(Problem("runtime.registries[3].server", "is missing")));
  EXPECT_THAT(p, Contains(Problem("runtime.node_pools.huge", "size \"huge\" is not defined")));
  EXPECT_THAT(p, Contains(Problem("runtime.node_pools.small.tolerations[0].operator", "use Exists or Equal")));
  EXPECT_THAT(p, Contains(Problem("runtime.node_pools.small.tolerations[1]", "operator Equal needs a key and a value")));
  EXPECT_THAT(p, Contains(Problem("runtime.gateway_pod_labels.bad key!", "is not a Kubernetes label")));
  EXPECT_THAT(p, Contains(Problem("runtime.default_uid", "never run as root")));
  EXPECT_THAT(p, Contains(Problem("runtime.upstream", "use service")));
  EXPECT_THAT(p, Contains(Problem("runtime.qps", "such as 20; not \"fast\"")));
  EXPECT_THAT(p, Contains(Problem("runtime.burst", "between 1 and 100000")));
  EXPECT_THAT(p, Contains(Field(&ConfigProblem::path, "runtime.colour")));
}

TEST_F(RuntimeConfig, SecretsNeverAppearInProblems) {
  std::string password = file("password", "hunter2-very-secret");
  std::string key = file("key.json", "hunter2-very-secret-key");  // not JSON
  ParsedConfig parsed = parse_config_text(R"(
runtime:
  kind: kubernetes
  in_cluster: true
  registries:
    - {server: gcr.io, json_key_file: )" + key + R"(}
    - {server: r.example.org, password_file: )" + password + R"(}
)");
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(all_problems(parsed), Not(HasSubstr("hunter2")));
}

TEST_F(RuntimeConfig, KubernetesKeysNeedKindKubernetes) {
  ParsedConfig parsed = parse_config_text("runtime: {kind: local, namespace_mode: shared}");
  EXPECT_THAT(parsed.problems, UnorderedElementsAre(Problem("runtime.namespace_mode", "applies only to kind: kubernetes")));
  parsed = parse_config_text("runtime: {kind: local, qps: 5}");
  EXPECT_THAT(parsed.problems, UnorderedElementsAre(Problem("runtime.qps", "applies only to kind: kubernetes")));
  parsed = parse_config_text("runtime: {upstream: pod_ip}");
  EXPECT_THAT(parsed.problems, Contains(Problem("runtime.kind", "is missing; use kind: local")));
  parsed = parse_config_text("runtime: {kind: docker}");
  EXPECT_THAT(parsed.problems, Contains(Problem("runtime.kind", "\"docker\" is not a runtime; use local or kubernetes")));
}

TEST_F(RuntimeConfig, CatalogCheckNamesEnvironmentsAClusterCannotRun) {
  ParsedConfig parsed = parse_config_text(R"(
environments:
  - {name: web, image: nginx:1.25, port: 8080}
  - {name: local-only, command: [/usr/bin/true], port: 0}
runtime: {kind: kubernetes, in_cluster: true}
)");
  ASSERT_TRUE(parsed.ok()) << all_problems(parsed);
  EXPECT_THAT(config::check_catalog_for_runtime(parsed.config),
              UnorderedElementsAre(Problem("environments[1].image", "environment \"local-only\" has no image"),
                                   Problem("environments[1].port", "set port to the TCP port its image listens on")));
  parsed.config.runtime.kind = RuntimeKind::local;
  EXPECT_THAT(config::check_catalog_for_runtime(parsed.config), IsEmpty());
}

// What config check says about the Ingress (the built-in environments have other problems).
std::vector<ConfigProblem> ingress_problems(const Config& config) {
  std::vector<ConfigProblem> out;
  for (auto& p : config::check_catalog_for_runtime(config)) {
    if (p.path.starts_with("runtime.ingress")) out.push_back(p);
  }
  return out;
}

TEST_F(RuntimeConfig, IngressIsOffUnlessConfigured) {
  ParsedConfig parsed = parse_config_text("runtime: {kind: kubernetes, in_cluster: true}");
  ASSERT_TRUE(parsed.ok()) << all_problems(parsed);
  EXPECT_FALSE(parsed.config.runtime.kubernetes.ingress.enabled);

  parsed = parse_config_text(R"(
domain: example.org
portal_host: k4ds.example.org
runtime:
  kind: kubernetes
  in_cluster: true
  ingress:
    domain: example.org
    class: nginx
    tls_secret: wildcard-tls
    auth_url: http://k4ds.platform.svc:8080/_k4ds/auth/nginx
    signin_url: https://k4ds.example.org/login
    gateway_service: k4ds-gw
    gateway_port: 8081
    cluster_domain: corp.local
    controller_namespace: ingress
    controller_pod_labels: {app.kubernetes.io/name: ingress-nginx, app.kubernetes.io/component: controller}
)");
  ASSERT_TRUE(parsed.ok()) << all_problems(parsed);
  const auto& in = parsed.config.runtime.kubernetes.ingress;
  EXPECT_TRUE(in.enabled);
  EXPECT_EQ(in.domain, "example.org");
  EXPECT_EQ(in.class_name, "nginx");
  EXPECT_EQ(in.tls_secret, "wildcard-tls");
  EXPECT_EQ(in.auth_url, "http://k4ds.platform.svc:8080/_k4ds/auth/nginx");
  EXPECT_EQ(in.signin_url, "https://k4ds.example.org/login");
  EXPECT_EQ(in.gateway_service, "k4ds-gw");
  EXPECT_EQ(in.gateway_port, 8081);
  EXPECT_EQ(in.cluster_domain, "corp.local");
  EXPECT_EQ(in.controller_namespace, "ingress");
  EXPECT_EQ(in.controller_pod_labels.size(), 2u);
  EXPECT_THAT(ingress_problems(parsed.config), IsEmpty());

  parsed = parse_config_text("runtime: {kind: kubernetes, in_cluster: true, ingress: {domain: example.org}}");
  ASSERT_TRUE(parsed.ok()) << all_problems(parsed);
  const auto& defaults = parsed.config.runtime.kubernetes.ingress;
  EXPECT_EQ(defaults.class_name, "nginx");
  EXPECT_EQ(defaults.auth_url, "") << "derived from k4ds's Service when rendered";
  EXPECT_EQ(defaults.controller_namespace, "ingress-nginx");
}

TEST_F(RuntimeConfig, IngressProblemsNameThePathAndWhatIsAllowed) {
  ParsedConfig parsed = parse_config_text(R"(
runtime:
  kind: kubernetes
  in_cluster: true
  ingress:
    class: Nginx_Public
    tls_secret: "wildcard tls"
    auth_url: k4ds:8080/_k4ds/auth/nginx
    signin_url: https://k4ds.example.org/login?rd=x
    gateway_service: K4DS
    gateway_port: 70000
    controller_namespace: Ingress_Nginx
    controller_pod_labels: {}
    annotations: {a: b}
)");
  EXPECT_FALSE(parsed.ok());
  const auto& p = parsed.problems;
  EXPECT_THAT(p, Contains(Problem("runtime.ingress.class", "\"Nginx_Public\" is not a Kubernetes name")));
  EXPECT_THAT(p, Contains(Problem("runtime.ingress.tls_secret", "such as wildcard-tls")));
  EXPECT_THAT(p, Contains(Problem("runtime.ingress.auth_url", "is not an http:// or https:// URL")));
  EXPECT_THAT(p, Contains(Problem("runtime.ingress.signin_url", "k4ds adds rd=")));
  EXPECT_THAT(p, Contains(Problem("runtime.ingress.gateway_service", "is not a Kubernetes name")));
  EXPECT_THAT(p, Contains(Problem("runtime.ingress.gateway_port", "between 1 and 65535")));
  EXPECT_THAT(p, Contains(Problem("runtime.ingress.controller_namespace", "is not a Kubernetes name")));
  EXPECT_THAT(p, Contains(Problem("runtime.ingress.controller_pod_labels", "is empty")));
  EXPECT_THAT(p, Contains(Field(&ConfigProblem::path, "runtime.ingress.annotations")));

  parsed = parse_config_text("runtime: {kind: local, ingress: {domain: example.org}}");
  EXPECT_THAT(parsed.problems, UnorderedElementsAre(Problem("runtime.ingress", "applies only to kind: kubernetes")));
  parsed = parse_config_text("runtime: {kind: kubernetes, in_cluster: true, ingress: on}");
  EXPECT_THAT(parsed.problems, Contains(Field(&ConfigProblem::path, "runtime.ingress")));
}

// Left out, the Ingress's domain and sign-in page are the server's own.
TEST_F(RuntimeConfig, IngressDomainAndSignInDefaultToTheServers) {
  ParsedConfig parsed = parse_config_text(R"(
domain: example.org
portal_host: k4ds.example.org
runtime: {kind: kubernetes, in_cluster: true, ingress: {class: nginx}}
)");
  ASSERT_TRUE(parsed.ok()) << all_problems(parsed);
  const auto& in = parsed.config.runtime.kubernetes.ingress;
  EXPECT_TRUE(in.enabled);
  EXPECT_EQ(in.domain, "example.org");
  EXPECT_EQ(in.signin_url, "https://k4ds.example.org/login");
  EXPECT_THAT(ingress_problems(parsed.config), IsEmpty());
}

// The Ingress must serve the hosts k4ds answers for and send people to its portal.
TEST_F(RuntimeConfig, IngressMustAgreeWithTheDomainAndPortal) {
  ParsedConfig parsed = parse_config_text(R"(
domain: example.org
portal_host: k4ds.example.org
runtime: {kind: kubernetes, in_cluster: true, ingress: {domain: example.com}}
)");
  ASSERT_TRUE(parsed.ok()) << all_problems(parsed);
  EXPECT_THAT(ingress_problems(parsed.config),
              UnorderedElementsAre(
                  Problem("runtime.ingress.domain", "differs from the domain \"example.org\"; k4ds answers for "
                                                    "workspaces on <user>-<name>.example.org")));
  parsed.config.runtime.kubernetes.ingress.signin_url = "https://example.com/login";
  EXPECT_THAT(ingress_problems(parsed.config),
              Contains(Problem("runtime.ingress.signin_url", "\"https://example.com/login\" is not on the portal "
                                                             "host k4ds.example.org; set runtime.ingress.signin_url: "
                                                             "https://k4ds.example.org/login")));
  parsed.config.runtime.kubernetes.ingress.domain = "example.org";
  parsed.config.runtime.kubernetes.ingress.signin_url = "https://k4ds.example.org:8443/login";
  EXPECT_THAT(ingress_problems(parsed.config), IsEmpty());
}

}  // namespace
}  // namespace k4ds
