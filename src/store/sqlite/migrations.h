// Versioned schema migrations for the SQLite store.
//
// Contract: migrations are numbered 1..kLatestSchemaVersion and applied in order, each inside
// the same IMMEDIATE transaction that records it in schema_migrations, so a crash mid-way
// leaves the previous version intact. A database newer than this binary is refused with
// Code::failed_precondition. The SQL uses plain portable types (TEXT, BIGINT, INTEGER) so the
// PostgreSQL store can share the data model.
//
// Usage:
//   K4DS_RETURN_IF_ERROR(migrate(conn, kLatestSchemaVersion));
#pragma once

#include "common/result.h"
#include "store/sqlite/connection.h"

namespace k4ds::sqlite {

inline constexpr int kLatestSchemaVersion = 6;

// Brings the database up to `target` (≤ kLatestSchemaVersion). Returns failed_precondition when
// the database already has a version above kLatestSchemaVersion.
Status migrate(Connection& conn, int target);

// The highest applied migration (0 for a new database).
Result<int> schema_version(Connection& conn);

}  // namespace k4ds::sqlite
