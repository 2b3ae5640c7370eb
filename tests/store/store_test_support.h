// Shared fixture for the Store conformance tests: every TEST_P written against StoreTest runs
// once per backend in store_backends(). A backend is a factory that opens a store in a fresh
// temporary directory, so a PostgreSQL store can join by adding one entry here.
//
// Usage:
//   TEST_P(StoreTest, Something) { ASSERT_STATUS_OK(store().write(...)); }
//   INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::ValuesIn(store_backends()),
//                            backend_name);
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"

#define ASSERT_STATUS_OK(expr)                              \
  do {                                                      \
    ::k4ds::Status s_ = ::k4ds::testing::status_of(expr);   \
    ASSERT_TRUE(s_.ok()) << s_.to_string();                 \
  } while (0)
#define EXPECT_STATUS_OK(expr)                              \
  do {                                                      \
    ::k4ds::Status s_ = ::k4ds::testing::status_of(expr);   \
    EXPECT_TRUE(s_.ok()) << s_.to_string();                 \
  } while (0)
#define EXPECT_CODE(expr, expected_code)                                       \
  do {                                                                         \
    ::k4ds::Status s_ = ::k4ds::testing::status_of(expr);                      \
    EXPECT_EQ(s_.code(), expected_code) << "got " << s_.to_string();           \
  } while (0)

namespace k4ds::testing {

inline Status status_of(const Status& s) { return s; }
template <class T>
Status status_of(const Result<T>& r) {
  return r.status();
}

// A directory under /tmp, removed with everything in it when destroyed.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = "/tmp/k4ds-store-test-XXXXXX";
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct StoreBackend {
  std::string name;
  // Opens (or reopens) the store kept in `dir`.
  std::function<Result<std::unique_ptr<Store>>(const std::string& dir)> open;
};

inline std::vector<StoreBackend> store_backends() {
  return {
      {"sqlite", [](const std::string& dir) { return open_sqlite_store(dir + "/k4ds.db"); }},
  };
}

// gtest prints a parameter of a failed test with this instead of its raw bytes.
inline void PrintTo(const StoreBackend& backend, std::ostream* os) { *os << backend.name; }

inline std::string backend_name(const ::testing::TestParamInfo<StoreBackend>& info) {
  return info.param.name;
}

// Runs f in a read (or write) transaction and hands back what it returned. A write commits iff
// f's result is ok.
template <class F>
auto read_tx(Store& store, F f) -> decltype(f(std::declval<Tx&>())) {
  using R = decltype(f(std::declval<Tx&>()));
  std::optional<R> out;
  Status s = store.read([&](Tx& tx) {
    out.emplace(f(tx));
    return Status();
  });
  if (!s.ok()) return R(s);
  return std::move(*out);
}

template <class F>
auto write_tx(Store& store, F f) -> decltype(f(std::declval<Tx&>())) {
  using R = decltype(f(std::declval<Tx&>()));
  std::optional<R> out;
  Status s = store.write([&](Tx& tx) {
    out.emplace(f(tx));
    return status_of(*out);
  });
  if (!out || (!s.ok() && status_of(*out).ok())) return R(s);
  return std::move(*out);
}

inline User make_user(const std::string& name) {
  return User{.name = name, .display_name = "User " + name, .email = name + "@example.org",
              .created_at = 1000, .updated_at = 1000};
}

inline Workspace make_workspace(const std::string& id, const std::string& owner,
                                const std::string& name) {
  return Workspace{.id = id, .owner = owner, .name = name, .environment = "jupyter-python",
                   .size = "small", .created_at = 2000, .updated_at = 2000};
}

class StoreTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override { reopen(); }

  Store& store() { return *store_; }
  // Closes the store and opens it again on the same data.
  void reopen() {
    store_.reset();
    Result<std::unique_ptr<Store>> opened = GetParam().open(dir_.path());
    ASSERT_TRUE(opened.ok()) << opened.status().to_string();
    store_ = std::move(*opened);
  }
  template <class F>
  auto read(F f) {
    return read_tx(*store_, f);
  }
  template <class F>
  auto write(F f) {
    return write_tx(*store_, f);
  }
  int64_t revision() {
    Result<int64_t> r = read([](Tx& tx) { return tx.revision(); });
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? *r : -1;
  }
  std::vector<Change> changes(int64_t after = 0) {
    Result<std::vector<Change>> r = read([&](Tx& tx) { return tx.list_changes(after, 1000000); });
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? *r : std::vector<Change>{};
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

}  // namespace k4ds::testing
