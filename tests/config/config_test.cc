// The configuration loader: defaults, every key of the file, every problem reported with its path.
#include "config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <ostream>
#include <string>

#include "config_test_support.h"
#include "model/validation.h"

namespace k4ds {

// Readable failure output for problem lists.
void PrintTo(const ConfigProblem& p, std::ostream* os) { *os << p.path << ": " << p.message; }

namespace {

using namespace config_test;  // Problem, AtPath, all_problems

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr int64_t kGi = int64_t{1} << 30;
constexpr int64_t kMi = int64_t{1} << 20;

TEST(DefaultConfig, RunsOnOneMachineWithoutAFile) {
  Config c = default_config();
  EXPECT_EQ(c.domain, "localhost");
  EXPECT_EQ(c.listen, "127.0.0.1:8080");
  EXPECT_EQ(c.session_ttl, std::chrono::hours(12));
  EXPECT_EQ(c.idle_stop_after, std::chrono::seconds(0)) << "never, unless configured";
  EXPECT_EQ(c.data_dir, default_data_dir());
  EXPECT_EQ(c.portal_host, "");
  EXPECT_THAT(c.trusted_proxies, IsEmpty());
  EXPECT_EQ(c.catalog.default_size, "small");
}

TEST(DefaultConfig, CatalogOffersJupyterPythonAndR) {
  Catalog catalog = default_config().catalog;
  ASSERT_EQ(catalog.environments.size(), 2u);
  const Environment* py = catalog.find_environment("jupyter-python");
  const Environment* r = catalog.find_environment("jupyter-r");
  ASSERT_NE(py, nullptr);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(py->display_name, "Jupyter · Python 3");
  EXPECT_EQ(r->display_name, "Jupyter · R");
  for (const Environment* e : {py, r}) {
    EXPECT_TRUE(validate_catalog_name("environment", e->name).ok());
    EXPECT_EQ(e->health_path, "/api");
    EXPECT_EQ(e->port, 0) << "listens on a Unix socket only the gateway can reach";
    EXPECT_TRUE(e->available);
    ASSERT_FALSE(e->command.empty());
    EXPECT_EQ(e->command[0], "/usr/bin/python3");
    EXPECT_THAT(e->command, Contains("notebook"));
    EXPECT_THAT(e->command, Contains("--sock={socket}"));
    EXPECT_THAT(e->command, Contains("--NotebookApp.token="));
    EXPECT_NE(catalog.find_size(e->default_size), nullptr) << e->name;
  }
  EXPECT_THAT(r->command, Contains("--MultiKernelManager.default_kernel_name=ir"));
}

TEST(DefaultConfig, SizesAreExactAndDescribed) {
  struct Want {
    const char* name;
    int64_t cpu_millis;
    int64_t memory_bytes;
    const char* description;
  };
  const Want wants[] = {{"small", 1000, 2 * kGi, "1 CPU, 2 GiB"},
                        {"medium", 2000, 8 * kGi, "2 CPUs, 8 GiB"},
                        {"large", 4000, 16 * kGi, "4 CPUs, 16 GiB"}};
  Catalog catalog = default_config().catalog;
  ASSERT_EQ(catalog.sizes.size(), 3u);
  for (const Want& w : wants) {
    const Size* s = catalog.find_size(w.name);
    ASSERT_NE(s, nullptr) << w.name;
    EXPECT_EQ(s->cpu_millis, w.cpu_millis) << w.name;
    EXPECT_EQ(s->memory_bytes, w.memory_bytes) << w.name;
    EXPECT_EQ(s->gpus, 0) << w.name;
    EXPECT_EQ(s->description, w.description) << w.name;
  }
}

// Restores an environment variable when the test ends.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value != nullptr) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(DefaultDataDir, FollowsRootThenXdgThenHome) {
  if (geteuid() == 0) {
    ScopedEnv xdg("XDG_DATA_HOME", "/xdg");
    EXPECT_EQ(default_data_dir(), "/var/lib/k4ds");
    return;
  }
  {
    ScopedEnv xdg("XDG_DATA_HOME", "/xdg");
    EXPECT_EQ(default_data_dir(), "/xdg/k4ds");
  }
  ScopedEnv home("HOME", "/home/alice");
  {
    ScopedEnv xdg("XDG_DATA_HOME", nullptr);
    EXPECT_EQ(default_data_dir(), "/home/alice/.local/share/k4ds");
  }
  ScopedEnv relative("XDG_DATA_HOME", "relative/dir");  // invalid per XDG: ignored
  EXPECT_EQ(default_data_dir(), "/home/alice/.local/share/k4ds");
}

TEST(ParseConfig, EmptyDocumentGivesDefaults) {
  for (const char* text : {"", "# only a comment\n", "---\n"}) {
    ParsedConfig parsed = parse_config_text(text);
    EXPECT_THAT(parsed.problems, IsEmpty()) << text;
    EXPECT_EQ(parsed.config.domain, "localhost");
    EXPECT_EQ(parsed.config.catalog.sizes.size(), 3u);
  }
}

TEST(ParseConfig, ReadsEveryTopLevelKey) {
  ParsedConfig parsed = parse_config_text(R"(
domain: ds.example.org
listen: "[::]:443"
data_dir: /srv/k4ds
portal_host: portal.ds.example.org
session_ttl: 7d
idle_stop_after: 8h
trusted_proxies: [10.0.0.0/8, 192.168.1.1, "fd00::/8"]
default_size: medium
)");
  ASSERT_THAT(parsed.problems, IsEmpty());
  const Config& c = parsed.config;
  EXPECT_EQ(c.domain, "ds.example.org");
  EXPECT_EQ(c.listen, "[::]:443");
  EXPECT_EQ(c.data_dir, "/srv/k4ds");
  EXPECT_EQ(c.portal_host, "portal.ds.example.org");
  EXPECT_EQ(c.session_ttl, std::chrono::hours(24 * 7));
  EXPECT_EQ(c.idle_stop_after, std::chrono::hours(8));
  EXPECT_THAT(c.trusted_proxies, ElementsAre("10.0.0.0/8", "192.168.1.1", "fd00::/8"));
  EXPECT_EQ(c.catalog.default_size, "medium");
  EXPECT_EQ(c.catalog.environments.size(), 2u) << "built-in environments are kept";
}

TEST(ParseConfig, DurationsTakeAUnit) {
  const std::map<std::string, std::chrono::seconds> cases = {
      {"3600s", std::chrono::seconds(3600)},
      {"30m", std::chrono::minutes(30)},
      {"12h", std::chrono::hours(12)},
      {"7d", std::chrono::hours(168)}};
  for (const auto& [text, want] : cases) {
    ParsedConfig parsed = parse_config_text("session_ttl: " + text);
    ASSERT_THAT(parsed.problems, IsEmpty()) << text;
    EXPECT_EQ(parsed.config.session_ttl, want) << text;
  }
}

TEST(ParseConfig, EnvironmentsAndSizesReplaceTheBuiltIns) {
  ParsedConfig parsed = parse_config_text(R"(
environments:
  - name: rstudio
    command: [/usr/lib/rstudio-server/bin/rserver, "--www-port={port}"]
    image: rocker/rstudio:4.3
    port: 8787
    network: host
    env: {DISABLE_AUTH: "true"}
    default_size: gpu
sizes:
  - {name: tiny, cpu: 500m, memory: 512Mi}
  - {name: gpu, cpu: "3.5", memory: 1.5Gi, gpus: 2, description: "one big GPU box"}
)");
  ASSERT_THAT(parsed.problems, IsEmpty());
  const Catalog& catalog = parsed.config.catalog;
  ASSERT_EQ(catalog.environments.size(), 1u);
  const Environment& e = catalog.environments[0];
  EXPECT_EQ(e.name, "rstudio");
  EXPECT_EQ(e.display_name, "rstudio") << "defaults to the name";
  EXPECT_EQ(e.port, 8787);
  EXPECT_TRUE(e.host_network);
  EXPECT_EQ(e.health_path, "/");
  EXPECT_EQ(e.image, "rocker/rstudio:4.3");
  EXPECT_THAT(e.command, ElementsAre("/usr/lib/rstudio-server/bin/rserver", "--www-port={port}"));
  EXPECT_EQ(e.env.at("DISABLE_AUTH"), "true");
  EXPECT_EQ(e.default_size, "gpu");
  ASSERT_EQ(catalog.sizes.size(), 2u);
  EXPECT_EQ(catalog.sizes[0].cpu_millis, 500);
  EXPECT_EQ(catalog.sizes[0].memory_bytes, 512 * kMi);
  EXPECT_EQ(catalog.sizes[0].description, "0.5 CPU, 512 MiB");
  EXPECT_EQ(catalog.sizes[1].cpu_millis, 3500);
  EXPECT_EQ(catalog.sizes[1].memory_bytes, 3 * kGi / 2);
  EXPECT_EQ(catalog.sizes[1].gpus, 2);
  EXPECT_EQ(catalog.sizes[1].description, "one big GPU box");
  EXPECT_EQ(catalog.default_size, "tiny") << "\"small\" is gone, so the first size";
}

TEST(ParseConfig, BuiltInEnvironmentsFollowReplacedSizes) {
  ParsedConfig parsed = parse_config_text("sizes: [{name: tiny, cpu: 1, memory: 1Gi}]");
  ASSERT_THAT(parsed.problems, IsEmpty());
  ASSERT_EQ(parsed.config.catalog.environments.size(), 2u);
  for (const Environment& e : parsed.config.catalog.environments)
    EXPECT_EQ(e.default_size, "") << e.name << " must not name the removed size \"small\"";
}

TEST(ParseConfig, ReadsUsers) {
  ParsedConfig parsed = parse_config_text(R"(
users:
  - {name: alice, password: "s3cret", display_name: Alice, email: alice@example.org, admin: yes}
  - {name: bob}
)");
  ASSERT_THAT(parsed.problems, IsEmpty());
  ASSERT_EQ(parsed.config.users.size(), 2u);
  const SeedUser& alice = parsed.config.users[0];
  EXPECT_EQ(alice.name, "alice");
  EXPECT_EQ(alice.password, "s3cret");
  EXPECT_EQ(alice.display_name, "Alice");
  EXPECT_EQ(alice.email, "alice@example.org");
  EXPECT_TRUE(alice.admin);
  EXPECT_FALSE(parsed.config.users[1].admin);
}

TEST(ParseConfig, ExampleFileHasNoProblems) {
  ParsedConfig parsed = parse_config_file(K4DS_SOURCE_DIR "/docs/k4ds.example.yaml");
  EXPECT_THAT(parsed.problems, IsEmpty());
  const Config& c = parsed.config;
  EXPECT_EQ(c.domain, "localhost");
  EXPECT_EQ(c.catalog.environments.size(), 2u);
  ASSERT_EQ(c.catalog.sizes.size(), 4u);
  EXPECT_EQ(c.catalog.sizes[2].description, "4 CPUs, 16 GiB");
  EXPECT_EQ(c.catalog.sizes[3].cpu_millis, 3500);
  EXPECT_EQ(c.catalog.sizes[3].gpus, 1);
  EXPECT_EQ(c.users.size(), 2u);
  EXPECT_EQ(c.trusted_proxies.size(), 3u);
}

TEST(ParseConfig, MissingFileIsAProblem) {
  ParsedConfig parsed = parse_config_file("/nonexistent/k4ds.yaml");
  EXPECT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.problems,
              ElementsAre(Problem("", "cannot read the configuration file /nonexistent/k4ds.yaml: "
                                      "No such file or directory")));
}

TEST(ParseConfig, SyntaxErrorsGiveLineAndColumn) {
  ParsedConfig parsed = parse_config_text("domain: localhost\nsizes: [\n  {name: a\n");
  ASSERT_EQ(parsed.problems.size(), 1u);
  EXPECT_EQ(parsed.problems[0].path, "");
  EXPECT_THAT(parsed.problems[0].message, HasSubstr("line "));
  EXPECT_THAT(parsed.problems[0].message, HasSubstr("column "));

  parsed = parse_config_text("domain: localhost\n  listen: x: y\n");
  ASSERT_EQ(parsed.problems.size(), 1u);
  EXPECT_THAT(parsed.problems[0].message, HasSubstr("line 2, column"));
}

TEST(ParseConfig, UnquotedBracesInAFlowListExplainQuoting) {
  ParsedConfig parsed = parse_config_text(
      "environments:\n  - {name: py, command: [python3, --sock={socket}]}\n");
  ASSERT_EQ(parsed.problems.size(), 1u);
  EXPECT_THAT(parsed.problems[0].message, HasSubstr("line 2"));
  EXPECT_THAT(parsed.problems[0].message, HasSubstr("need quotes"));
}

// The shape documented at the top of config/config.h, verbatim.
TEST(ParseConfig, HeaderExampleParses) {
  ParsedConfig parsed = parse_config_text(R"(
domain: localhost              # workspaces answer on <user>-<name>.<domain>
listen: 127.0.0.1:8080         # host:port; port 0 picks a free one
data_dir: /var/lib/k4ds
portal_host: ""                # defaults to the domain
session_ttl: 12h               # browser session lifetime (s, m, h, d)
trusted_proxies: [10.0.0.0/8]  # X-Forwarded-* is believed only from these
default_size: small
environments:
  - name: jupyter-python
    display_name: "Jupyter · Python 3"
    version: "6.4"
    command: [jupyter, notebook, "--sock={socket}"]  # quoted: { } are YAML syntax
    port: 0                    # 0 = Unix socket
    health_path: /api
    env: {JUPYTER_CONFIG_DIR: /tmp}
    default_size: small
sizes:
  - {name: small, cpu: "1", memory: 2Gi, gpus: 0, description: "1 CPU, 2 GiB"}
users:
  - {name: alice, password: "x", admin: false, display_name: Alice, email: a@example.org}
)");
  EXPECT_THAT(parsed.problems, IsEmpty());
  EXPECT_THAT(parsed.config.catalog.environments[0].command,
              ElementsAre("jupyter", "notebook", "--sock={socket}"));
}

TEST(ParseConfig, ReportsEveryProblemAtOnce) {
  ParsedConfig parsed = parse_config_text(R"(
domain: Example.ORG
listen: nowhere
sizes:
  - {name: small, cpu: 1, memory: 2Gi}
  - {name: medium, cpu: 2x, memory: 8Gi}
  - {name: large, cpu: 4, memory: 8GB}
  - {name: small, cpu: 1, memory: 1Gi}
users:
  - {name: api}
)");
  EXPECT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.problems,
              ElementsAre(Problem("domain", "may contain only lowercase"),
                          Problem("listen", "is not host:port"),
                          Problem("sizes[1].cpu", "\"2x\" is not a CPU quantity"),
                          Problem("sizes[2].memory", "\"8GB\" is not a quantity; use 8Gi"),
                          Problem("sizes[3].name", "duplicate size \"small\""),
                          Problem("users[0].name", "is reserved")));
}

struct BrokenCase {
  std::string yaml;
  std::string path;
  std::string message;
};

// Each document has exactly one mistake, and exactly one problem is reported for it: a mistake
// must not cascade into follow-on complaints.
TEST(ParseConfig, BrokenDocuments) {
  const std::string ok_env = "{name: py, command: [python3]";
  const BrokenCase cases[] = {
      {"sizez: []", "sizez", "unknown key 'sizez'; allowed keys: domain, listen, data_dir"},
      {"sizez: []", "sizez", "did you mean 'sizes'?"},
      {"- a\n- b", "", "must be a mapping of keys"},
      {"just a sentence", "", "must be a mapping of keys"},
      {"domain: a\ndomain: b", "domain", "appears more than once"},
      {"domain: Example.org", "domain", "may contain only lowercase a-z, 0-9, \"-\" and dots"},
      {"domain: 10.0.0.1", "domain", "is an IP address"},
      {"domain: ds.example.org.", "domain", "without the trailing dot"},
      {"domain: ds..org", "domain", "empty part"},
      {"domain: -ds.org", "domain", "must not start or end with \"-\""},
      {"domain: " + std::string(190, 'd'), "domain", "use at most 189"},
      {"domain: [a]", "domain", "must be a single value, not a list"},
      {"domain:", "domain", "has no value"},
      {"listen: 8080", "listen", "is not host:port"},
      {"listen: localhost:99999", "listen", "port must be an integer between 0 and 65535"},
      {"listen: 'localhost:'", "listen", "port must be an integer between 0 and 65535"},
      {"listen: '::1:8080'", "listen", "in brackets"},
      {"listen: '[::g]:80'", "listen", "is not an IPv6 address"},
      {"listen: 'bad host:80'", "listen", "neither an IP address nor a host name"},
      {"data_dir: var/lib/k4ds", "data_dir", "is not an absolute path"},
      {"portal_host: Portal", "portal_host", "may contain only lowercase"},
      {"portal_host: alice-x.localhost", "portal_host", "has the form of a workspace host"},
      {"session_ttl: 12", "session_ttl", "\"12\" is not a duration; use a number with a unit"},
      {"session_ttl: 1w", "session_ttl", "is not a duration"},
      {"session_ttl: -5m", "session_ttl", "is not a duration"},
      {"session_ttl: 0s", "session_ttl", "must be more than zero"},
      {"session_ttl: 99999999d", "session_ttl", "too long"},
      {"trusted_proxies: 10.0.0.0/8", "trusted_proxies", "must be a list"},
      {"trusted_proxies: [10.0.0.0/33]", "trusted_proxies[0]", "is not an IP address or network"},
      {"trusted_proxies: [1.2.3.4, proxy.local]", "trusted_proxies[1]", "is not an IP address"},
      {"trusted_proxies: [10.1.2.3/8]", "trusted_proxies[0]", "did you mean 10.0.0.0/8?"},
      {"trusted_proxies: ['fd00::1/8']", "trusted_proxies[0]", "did you mean fd00::/8?"},
      {"default_size: huge", "default_size",
       "size \"huge\" is not defined; defined sizes: large, medium, small"},
      {"default_size: Big", "default_size", "size name \"Big\" may contain only"},
      {"environments: []", "environments", "is empty; define at least one environment"},
      {"environments: {name: py}", "environments", "must be a list"},
      {"environments: [py]", "environments[0]", "must be a mapping"},
      {"environments: [{command: [x]}]", "environments[0].name", "is missing"},
      {"environments: [{name: Py, command: [x]}]", "environments[0].name",
       "environment name \"Py\" may contain only"},
      {"environments: [{name: py}]", "environments[0]", "needs a command"},
      {"environments: [{name: py, command: []}]", "environments[0].command", "is empty"},
      {"environments: [{name: py, command: x}]", "environments[0].command", "must be a list"},
      {"environments: [" + ok_env + ", port: 70000}]", "environments[0].port",
       "must be an integer between 0 and 65535"},
      {"environments: [" + ok_env + ", port: http}]", "environments[0].port",
       "must be an integer between 0 and 65535"},
      {"environments: [" + ok_env + ", prot: 1}]", "environments[0].prot",
       "unknown key 'prot'; allowed keys: name, display_name"},
      {"environments: [" + ok_env + ", network: public}]", "environments[0].network",
       "\"public\" is not a network; use private (the default"},
      {"idle_stop_after: soon", "idle_stop_after", "soon"},
      {"environments: [" + ok_env + ", health_path: api}]", "environments[0].health_path",
       "must be a URL path starting with /"},
      {"environments: [" + ok_env + ", env: {1X: y}}]", "environments[0].env.1X",
       "is not a variable name"},
      {"environments: [" + ok_env + ", env: [A]}]", "environments[0].env", "must be a mapping"},
      {"environments: [" + ok_env + ", default_size: huge}]", "environments[0].default_size",
       "size \"huge\" is not defined"},
      {"environments: [" + ok_env + "}, {name: py, image: x}]", "environments[1].name",
       "duplicate environment \"py\""},
      {"sizes: []", "sizes", "is empty; define at least one size"},
      {"sizes: [{name: s, cpu: 1, memory: 8GB}]", "sizes[0].memory",
       "\"8GB\" is not a quantity; use 8Gi"},
      {"sizes: [{name: s, cpu: 1, memory: 1.5}]", "sizes[0].memory",
       "not a whole number of bytes"},
      {"sizes: [{name: s, cpu: 2x, memory: 1Gi}]", "sizes[0].cpu",
       "\"2x\" is not a CPU quantity; use a number of CPUs such as 2 or 0.5"},
      {"sizes: [{name: s, cpu: 0, memory: 1Gi}]", "sizes[0].cpu", "must be more than 0"},
      {"sizes: [{name: s, cpu: 1, memory: 0}]", "sizes[0].memory", "must be more than 0"},
      {"sizes: [{name: s, cpu: 1}]", "sizes[0].memory", "is missing"},
      {"sizes: [{name: s, memory: 1Gi}]", "sizes[0].cpu", "is missing"},
      {"sizes: [{name: s, cpu: 1, memory: 1Gi, gpus: -1}]", "sizes[0].gpus", "is not a count"},
      {"sizes: [{name: s, cpu: 1, memory: 1Gi, ram: 1Gi}]", "sizes[0].ram", "unknown key 'ram'"},
      {"sizes: [{name: s, cpu: 1, memory: 1Gi}, {name: s, cpu: 2, memory: 2Gi}]",
       "sizes[1].name", "duplicate size \"s\""},
      {"users: [{name: api}]", "users[0].name", "user name \"api\" is reserved"},
      {"users: [{name: al-ice}]", "users[0].name", "may contain only a-z and 0-9"},
      {"users: [{name: a, admin: maybe}]", "users[0].admin", "must be true or false"},
      {"users: [{name: a, email: nope}]", "users[0].email", "is not an email address"},
      {"users: [{name: a, password: [x]}]", "users[0].password", "must be a single value"},
      {"users: [{name: a}, {name: a}]", "users[1].name", "duplicate user \"a\""},
      {"users: {name: a}", "users", "must be a list"},
  };
  for (const BrokenCase& c : cases) {
    ParsedConfig parsed = parse_config_text(c.yaml);
    EXPECT_FALSE(parsed.ok()) << c.yaml;
    EXPECT_THAT(parsed.problems, ElementsAre(Problem(c.path, c.message))) << c.yaml;
  }
}

TEST(ParseConfig, ValidValuesAccepted) {
  const char* cases[] = {
      "listen: 0.0.0.0:0",
      "listen: localhost:8080",
      "listen: '[::1]:8080'",
      "domain: localhost",
      "domain: a-b.example.org",
      "portal_host: portal.localhost",
      "portal_host: ''",
      "trusted_proxies: ['::1', 192.168.0.0/16, '2001:db8::/32']",
      "trusted_proxies: []",
      "users: []",
      "sizes: [{name: s, cpu: 0.001, memory: 1, gpus: 0}]",
  };
  for (const char* text : cases) {
    ParsedConfig parsed = parse_config_text(text);
    EXPECT_THAT(parsed.problems, IsEmpty()) << text;
  }
}

GetEnv fake_env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(EnvOverrides, ReplaceFileValues) {
  ParsedConfig parsed = parse_config_text("domain: file.example.org\nlisten: 127.0.0.1:1");
  apply_env_overrides(parsed, fake_env({{"K4DS_DOMAIN", "ds.example.org"},
                                        {"K4DS_LISTEN", "0.0.0.0:443"},
                                        {"K4DS_DATA_DIR", "/srv/k4ds"},
                                        {"K4DS_PORTAL_HOST", "portal.ds.example.org"}}));
  EXPECT_THAT(parsed.problems, IsEmpty());
  EXPECT_EQ(parsed.config.domain, "ds.example.org");
  EXPECT_EQ(parsed.config.listen, "0.0.0.0:443");
  EXPECT_EQ(parsed.config.data_dir, "/srv/k4ds");
  EXPECT_EQ(parsed.config.portal_host, "portal.ds.example.org");
}

TEST(EnvOverrides, UnsetVariablesChangeNothing) {
  ParsedConfig parsed = parse_config_text("listen: 127.0.0.1:9000");
  apply_env_overrides(parsed, fake_env({}));
  EXPECT_THAT(parsed.problems, IsEmpty());
  EXPECT_EQ(parsed.config.listen, "127.0.0.1:9000");
  EXPECT_EQ(parsed.config.domain, "localhost");
}

TEST(EnvOverrides, AreCheckedLikeTheFile) {
  ParsedConfig parsed = parse_config_text("");
  apply_env_overrides(parsed, fake_env({{"K4DS_DOMAIN", "Bad_Domain"},
                                        {"K4DS_LISTEN", "8080"},
                                        {"K4DS_DATA_DIR", "relative"},
                                        {"K4DS_PORTAL_HOST", "alice-x.localhost"}}));
  EXPECT_THAT(parsed.problems,
              ElementsAre(Problem("K4DS_DOMAIN", "may contain only lowercase"),
                          Problem("K4DS_LISTEN", "is not host:port"),
                          Problem("K4DS_DATA_DIR", "is not an absolute path"),
                          Problem("K4DS_PORTAL_HOST", "has the form of a workspace host")));
  EXPECT_EQ(parsed.config.domain, "localhost") << "refused values are not applied";
  EXPECT_EQ(parsed.config.listen, "127.0.0.1:8080");
}

TEST(EnvOverrides, NewDomainIsCheckedAgainstThePortalHost) {
  ParsedConfig parsed = parse_config_text("domain: example.org\nportal_host: bob-x.lab.org");
  ASSERT_THAT(parsed.problems, IsEmpty());
  apply_env_overrides(parsed, fake_env({{"K4DS_DOMAIN", "lab.org"}}));
  EXPECT_THAT(parsed.problems, ElementsAre(Problem("K4DS_DOMAIN", "form of a workspace host")));
}

TEST(EnvOverrides, EmptyPortalHostMeansTheDomain) {
  ParsedConfig parsed = parse_config_text("portal_host: portal.localhost");
  apply_env_overrides(parsed, fake_env({{"K4DS_PORTAL_HOST", ""}}));
  EXPECT_THAT(parsed.problems, IsEmpty());
  EXPECT_EQ(parsed.config.portal_host, "");
}

TEST(ParseConfig, TlsAndRestartsAreCheckedWithTheirPaths) {
  ParsedConfig on = parse_config_text(R"(
tls: {cert: /etc/hostname, key: /etc/hostname}
environments:
  - {name: app, command: [/bin/true], restarts: 0}
)");
  ASSERT_THAT(on.problems, IsEmpty());
  EXPECT_EQ(on.config.tls_listen, "0.0.0.0:443") << "the HTTPS port by default";
  EXPECT_EQ(on.config.tls_cert, "/etc/hostname");
  EXPECT_EQ(on.config.catalog.environments[0].restarts, 0);

  ParsedConfig bad = parse_config_text(R"(
tls: {listen: "127.0.0.1:8443", cert: /nonexistent/tls.crt}
environments:
  - {name: app, command: [/bin/true], restarts: many}
)");
  std::string all;
  for (const auto& p : bad.problems) all += p.path + ": " + p.message + "\n";
  EXPECT_NE(all.find("tls.cert: \"/nonexistent/tls.crt\" is not a readable file"), std::string::npos) << all;
  EXPECT_NE(all.find("tls: needs both cert and key"), std::string::npos) << all;
  EXPECT_NE(all.find("environments[0].restarts: must be a whole number between 0 and 100"), std::string::npos) << all;
}

}  // namespace
}  // namespace k4ds
