// `runtime.clusters`: several named clusters at once, each with its kubeconfig / context and
// optional overrides, node pools saying which cluster runs a size; every mistake reported with
// its path. The single-cluster form stays as it was.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/config.h"
#include "config_test_support.h"

namespace k4ds {
namespace {

using namespace config_test;  // Problem, AtPath, all_problems

using ::testing::Contains;
using ::testing::Not;
namespace fs = std::filesystem;
using kubernetes::UpstreamMode;



class ClustersConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "k4ds-clusters-config-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    eks_ = file("eks.yaml", "apiVersion: v1\n");
    gke_ = file("gke.yaml", "apiVersion: v1\n");
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string file(const std::string& name, const std::string& content) {
    std::ofstream(dir_ / name) << content;
    return (dir_ / name).string();
  }
  // A config with sizes small and gpu and this runtime section (indented under `runtime:`).
  ParsedConfig parse(const std::string& runtime) {
    return parse_config_text("sizes:\n  - {name: small, cpu: 1, memory: 2Gi}\n"
                             "  - {name: gpu, cpu: 4, memory: 16Gi, gpus: 1}\n"
                             "runtime:\n  kind: kubernetes\n" + runtime);
  }
  fs::path dir_;
  std::string eks_, gke_;
};

TEST_F(ClustersConfig, ReadsSeveralClusters) {
  ParsedConfig parsed = parse(R"(
  storage_class: gp3
  clusters:
    - name: aws
      kubeconfig: )" + eks_ + R"(
      context: eks-prod
    - name: gcp
      kubeconfig: )" + gke_ + R"(
      context: gke_proj_europe-west4_k4ds
      storage_class: standard-rwo
      upstream: pod_ip
    - name: onprem
      in_cluster: true
      nfs: {server: nfs.example.org, export: /exports/k4ds}
  node_pools:
    gpu: {cluster: gcp, node_selector: {cloud.google.com/gke-accelerator: nvidia-l4}}
    small: {node_selector: {pool: general}}
)");
  ASSERT_TRUE(parsed.ok()) << all_problems(parsed);
  const auto& k = parsed.config.runtime.kubernetes;
  ASSERT_EQ(k.clusters.size(), 3u);
  EXPECT_EQ(k.clusters[0].name, "aws");
  EXPECT_EQ(k.clusters[0].kubeconfig, eks_);
  EXPECT_EQ(k.clusters[0].context, "eks-prod");
  EXPECT_FALSE(k.clusters[0].storage_class) << "inherited";
  EXPECT_FALSE(k.clusters[0].upstream);
  EXPECT_EQ(k.clusters[1].name, "gcp");
  EXPECT_EQ(k.clusters[1].context, "gke_proj_europe-west4_k4ds");
  EXPECT_EQ(k.clusters[1].storage_class, "standard-rwo");
  EXPECT_EQ(k.clusters[1].upstream, UpstreamMode::pod_ip);
  EXPECT_TRUE(k.clusters[2].in_cluster);
  EXPECT_EQ(k.clusters[2].nfs_server, "nfs.example.org");
  EXPECT_EQ(k.clusters[2].nfs_export, "/exports/k4ds");
  EXPECT_EQ(k.storage_class, "gp3") << "the shared options stay as given";
  EXPECT_EQ(k.node_pools.at("gpu").cluster, "gcp");
  EXPECT_EQ(k.node_pools.at("small").cluster, "") << "the default cluster";
  EXPECT_EQ(parsed.config.runtime.kubeconfig, "");
}

TEST_F(ClustersConfig, TheSingleClusterFormIsUnchanged) {
  ParsedConfig parsed = parse("  kubeconfig: " + eks_ + "\n  context: prod\n  node_pools: {gpu: {node_selector: {a: b}}}\n");
  ASSERT_TRUE(parsed.ok()) << all_problems(parsed);
  EXPECT_EQ(parsed.config.runtime.kubeconfig, eks_);
  EXPECT_EQ(parsed.config.runtime.context, "prod");
  EXPECT_TRUE(parsed.config.runtime.kubernetes.clusters.empty());
  EXPECT_EQ(parsed.config.runtime.kubernetes.node_pools.at("gpu").cluster, "");
}

TEST_F(ClustersConfig, EveryProblemHasItsPath) {
  ParsedConfig parsed = parse(R"(
  kubeconfig: )" + eks_ + R"(
  context: prod
  in_cluster: false
  clusters:
    - {name: aws, kubeconfig: )" + eks_ + R"(, context: eks-prod}
    - {name: aws, kubeconfig: )" + gke_ + R"(}
    - {name: GCP_1, kubeconfig: /nonexistent/gke.yaml}
    - {kubeconfig: )" + gke_ + R"(, context: other}
    - {name: same, kubeconfig: )" + eks_ + R"(, context: eks-prod}
    - {name: inside, in_cluster: true, context: x}
    - {name: disks, in_cluster: true, storage_class: fast, nfs: {server: n, export: /e}}
    - {name: also-inside, in_cluster: true, upstream: dns, colour: blue}
    - {name: empty, context: "", nfs: {server: n}}
  node_pools:
    gpu: {cluster: gpc}
    small: {cluster: ""}
)");
  EXPECT_FALSE(parsed.ok());
  const auto& p = parsed.problems;
  for (const char* key : {"kubeconfig", "context", "in_cluster"}) {
    EXPECT_THAT(p, Contains(Problem(std::string("runtime.") + key,
                                    std::string("is set for each cluster when runtime.clusters is given; move it into "
                                                "the cluster it belongs to (such as runtime.clusters[0].") + key)))
        << all_problems(parsed);
  }
  EXPECT_THAT(p, Contains(Problem("runtime.clusters[1].name", "cluster \"aws\" is already defined at runtime.clusters[0]")));
  EXPECT_THAT(p, Contains(Problem("runtime.clusters[2].name", "\"GCP_1\" is not a cluster name; use at most 63 characters")));
  EXPECT_THAT(p, Contains(Problem("runtime.clusters[2].kubeconfig", "\"/nonexistent/gke.yaml\" is not a readable file")));
  EXPECT_THAT(p, Contains(Problem("runtime.clusters[3].name", "is missing; give the cluster a short name")));
  EXPECT_THAT(p, Contains(Problem("runtime.clusters[4]", "reaches the same cluster as runtime.clusters[0]")));
  EXPECT_THAT(p, Contains(Problem("runtime.clusters[5].in_cluster", "remove kubeconfig and context from this cluster")));
  EXPECT_THAT(p, Contains(Problem("runtime.clusters[6].storage_class", "and nfs both say where this cluster's volumes")));
  EXPECT_THAT(p, Contains(Problem("runtime.clusters[7].in_cluster", "runtime.clusters[6] already does")));
  EXPECT_THAT(p, Contains(Problem("runtime.clusters[7].upstream", "\"dns\" is not an upstream")));
  EXPECT_THAT(p, Contains(AtPath("runtime.clusters[7].colour")));
  EXPECT_THAT(p, Contains(Problem("runtime.clusters[8].context", "is empty")));
  EXPECT_THAT(p, Contains(Problem("runtime.clusters[8].nfs", "needs both server and export")));
  EXPECT_THAT(p, Contains(Problem("runtime.node_pools.gpu.cluster",
                                  "cluster \"gpc\" is not defined; defined clusters: aws, same, inside, disks, "
                                  "also-inside, empty")));
  EXPECT_THAT(p, Contains(Problem("runtime.node_pools.small.cluster", "is empty; name one of the clusters")));
}

TEST_F(ClustersConfig, ClusterNeedsTheClustersForm) {
  ParsedConfig parsed = parse("  kubeconfig: " + eks_ + "\n  node_pools: {gpu: {cluster: gcp}}\n");
  EXPECT_THAT(parsed.problems,
              Contains(Problem("runtime.node_pools.gpu.cluster",
                               "names cluster \"gcp\", but runtime.clusters is not set; list the clusters under "
                               "runtime.clusters, or remove cluster")))
      << all_problems(parsed);
  parsed = parse("  clusters: []\n");
  EXPECT_THAT(parsed.problems, Contains(Problem("runtime.clusters", "is empty; list each cluster")));
  parsed = parse("  clusters: {name: aws}\n");
  EXPECT_THAT(parsed.problems, Contains(AtPath("runtime.clusters")));
  parsed = parse_config_text("runtime:\n  kind: local\n  clusters: [{name: aws}]\n");
  EXPECT_THAT(parsed.problems, Contains(Problem("runtime.clusters", "applies only to kind: kubernetes")));
  // One cluster in the list form is fine, and needs no node pool.
  parsed = parse("  clusters: [{name: only, kubeconfig: " + eks_ + "}]\n");
  EXPECT_TRUE(parsed.ok()) << all_problems(parsed);
  EXPECT_THAT(parsed.problems, Not(Contains(AtPath("runtime.clusters"))));
}

}  // namespace
}  // namespace k4ds
