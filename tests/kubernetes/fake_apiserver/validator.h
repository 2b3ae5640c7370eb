// The test API server's schema check: every object it is asked to store is first checked
// against the official Kubernetes schemas by tests/kubernetes/schema/validate.mjs (node), and
// refused with 422 when that finds a problem, as a real API server refuses it.
//
// Contract
// - One node process, started at construction and kept (validate.mjs --lines: a JSON input per
//   line in, a result per line out), restarted when it dies. When the line mode fails twice in
//   a row (an old validate.mjs without it), each object is checked by a run of its own
//   (node validate.mjs FILE), slower.
// - check() is blocking and thread-safe; checks run one at a time on the validator's own thread
//   (which owns the node process: it gets SIGKILL when that thread, i.e. this server, ends).
// - Without NODE and VALIDATOR (empty strings) every object passes.
//
// Usage:
//   Validator validator(node, script);
//   if (auto v = validator.check(object); !v.valid) return status(422, "Invalid", v.message);
#pragma once

#include <sys/types.h>

#include <boost/json.hpp>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <string>
#include <thread>

namespace k4ds::fake_apiserver {

struct Verdict {
  bool valid = true;
  std::string message;  // the validator's report (its standard output, trimmed) when not valid
};

class Validator {
 public:
  Validator(std::string node, std::string script);
  ~Validator();
  Validator(const Validator&) = delete;
  Validator& operator=(const Validator&) = delete;

  bool enabled() const { return !node_.empty(); }
  Verdict check(const boost::json::object& object);

 private:
  struct Job {
    std::string input;  // one line: [object]
    std::promise<Verdict> verdict;
  };
  void run();
  Verdict check_on_worker(const std::string& input);
  bool ask_long_lived(const std::string& input, Verdict& verdict);
  Verdict ask_one_shot(const std::string& input);
  bool start_process();
  void stop_process();

  std::string node_, script_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::thread worker_;
  // The worker thread's own state.
  pid_t pid_ = -1;
  int to_node_ = -1, from_node_ = -1;
  std::string pending_;     // read from node, not yet a whole line
  int line_failures_ = 0;   // line-mode failures in a row
};

}  // namespace k4ds::fake_apiserver
