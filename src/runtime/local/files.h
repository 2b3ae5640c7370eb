// Small file helpers for the local runtime: whole-file reads, atomic writes, key=value state
// files and process identity (pid plus start time, so a recycled pid is never mistaken for a
// workspace we started).
#pragma once

#include <map>
#include <optional>
#include <string>

#include "common/result.h"

namespace k4ds::local {

std::optional<std::string> read_file(const std::string& path);
// Writes to path.tmp then renames: readers never see half a file, even after kill -9.
Status write_file_atomic(const std::string& path, const std::string& content, int mode = 0600);
Status make_dir(const std::string& path, int mode);  // ok if it exists; mode is enforced

using KeyValues = std::map<std::string, std::string>;
std::string format_key_values(const KeyValues& values);  // "key=value\n" lines
KeyValues parse_key_values(const std::string& text);

// Field 22 of /proc/<pid>/stat (clock ticks since boot); 0 when the process does not exist.
uint64_t process_start_time(int pid);
// True when pid is alive, not a zombie, and started at `start_time`.
bool same_process_alive(int pid, uint64_t start_time);

}  // namespace k4ds::local
