// How the CLI shows data: aligned tables and ages for people, JSON or YAML for scripts.
//
// Contract: pure functions, no I/O except print_value(), which writes to the given stream.
// `-o json` prints the server's JSON (pretty, two-space indent); `-o yaml` prints the same data
// as YAML (strings that YAML would read as another type are quoted). Tables separate columns
// with two spaces, have no trailing spaces, and count UTF-8 characters, not bytes.
//
// Usage:
//   Table table({"NAME", "STATE", "AGE"});
//   table.add_row({"analysis", "running", format_age(std::chrono::seconds(190))});  // "3m"
//   std::cout << table.render();
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "common/result.h"

namespace k4ds::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void add_row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  std::string render() const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// Display width of UTF-8 text in characters (every code point counts as one column).
std::size_t display_width(std::string_view text);

// A duration as people read it: "0s", "45s", "3m", "2h", "5d". Negative durations show as "0s".
std::string format_age(std::chrono::seconds age);

// Parses RFC 3339 ("2026-11-28T11:14:36.123Z", "…+02:00"); nullopt if it is not one.
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);

// The age of an RFC 3339 time relative to now ("3m"), or "-" if it is missing or unparsable.
std::string age_of(const boost::json::value& time, std::chrono::system_clock::time_point now);
// "5m ago" for a last-activity time; "never" when null (no traffic recorded yet).
std::string last_active_text(const boost::json::value& time, std::chrono::system_clock::time_point now);
// Like age_of for a future time: "in 5d", "expired" when past, `if_null` when null/missing.
std::string time_until(const boost::json::value& time, std::chrono::system_clock::time_point now,
                       std::string_view if_null);

// Pretty JSON with two-space indentation and a trailing newline.
std::string to_pretty_json(const boost::json::value& value);
// The same data as YAML, with a trailing newline.
std::string to_yaml(const boost::json::value& value);

// Output formats accepted by `-o`.
enum class OutputFormat { table, json, yaml };
Result<OutputFormat> parse_output_format(std::string_view text);

// Prints value as JSON/YAML, or calls show_table for the human format.
void print_value(std::ostream& out, OutputFormat format, const boost::json::value& value,
                 const std::function<void()>& show_table);

// A workspace's state for people: the phase, plus the reason when pending or failed
// ("pending: no runtime is configured…"), or what it is heading to ("running, stopping").
std::string workspace_state_text(const boost::json::value& workspace);

// Convenience accessors that tolerate missing fields and wrong types (they show as "").
const boost::json::value& field(const boost::json::value& object, std::string_view key);  // or null
std::string str_field(const boost::json::value& object, std::string_view key);
bool bool_field(const boost::json::value& object, std::string_view key);
const boost::json::array& items_of(const boost::json::value& list);

}  // namespace k4ds::cli
