#include "cli/output.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <yaml-cpp/yaml.h>

namespace k4ds::cli {
namespace {

namespace json = boost::json;
using std::chrono::seconds;

TEST(Table, AlignsColumnsWithTwoSpacesAndNoTrailingBlanks) {
  Table t({"NAME", "STATE", "AGE"});
  t.add_row({"analysis", "running", "3m"});
  t.add_row({"x", "pending: no runtime", ""});
  EXPECT_EQ(t.render(),
            "NAME      STATE                AGE\n"
            "analysis  running              3m\n"
            "x         pending: no runtime\n");
}

TEST(Table, CountsUtf8CharactersNotBytes) {
  Table t({"NAME", "DESCRIPTION", "V"});
  t.add_row({"jupyter", "Jupyter · Python 3", "7"});
  t.add_row({"r", "R", "4"});
  std::string out = t.render();
  // "Jupyter · Python 3" is 18 characters (19 bytes): the next column starts at 9 + 18 + 2.
  EXPECT_NE(out.find("R                   4\n"), std::string::npos) << out;
  EXPECT_EQ(display_width("Jupyter · Python 3"), 18u);
}

TEST(Table, HeaderOnlyWhenEmpty) {
  Table t({"ID", "NAME"});
  EXPECT_EQ(t.render(), "ID  NAME\n");
}

TEST(FormatAge, PicksTheLargestWholeUnit) {
  struct Case {
    long long s;
    const char* want;
  } cases[] = {{-5, "0s"},    {0, "0s"},      {59, "59s"},     {60, "1m"},
               {190, "3m"},   {3599, "59m"},  {3600, "1h"},    {7300, "2h"},
               {86399, "23h"}, {86400, "1d"}, {5 * 86400 + 7, "5d"}, {400 * 86400, "400d"}};
  for (const Case& c : cases) EXPECT_EQ(format_age(seconds(c.s)), c.want) << c.s;
}

TEST(ParseRfc3339, AcceptsUtcAndOffsets) {
  auto utc = parse_rfc3339("2026-11-28T11:14:36.123Z");
  ASSERT_TRUE(utc.has_value());
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(utc->time_since_epoch()).count(),
            1795864476123LL);
  auto plus2 = parse_rfc3339("2026-11-28T13:14:36.123+02:00");
  ASSERT_TRUE(plus2.has_value());
  EXPECT_EQ(*plus2, *utc);
  auto no_frac = parse_rfc3339("2026-11-28T11:14:36Z");
  ASSERT_TRUE(no_frac.has_value());
  EXPECT_EQ(*utc - *no_frac, std::chrono::milliseconds(123));
}

TEST(ParseRfc3339, RefusesOtherText) {
  for (const char* bad : {"", "yesterday", "2026-11-28", "2026-13-28T11:14:36Z",
                          "2026-11-28T11:14:36", "2026-11-28T11:14:36.Z", "2026-02-30T00:00:00Z"})
    EXPECT_FALSE(parse_rfc3339(bad).has_value()) << bad;
}

TEST(AgeOf, ShowsDashForMissingTimes) {
  auto now = *parse_rfc3339("2026-11-28T12:00:00Z");
  EXPECT_EQ(age_of(json::value("2026-11-28T11:57:00Z"), now), "3m");
  EXPECT_EQ(age_of(json::value(nullptr), now), "-");
  EXPECT_EQ(age_of(json::value("soon"), now), "-");
  EXPECT_EQ(time_until(json::value(nullptr), now, "never"), "never");
  EXPECT_EQ(time_until(json::value("2026-12-03T12:00:00Z"), now, "never"), "in 5d");
  EXPECT_EQ(time_until(json::value("2026-11-01T12:00:00Z"), now, "never"), "expired");
}

TEST(WorkspaceState, ShowsTheReasonWhenPendingOrFailed) {
  struct Case {
    const char* json;
    const char* want;
  } cases[] = {
      {R"({"phase":"pending","reason":"no runtime is configured","desired":"running"})",
       "pending: no runtime is configured"},
      {R"({"phase":"failed","reason":"no machine has 64 GiB free"})",
       "failed: no machine has 64 GiB free"},
      {R"({"phase":"running","reason":"healthy","desired":"running"})", "running"},
      {R"({"phase":"running","desired":"stopped"})", "running, stop requested"},
      {R"({"phase":"pending","reason":""})", "pending"},
      {R"({})", "unknown"},
  };
  for (const Case& c : cases) EXPECT_EQ(workspace_state_text(json::parse(c.json)), c.want);
}

TEST(Yaml, EmitsTheSameDataAsJson) {
  json::value v = json::parse(R"({"items":[{"name":"small","cpu":"2","gpus":0,"admin":false,
    "email":"","note":"true","created_at":"2026-11-28T11:14:36.123Z","expires_at":null,
    "tags":["a","b"]}]})");
  YAML::Node y = YAML::Load(to_yaml(v));
  const YAML::Node item = y["items"][0];
  EXPECT_EQ(item["name"].as<std::string>(), "small");
  // Strings that look like numbers or booleans stay strings.
  EXPECT_EQ(item["cpu"].Tag(), "!");
  EXPECT_EQ(item["cpu"].as<std::string>(), "2");
  EXPECT_EQ(item["note"].Tag(), "!");
  EXPECT_EQ(item["created_at"].Tag(), "!");  // not a YAML 1.1 timestamp
  EXPECT_EQ(item["gpus"].as<int>(), 0);
  EXPECT_FALSE(item["admin"].as<bool>());
  EXPECT_EQ(item["email"].as<std::string>(), "");
  EXPECT_TRUE(item["expires_at"].IsNull());
  EXPECT_EQ(item["tags"][1].as<std::string>(), "b");
}

TEST(Json, PrettyPrintsAndRoundTrips) {
  json::value v = json::parse(R"({"a":[1,{"b":"x\"y"}],"c":{},"d":[]})");
  std::string text = to_pretty_json(v);
  EXPECT_EQ(json::parse(text), v);
  EXPECT_EQ(text, "{\n  \"a\": [\n    1,\n    {\n      \"b\": \"x\\\"y\"\n    }\n  ],\n"
                  "  \"c\": {},\n  \"d\": []\n}\n");
}

TEST(OutputFormat, ParsesKnownFormatsAndExplainsOthers) {
  EXPECT_EQ(*parse_output_format("json"), OutputFormat::json);
  EXPECT_EQ(*parse_output_format("yaml"), OutputFormat::yaml);
  EXPECT_EQ(*parse_output_format(""), OutputFormat::table);
  Result<OutputFormat> bad = parse_output_format("xml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::invalid_argument);
}

TEST(Fields, TolerateMissingAndMistypedValues) {
  json::value v = json::parse(R"({"s":"x","n":3,"b":true,"z":null,"items":[1,2]})");
  EXPECT_EQ(str_field(v, "s"), "x");
  EXPECT_EQ(str_field(v, "n"), "3");
  EXPECT_EQ(str_field(v, "z"), "");
  EXPECT_EQ(str_field(v, "missing"), "");
  EXPECT_EQ(str_field(json::value(5), "s"), "");
  EXPECT_TRUE(bool_field(v, "b"));
  EXPECT_FALSE(bool_field(v, "s"));
  EXPECT_EQ(items_of(v).size(), 2u);
  EXPECT_TRUE(items_of(json::value("x")).empty());
}

}  // namespace
}  // namespace k4ds::cli
