// Status and Result<T>: how domain code reports failure.
//
// Contract: a Status is either ok or carries a Code with meaning for the caller and a message
// written for a human (what happened and what to do). Codes follow Abseil's vocabulary:
//   invalid_argument    the input is wrong; fix it and retry
//   not_found           the thing does not exist
//   already_exists      a thing with that name/key exists
//   aborted             someone changed it first (stale version): re-read and retry
//   failed_precondition the system is not in a state that allows this; do not retry as-is
//   permission_denied   authenticated but not allowed
//   unauthenticated     who you are is unknown or your credentials are wrong
//   resource_exhausted  a limit or quota is reached (including rate limits)
//   unavailable         transient: retry later
//   internal            a bug or broken invariant
//
// Usage:
//   Result<User> r = find_user(tx, "alice");
//   if (!r) return r.status();          // propagate
//   use(r.value());
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace k4ds {

enum class Code {
  ok,
  invalid_argument,
  not_found,
  already_exists,
  aborted,
  failed_precondition,
  permission_denied,
  unauthenticated,
  resource_exhausted,
  unavailable,
  internal,
};

// Stable snake_case name of a code, as used in API error bodies ({"code": "not_found"}).
std::string_view code_name(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  bool ok() const { return code_ == Code::ok; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "not_found: workspace alice/x does not exist" — for logs and test failure output.
  std::string to_string() const;

 private:
  Code code_ = Code::ok;
  std::string message_;
};

inline Status ok_status() { return Status(); }
inline Status invalid_argument(std::string m) { return {Code::invalid_argument, std::move(m)}; }
inline Status not_found(std::string m) { return {Code::not_found, std::move(m)}; }
inline Status already_exists(std::string m) { return {Code::already_exists, std::move(m)}; }
inline Status aborted(std::string m) { return {Code::aborted, std::move(m)}; }
inline Status failed_precondition(std::string m) { return {Code::failed_precondition, std::move(m)}; }
inline Status permission_denied(std::string m) { return {Code::permission_denied, std::move(m)}; }
inline Status unauthenticated(std::string m) { return {Code::unauthenticated, std::move(m)}; }
inline Status resource_exhausted(std::string m) { return {Code::resource_exhausted, std::move(m)}; }
inline Status unavailable(std::string m) { return {Code::unavailable, std::move(m)}; }
inline Status internal_error(std::string m) { return {Code::internal, std::move(m)}; }

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(v_).ok() && "a Result built from a Status must carry an error");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }

  const T& value() const& { return std::get<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  Status status() const { return ok() ? Status() : std::get<Status>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace k4ds

// Propagate a failed Status from an expression returning Status.
#define K4DS_RETURN_IF_ERROR(expr)                 \
  do {                                             \
    ::k4ds::Status k4ds_status_ = (expr);          \
    if (!k4ds_status_.ok()) return k4ds_status_;   \
  } while (0)
