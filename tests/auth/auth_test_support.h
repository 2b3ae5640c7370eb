// Test support for auth and api tests: a controllable clock, a real SQLite store in a fresh
// temporary directory, and status helpers.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "common/result.h"
#include "common/services.h"
#include "store/store.h"

namespace k4ds::testing {

// Time stands still until the test advances it.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start = from_unix_ms(1'800'000'000'000)) : now_(start) {}
  TimePoint now() const override {
    std::lock_guard lock(mutex_);
    return now_;
  }
  void advance(std::chrono::milliseconds by) {
    std::lock_guard lock(mutex_);
    now_ += by;
  }

 private:
  mutable std::mutex mutex_;
  TimePoint now_;
};

inline Status status_of(const Status& s) { return s; }
template <class T>
Status status_of(const Result<T>& r) {
  return r.status();
}

#define K4DS_ASSERT_OK(expr)                                  \
  do {                                                        \
    ::k4ds::Status st_ = ::k4ds::testing::status_of(expr);    \
    ASSERT_TRUE(st_.ok()) << st_.to_string();                 \
  } while (0)
#define K4DS_EXPECT_CODE(expr, expected)                                    \
  do {                                                                      \
    ::k4ds::Status st_ = ::k4ds::testing::status_of(expr);                  \
    EXPECT_EQ(st_.code(), expected) << "got " << st_.to_string();           \
  } while (0)

// A SQLite store in its own temporary directory, removed afterwards.
class TempStore {
 public:
  TempStore() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "k4ds-auth-test-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    auto opened = open_sqlite_store((dir_ / "k4ds.db").string());
    if (!opened) throw std::runtime_error(opened.status().to_string());
    store_ = std::move(opened).value();
  }
  ~TempStore() {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  Store& operator*() { return *store_; }
  Store* operator->() { return store_.get(); }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

}  // namespace k4ds::testing
