// `k4ds launch ENV --dry-run`: the real binary as server and CLI; prints the Kubernetes objects
// (a YAML stream or a JSON List) and launches nothing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <boost/json.hpp>
#include <yaml-cpp/yaml.h>

#include "support/process.h"

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using k4ds::testing::Env;
using k4ds::testing::kAdminPassword;
using k4ds::testing::Outcome;
using k4ds::testing::run_k4ds;
using k4ds::testing::Server;

TEST(CliDryRun, PrintsTheKubernetesObjectsAndLaunchesNothing) {
  char tmpl[] = "/tmp/k4ds_cli_dry_run_XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  fs::path dir = tmpl;
  std::ofstream(dir / "k4ds.yaml") << "environments:\n"
                                      "  - name: lab\n"
                                      "    display_name: Lab\n"
                                      "    command: [/bin/sleep, \"1000\"]\n"
                                      "    image: quay.io/jupyter/scipy-notebook:2024-04-01\n"
                                      "    port: 8888\n"
                                      "    health_path: /api\n";
  auto server = std::make_unique<Server>(dir, "server.log",
                                         std::vector<std::string>{"-c", (dir / "k4ds.yaml").string()});
  ASSERT_FALSE(server->url().empty()) << server->startup_output();
  fs::create_directories(dir / "admin");
  Env admin{{"HOME", (dir / "admin").string()}, {"K4DS_CONFIG", (dir / "admin" / "cli.yaml").string()}};
  Outcome r = run_k4ds({"login", server->url(), "--username", "admin", "--password-stdin"}, admin,
                       std::string(kAdminPassword) + "\n");
  ASSERT_EQ(r.exit_code, 0) << r;

  r = run_k4ds({"launch", "lab", "--name", "preview", "--dry-run", "-o", "yaml"}, admin);
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find("Nothing was created"), std::string::npos) << r;
  std::vector<YAML::Node> docs = YAML::LoadAll(r.out);
  std::vector<std::string> kinds;
  for (const auto& d : docs) kinds.push_back(d["kind"].as<std::string>());
  EXPECT_EQ(kinds, (std::vector<std::string>{"Namespace", "PersistentVolumeClaim", "Pod", "Service",
                                             "NetworkPolicy"}))
      << r.out;
  ASSERT_EQ(docs.size(), 5u);
  EXPECT_EQ(docs[2]["spec"]["containers"][0]["image"].as<std::string>(),
            "quay.io/jupyter/scipy-notebook:2024-04-01");
  EXPECT_EQ(docs[2]["metadata"]["namespace"].as<std::string>(), "k4ds-admin");

  r = run_k4ds({"launch", "lab", "--dry-run", "-o", "json"}, admin);
  ASSERT_EQ(r.exit_code, 0) << r;
  json::value list = json::parse(r.out);
  EXPECT_EQ(list.at("kind"), "List");
  EXPECT_EQ(list.at("items").as_array().size(), 5u);

  r = run_k4ds({"ls", "-o", "json"}, admin);
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_TRUE(json::parse(r.out).at("items").as_array().empty()) << r.out;
  server.reset();  // SIGTERM, waits for it to exit
  fs::remove_all(dir);
}

}  // namespace
