#include "cli/output.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <regex>
#include <sstream>

#include <boost/json.hpp>
#include <yaml-cpp/yaml.h>

namespace k4ds::cli {
namespace {

namespace json = boost::json;

void pad_to(std::string& line, std::size_t width, std::string_view cell) {
  line += cell;
  for (std::size_t w = display_width(cell); w < width; ++w) line += ' ';
}

void pretty(std::string& out, const json::value& v, int indent) {
  const std::string pad(static_cast<std::size_t>(indent) * 2, ' ');
  const std::string inner(static_cast<std::size_t>(indent + 1) * 2, ' ');
  if (v.is_object()) {
    const auto& obj = v.get_object();
    if (obj.empty()) {
      out += "{}";
      return;
    }
    out += "{\n";
    bool first = true;
    for (const auto& kv : obj) {
      if (!first) out += ",\n";
      first = false;
      out += inner + json::serialize(json::string(kv.key())) + ": ";
      pretty(out, kv.value(), indent + 1);
    }
    out += "\n" + pad + "}";
  } else if (v.is_array()) {
    const auto& arr = v.get_array();
    if (arr.empty()) {
      out += "[]";
      return;
    }
    out += "[\n";
    bool first = true;
    for (const auto& e : arr) {
      if (!first) out += ",\n";
      first = false;
      out += inner;
      pretty(out, e, indent + 1);
    }
    out += "\n" + pad + "]";
  } else {
    out += json::serialize(v);
  }
}

// Strings a YAML reader would take for a number, bool, null or timestamp must be quoted.
bool needs_quotes(std::string_view s) {
  if (s.empty()) return true;
  static const std::regex kAmbiguous(
      R"(^(~|null|Null|NULL|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO)$)"
      R"(|^(on|On|ON|off|Off|OFF|y|Y|n|N)$)"
      R"(|^[-+]?(\.?[0-9][0-9_.:eExXoObB+-]*|\.inf|\.Inf|\.INF|\.nan|\.NaN|\.NAN)$)"
      R"(|^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ].*)?$)");
  return std::regex_match(s.begin(), s.end(), kAmbiguous);
}

void emit_yaml(YAML::Emitter& out, const json::value& v) {
  switch (v.kind()) {
    case json::kind::object:
      out << YAML::BeginMap;
      for (const auto& kv : v.get_object()) {
        out << YAML::Key << std::string(kv.key()) << YAML::Value;
        emit_yaml(out, kv.value());
      }
      out << YAML::EndMap;
      break;
    case json::kind::array:
      out << YAML::BeginSeq;
      for (const auto& e : v.get_array()) emit_yaml(out, e);
      out << YAML::EndSeq;
      break;
    case json::kind::string: {
      std::string s(v.get_string());
      if (needs_quotes(s)) out << YAML::DoubleQuoted;
      out << s;
      break;
    }
    case json::kind::bool_:
      out << (v.get_bool() ? "true" : "false");
      break;
    case json::kind::null:
      out << YAML::Null;
      break;
    default:  // numbers: JSON's spelling is valid YAML
      out << json::serialize(v);
      break;
  }
}

int parse_int(std::string_view s, bool& ok) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  ok = ok && ec == std::errc() && p == s.data() + s.size();
  return v;
}

}  // namespace

std::size_t display_width(std::string_view text) {
  std::size_t w = 0;
  for (char c : text)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++w;  // skip continuation bytes
  return w;
}

std::string Table::render() const {
  std::vector<std::size_t> widths(headers_.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i)
      widths[i] = std::max(widths[i], display_width(row[i]));
  };
  measure(headers_);
  for (const auto& row : rows_) measure(row);
  std::string out;
  auto line = [&](const std::vector<std::string>& row) {
    std::string text;
    for (std::size_t i = 0; i < widths.size(); ++i) {
      std::string_view cell = i < row.size() ? std::string_view(row[i]) : std::string_view();
      if (i + 1 == widths.size()) {
        text += cell;
      } else {
        pad_to(text, widths[i], cell);
        text += "  ";
      }
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text + "\n";
  };
  line(headers_);
  for (const auto& row : rows_) line(row);
  return out;
}

std::string format_age(std::chrono::seconds age) {
  long long s = std::max<long long>(0, age.count());
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return std::to_string(s / 60) + "m";
  if (s < 86400) return std::to_string(s / 3600) + "h";
  return std::to_string(s / 86400) + "d";
}

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view t) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)
  if (t.size() < 20 || t[4] != '-' || t[7] != '-' ||
      (t[10] != 'T' && t[10] != 't' && t[10] != ' ') || t[13] != ':' || t[16] != ':')
    return std::nullopt;
  bool ok = true;
  int year = parse_int(t.substr(0, 4), ok), month = parse_int(t.substr(5, 2), ok),
      day = parse_int(t.substr(8, 2), ok), hour = parse_int(t.substr(11, 2), ok),
      minute = parse_int(t.substr(14, 2), ok), second = parse_int(t.substr(17, 2), ok);
  if (!ok) return std::nullopt;
  std::size_t pos = 19;
  long long millis = 0;
  if (pos < t.size() && t[pos] == '.') {
    std::size_t start = ++pos;
    while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9') ++pos;
    if (pos == start) return std::nullopt;
    std::string frac(t.substr(start, std::min<std::size_t>(3, pos - start)));
    while (frac.size() < 3) frac += '0';
    millis = std::stoll(frac);
  }
  int offset_minutes = 0;
  std::string_view zone = t.substr(pos);
  if (zone == "Z" || zone == "z") {
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
    int oh = parse_int(zone.substr(1, 2), ok), om = parse_int(zone.substr(4, 2), ok);
    if (!ok) return std::nullopt;
    offset_minutes = (zone[0] == '-' ? -1 : 1) * (oh * 60 + om);
  } else {
    return std::nullopt;
  }
  using namespace std::chrono;
  year_month_day ymd{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                     std::chrono::day(static_cast<unsigned>(day))};
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  auto tp = sys_days(ymd) + hours(hour) + minutes(minute) + seconds(second) +
            milliseconds(millis) - minutes(offset_minutes);
  return time_point_cast<system_clock::duration>(tp);
}

std::string age_of(const json::value& time, std::chrono::system_clock::time_point now) {
  if (!time.is_string()) return "-";
  auto tp = parse_rfc3339(time.get_string());
  if (!tp) return "-";
  return format_age(std::chrono::duration_cast<std::chrono::seconds>(now - *tp));
}

std::string last_active_text(const json::value& time, std::chrono::system_clock::time_point now) {
  if (time.is_null()) return "never";
  std::string age = age_of(time, now);
  return age == "-" ? age : age + " ago";
}

std::string time_until(const json::value& time, std::chrono::system_clock::time_point now,
                       std::string_view if_null) {
  if (time.is_null()) return std::string(if_null);
  if (!time.is_string()) return "-";
  auto tp = parse_rfc3339(time.get_string());
  if (!tp) return "-";
  if (*tp <= now) return "expired";
  return "in " + format_age(std::chrono::duration_cast<std::chrono::seconds>(*tp - now));
}

std::string to_pretty_json(const json::value& value) {
  std::string out;
  pretty(out, value, 0);
  return out + "\n";
}

std::string to_yaml(const json::value& value) {
  YAML::Emitter out;
  emit_yaml(out, value);
  return std::string(out.c_str()) + "\n";
}

Result<OutputFormat> parse_output_format(std::string_view text) {
  if (text == "table" || text == "") return OutputFormat::table;
  if (text == "json") return OutputFormat::json;
  if (text == "yaml") return OutputFormat::yaml;
  return invalid_argument("unknown output format '" + std::string(text) +
                          "'; use -o json or -o yaml (or leave it out for a table)");
}

void print_value(std::ostream& out, OutputFormat format, const json::value& value,
                 const std::function<void()>& show_table) {
  switch (format) {
    case OutputFormat::json:
      out << to_pretty_json(value);
      break;
    case OutputFormat::yaml:
      out << to_yaml(value);
      break;
    case OutputFormat::table:
      show_table();
      break;
  }
}

std::string workspace_state_text(const json::value& workspace) {
  std::string phase = str_field(workspace, "phase");
  std::string reason = str_field(workspace, "reason");
  std::string desired = str_field(workspace, "desired");
  if (phase.empty()) phase = "unknown";
  if ((phase == "pending" || phase == "failed") && !reason.empty()) return phase + ": " + reason;
  if (phase == "running" && desired == "stopped") return phase + ", stop requested";
  if (phase == "stopped" && desired == "running") return phase + ", start requested";
  return phase;
}

const json::value& field(const json::value& object, std::string_view key) {
  static const json::value kNull;
  if (!object.is_object()) return kNull;
  const json::value* v = object.get_object().if_contains(key);
  return v ? *v : kNull;
}

std::string str_field(const json::value& object, std::string_view key) {
  if (!object.is_object()) return "";
  const json::value* v = object.get_object().if_contains(key);
  if (v == nullptr || v->is_null()) return "";
  if (v->is_string()) return std::string(v->get_string());
  return json::serialize(*v);
}

bool bool_field(const json::value& object, std::string_view key) {
  if (!object.is_object()) return false;
  const json::value* v = object.get_object().if_contains(key);
  return v != nullptr && v->is_bool() && v->get_bool();
}

const json::array& items_of(const json::value& list) {
  static const json::array kEmpty;
  if (list.is_array()) return list.get_array();
  if (!list.is_object()) return kEmpty;
  const json::value* items = list.get_object().if_contains("items");
  return items && items->is_array() ? items->get_array() : kEmpty;
}

}  // namespace k4ds::cli
