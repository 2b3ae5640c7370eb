// A real OpenLDAP slapd for tests: its own throwaway cn=config (slapadd -n0 of a generated
// LDIF, mdb backend, memberof overlay when the module is installed), plain LDAP and LDAPS
// listeners on free 127.0.0.1 ports, a CA and server certificate made with `openssl`, and the
// directory below loaded with ldapadd. Stopped by its PID and its directory removed when the
// object goes. Header-only.
//
// The directory (dc=example,dc=org; every password is "<uid>-pw"):
//   ou=people:      alice (posixAccount 10001/10001), bob, carol (employeeType=disabled),
//                   Eve (uid with a capital), admin (same name as k4ds's built-in admin),
//                   frank, grace, dave.smith (a name k4ds cannot use)
//   ou=contractors: grace again (two entries for one name)
//   ou=services:    cn=k4ds (the service account, password service-pw)
//   ou=groups:      analysts (groupOfNames: alice, bob), "Data Scientists" (groupOfNames:
//                   the analysts group and Eve: a nested group), gpu-users (posixGroup:
//                   memberUid alice), reviewers (groupOfUniqueNames: bob)
//
// slapd here allows unauthenticated binds (olcAllows: bind_anon_dn): a DN with an empty
// password *succeeds*, so a test that such a login fails proves k4ds never sent it.
//
// Usage:
//   Slapd slapd;
//   ASSERT_TRUE(slapd.ok()) << slapd.error();
//   config.url = slapd.ldap_url();
//   slapd.stop(); ... slapd.start();
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace k4ds::testing {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs argv[0] (a full path) with argv, feeding `input`; gives up after 30 s.
inline CommandResult run_command(std::vector<std::string> argv, const std::string& input = "") {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) return {};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(out[1], 2);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    _exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  (void)!::write(in[1], input.data(), input.size());
  ::close(in[1]);
  CommandResult r;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    pollfd p{out[0], POLLIN, 0};
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      break;
    }
    if (::poll(&p, 1, 200) <= 0) continue;
    char buf[4096];
    ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    r.output.append(buf, static_cast<std::size_t>(n));
  }
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

inline int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

inline bool port_accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

inline constexpr const char* kSlapdBinary = "/usr/sbin/slapd";
inline constexpr const char* kBaseDn = "dc=example,dc=org";
inline constexpr const char* kRootDn = "cn=admin,dc=example,dc=org";
inline constexpr const char* kRootPassword = "root-secret";
inline constexpr const char* kServiceDn = "cn=k4ds,ou=services,dc=example,dc=org";
inline constexpr const char* kServicePassword = "service-pw";

class Slapd {
 public:
  Slapd() {
    namespace fs = std::filesystem;
    if (!fs::exists(kSlapdBinary)) {
      error_ = "slapd is not installed; scripts/install-deps.sh test installs slapd and ldap-utils";
      return;
    }
    std::string tmpl = (fs::temp_directory_path() / "k4ds-slapd-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) {
      error_ = "mkdtemp failed";
      return;
    }
    dir_ = tmpl;
    memberof_ = fs::exists("/usr/lib/ldap/memberof.la");
    if (!make_certificates() || !make_config()) return;
    for (int attempt = 0; attempt < 3 && !running(); ++attempt) {
      ldap_port_ = free_port();
      ldaps_port_ = free_port();
      start();
    }
    if (!running()) return;
    CommandResult added = ldap_tool("/usr/bin/ldapadd", {}, directory_ldif());
    if (added.exit_code != 0) error_ = "ldapadd of the test directory failed:\n" + added.output;
  }
  Slapd(const Slapd&) = delete;
  Slapd& operator=(const Slapd&) = delete;
  ~Slapd() {
    stop();
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }

  bool ok() const { return error_.empty() && running(); }
  const std::string& error() const { return error_; }
  bool memberof() const { return memberof_; }
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  std::string ldap_url() const { return "ldap://127.0.0.1:" + std::to_string(ldap_port_); }
  std::string ldaps_url() const { return "ldaps://127.0.0.1:" + std::to_string(ldaps_port_); }
  std::string ca_file() const { return (dir_ / "ca.pem").string(); }
  // A CA that did not sign the server's certificate.
  std::string other_ca_file() const { return (dir_ / "other-ca.pem").string(); }
  const std::filesystem::path& dir() const { return dir_; }

  // Starts slapd on the same ports and data (after stop()); true once it accepts connections.
  bool start() {
    if (pid_ > 0) return true;
    std::string urls = ldap_url() + "/ " + ldaps_url() + "/";
    std::string log = (dir_ / "slapd.log").string();
    std::vector<std::string> argv{kSlapdBinary, "-d", "0", "-F", (dir_ / "config").string(),
                                  "-h", urls};
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // a crashed test must not leave slapd behind
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      _exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {  // exited: port taken, bad config
        pid_ = -1;
        error_ = "slapd exited at start; its log:\n" + read_log();
        return false;
      }
      if (port_accepts(ldap_port_) && port_accepts(ldaps_port_)) {
        error_.clear();
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    error_ = "slapd did not listen within 10 s; its log:\n" + read_log();
    stop();
    return false;
  }

  // SIGTERM by PID (SIGKILL after 10 s); waits until it is gone.
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGCONT);  // in case a test paused it
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 1000; ++i) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  // SIGSTOP: connections are still accepted by the kernel, nothing answers. kill() only
  // queues the signal, and a slapd thread already running can answer one more request, so
  // this waits (WUNTRACED) until the kernel reports the child stopped.
  void pause() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGSTOP);
    for (int i = 0; i < 500; ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG | WUNTRACED) == pid_ && WIFSTOPPED(status)) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  void resume() {
    if (pid_ > 0) ::kill(pid_, SIGCONT);
  }

  // ldapmodify / ldapadd / ldapdelete as the rootdn on the plain listener.
  CommandResult modify(const std::string& ldif) { return ldap_tool("/usr/bin/ldapmodify", {}, ldif); }
  CommandResult remove(const std::string& dn) { return ldap_tool("/usr/bin/ldapdelete", {dn}, ""); }

  std::string read_log() const {
    std::ifstream in(dir_ / "slapd.log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

 private:
  CommandResult ldap_tool(const std::string& tool, std::vector<std::string> extra,
                          const std::string& input) {
    std::vector<std::string> argv{tool, "-x", "-H", ldap_url(), "-D", kRootDn, "-w", kRootPassword};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_command(argv, input);
  }

  bool write_file(const std::string& name, const std::string& text) {
    std::ofstream out(dir_ / name);
    out << text;
    return static_cast<bool>(out);
  }

  bool openssl(std::vector<std::string> args) {
    args.insert(args.begin(), "/usr/bin/openssl");
    CommandResult r = run_command(args);
    if (r.exit_code != 0) error_ = "openssl " + args[1] + " failed:\n" + r.output;
    return r.exit_code == 0;
  }

  bool make_certificates() {
    auto p = [&](const char* name) { return (dir_ / name).string(); };
    write_file("server.ext",
               "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
               "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n");
    return openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", p("ca.key"), "-out",
                    p("ca.pem"), "-days", "2", "-subj", "/CN=k4ds test CA"}) &&
           openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", p("other-ca.key"),
                    "-out", p("other-ca.pem"), "-days", "2", "-subj", "/CN=some other CA"}) &&
           openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", p("server.key"), "-out",
                    p("server.csr"), "-subj", "/CN=localhost"}) &&
           openssl({"x509", "-req", "-in", p("server.csr"), "-CA", p("ca.pem"), "-CAkey", p("ca.key"),
                    "-CAcreateserial", "-out", p("server.pem"), "-days", "2", "-extfile",
                    p("server.ext")});
  }

  bool make_config() {
    namespace fs = std::filesystem;
    fs::create_directories(dir_ / "config");
    fs::create_directories(dir_ / "data");
    std::string d = dir_.string();
    std::string ldif =
        "dn: cn=config\nobjectClass: olcGlobal\ncn: config\n"
        "olcPidFile: " + d + "/slapd.pid\n"
        "olcAllows: bind_anon_dn\n"
        "olcTLSCACertificateFile: " + d + "/ca.pem\n"
        "olcTLSCertificateFile: " + d + "/server.pem\n"
        "olcTLSCertificateKeyFile: " + d + "/server.key\n\n"
        "dn: cn=module{0},cn=config\nobjectClass: olcModuleList\ncn: module{0}\n"
        "olcModulePath: /usr/lib/ldap\nolcModuleLoad: back_mdb\n" +
        std::string(memberof_ ? "olcModuleLoad: memberof\n" : "") + "\n"
        "dn: cn=schema,cn=config\nobjectClass: olcSchemaConfig\ncn: schema\n\n"
        "include: file:///etc/ldap/schema/core.ldif\n\n"
        "include: file:///etc/ldap/schema/cosine.ldif\n\n"
        "include: file:///etc/ldap/schema/nis.ldif\n\n"
        "include: file:///etc/ldap/schema/inetorgperson.ldif\n\n"
        "dn: olcDatabase={-1}frontend,cn=config\nobjectClass: olcDatabaseConfig\n"
        "objectClass: olcFrontendConfig\nolcDatabase: {-1}frontend\n\n"
        "dn: olcDatabase={0}config,cn=config\nobjectClass: olcDatabaseConfig\n"
        "olcDatabase: {0}config\nolcAccess: {0}to * by * none\n\n"
        "dn: olcDatabase={1}mdb,cn=config\nobjectClass: olcDatabaseConfig\n"
        "objectClass: olcMdbConfig\nolcDatabase: {1}mdb\nolcSuffix: dc=example,dc=org\n"
        "olcDbDirectory: " + d + "/data\n"
        "olcRootDN: " + kRootDn + "\nolcRootPW: " + kRootPassword + "\n"
        "olcDbMaxSize: 67108864\n"
        // Passwords are for binding only; everything else is readable, as in most directories.
        "olcAccess: {0}to attrs=userPassword by self write by anonymous auth by * none\n"
        "olcAccess: {1}to * by * read\n\n" +
        std::string(memberof_ ? "dn: olcOverlay={0}memberof,olcDatabase={1}mdb,cn=config\n"
                                "objectClass: olcOverlayConfig\nobjectClass: olcMemberOf\n"
                                "olcOverlay: {0}memberof\nolcMemberOfRefInt: TRUE\n"
                              : "");
    write_file("config.ldif", ldif);
    CommandResult r = run_command({"/usr/sbin/slapadd", "-n0", "-F", (dir_ / "config").string(),
                                   "-l", (dir_ / "config.ldif").string()});
    if (r.exit_code != 0) error_ = "slapadd -n0 of the test cn=config failed:\n" + r.output;
    return r.exit_code == 0;
  }

  static std::string person(const std::string& uid, const std::string& ou, const std::string& cn,
                            const std::string& extra = "") {
    return "dn: uid=" + uid + ",ou=" + ou + ",dc=example,dc=org\nobjectClass: inetOrgPerson\n"
           "uid: " + uid + "\ncn: " + cn + "\nsn: " + cn + "\nmail: " + uid + "@example.org\n"
           "userPassword: " + uid + "-pw\n" + extra + "\n";
  }

  static std::string directory_ldif() {
    std::string people = "ou=people,dc=example,dc=org";
    return std::string(
               "dn: dc=example,dc=org\nobjectClass: dcObject\nobjectClass: organization\n"
               "o: Example\ndc: example\n\n") +
           "dn: ou=people,dc=example,dc=org\nobjectClass: organizationalUnit\nou: people\n\n"
           "dn: ou=contractors,dc=example,dc=org\nobjectClass: organizationalUnit\nou: contractors\n\n"
           "dn: ou=groups,dc=example,dc=org\nobjectClass: organizationalUnit\nou: groups\n\n"
           "dn: ou=services,dc=example,dc=org\nobjectClass: organizationalUnit\nou: services\n\n"
           "dn: " + std::string(kServiceDn) + "\nobjectClass: organizationalRole\n"
           "objectClass: simpleSecurityObject\ncn: k4ds\nuserPassword: " + kServicePassword + "\n\n" +
           "dn: uid=alice,ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\n"
           "objectClass: posixAccount\nuid: alice\ncn: Alice Liddell\nsn: Liddell\n"
           "mail: alice@example.org\nuidNumber: 10001\ngidNumber: 10001\n"
           "homeDirectory: /home/alice\nuserPassword: alice-pw\n\n" +
           person("bob", "people", "Bob Builder") +
           person("carol", "people", "Carol Disabled", "employeeType: disabled\n") +
           person("Eve", "people", "Eve Capital") +
           person("admin", "people", "Directory Admin") +
           person("frank", "people", "Frank Leaving") +
           person("grace", "people", "Grace Hopper") +
           person("grace", "contractors", "Grace Other") +
           person("dave.smith", "people", "Dave Smith") +
           "dn: cn=analysts,ou=groups,dc=example,dc=org\nobjectClass: groupOfNames\ncn: analysts\n"
           "member: uid=alice," + people + "\nmember: uid=bob," + people + "\n\n"
           "dn: cn=Data Scientists,ou=groups,dc=example,dc=org\nobjectClass: groupOfNames\n"
           "cn: Data Scientists\nmember: cn=analysts,ou=groups,dc=example,dc=org\n"
           "member: uid=Eve," + people + "\n\n"
           "dn: cn=gpu-users,ou=groups,dc=example,dc=org\nobjectClass: posixGroup\n"
           "cn: gpu-users\ngidNumber: 20001\nmemberUid: alice\n\n"
           "dn: cn=reviewers,ou=groups,dc=example,dc=org\nobjectClass: groupOfUniqueNames\n"
           "cn: reviewers\nuniqueMember: uid=bob," + people + "\n\n";
  }

  std::filesystem::path dir_;
  std::string error_;
  bool memberof_ = false;
  int ldap_port_ = 0;
  int ldaps_port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace k4ds::testing
