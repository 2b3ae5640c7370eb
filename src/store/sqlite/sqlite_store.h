// Internal entry points of the SQLite store, for tests and tools. Production code calls
// open_sqlite_store (store/store.h).
//
// Usage (a test building a database with the previous schema):
//   auto old = open_sqlite_store_at_version(path, kLatestSchemaVersion - 1);
//   ... write data the old schema can hold, destroy the store ...
//   auto current = open_sqlite_store(path);  // migrates, keeps the data
#pragma once

#include <memory>
#include <string>

#include "common/result.h"
#include "store/store.h"

namespace k4ds::sqlite {

// Like open_sqlite_store, but applies migrations only up to `version` (1..latest). Only the Tx
// methods whose tables exist at that version work on the result.
Result<std::unique_ptr<Store>> open_sqlite_store_at_version(const std::string& path, int version);

// The highest migration applied to the database at path (0 when it has none), without
// migrating it.
Result<int> sqlite_schema_version(const std::string& path);

}  // namespace k4ds::sqlite
