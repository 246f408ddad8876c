#include "relabel/relabel.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace vigil::relabel {
namespace {

// A rule as written in a table; regex == nullptr keeps the default "(.*)".
struct Rule {
  Action action = Action::kReplace;
  std::vector<std::string> src;
  const char* regex = nullptr;
  const char* target = "";
  const char* repl = "$1";
  const char* sep = ";";
  uint64_t modulus = 0;
  NameValidation names = NameValidation::kUTF8;
};

Config ToConfig(const Rule& r) {
  Config c;
  c.action = r.action;
  c.source_labels = r.src;
  if (r.regex != nullptr) {
    auto re = Regexp::Compile(r.regex);
    EXPECT_TRUE(re.has_value()) << r.regex << ": " << re.error().ToString();
    if (re) c.regex = *re;
  }
  c.target_label = r.target;
  c.replacement = r.repl;
  c.separator = r.sep;
  c.modulus = r.modulus;
  c.name_validation = r.names;
  return c;
}

struct Case {
  const char* name;
  Labels in;
  std::vector<Rule> rules;
  std::optional<Labels> want;  // nullopt: the set is dropped
};

using A = Action;

const std::vector<Case>& Cases() {
  static const std::vector<Case> cases = {
      {"replace_template_braces",
       {{"svc", "frontend"}, {"zone", "eu"}},
       {{.src = {"svc"}, .regex = "front(.*)", .target = "role", .repl = "x-${1}-y"}},
       Labels{{"svc", "frontend"}, {"zone", "eu"}, {"role", "x-end-y"}}},
      {"replace_joins_sources_with_separator",
       {{"host", "db1"}, {"port", "5432"}},
       {{.src = {"host", "port"},
         .regex = "(.*)@(.*)",
         .target = "addr",
         .repl = "$1:$2",
         .sep = "@"}},
       Labels{{"host", "db1"}, {"port", "5432"}, {"addr", "db1:5432"}}},
      {"replace_default_separator_is_semicolon",
       {{"a", "1"}, {"b", "2"}},
       {{.src = {"a", "b"}, .target = "c"}},
       Labels{{"a", "1"}, {"b", "2"}, {"c", "1;2"}}},
      {"replace_no_match_leaves_set_alone",
       {{"svc", "backend"}},
       {{.src = {"svc"}, .regex = "front.*", .target = "role", .repl = "web"}},
       Labels{{"svc", "backend"}}},
      {"replace_regex_is_anchored",
       {{"svc", "backend"}},
       {{.src = {"svc"}, .regex = "end", .target = "role", .repl = "x"}},
       Labels{{"svc", "backend"}}},
      {"replace_empty_result_deletes_target",
       {{"svc", "api"}, {"tmp", "gone"}},
       {{.src = {"svc"}, .regex = "api(.*)", .target = "tmp", .repl = "$1"}},
       Labels{{"svc", "api"}}},
      {"replace_target_name_from_group",
       {{"tag", "team=payments"}},
       {{.src = {"tag"}, .regex = "([a-z]+)=(.*)", .target = "${1}", .repl = "$2"}},
       Labels{{"tag", "team=payments"}, {"team", "payments"}}},
      {"replace_target_expanding_empty_is_skipped",
       {{"tag", "team=payments"}},
       {{.src = {"tag"}, .regex = "([a-z]+)=(.*)", .target = "${5}", .repl = "$2"}},
       Labels{{"tag", "team=payments"}}},
      {"replace_legacy_invalid_expanded_target_is_skipped",
       {{"tag", "9lives=cat"}},
       {{.src = {"tag"},
         .regex = "([^=]+)=(.*)",
         .target = "$1",
         .repl = "$2",
         .names = NameValidation::kLegacy}},
       Labels{{"tag", "9lives=cat"}}},
      {"replace_utf8_expanded_target_is_set",
       {{"tag", "9lives=cat"}},
       {{.src = {"tag"}, .regex = "([^=]+)=(.*)", .target = "$1", .repl = "$2"}},
       Labels{{"tag", "9lives=cat"}, {"9lives", "cat"}}},
      {"replace_constant_without_sources",
       {{"job", "node"}},
       {{.target = "env", .repl = "prod"}},
       Labels{{"job", "node"}, {"env", "prod"}}},
      {"replace_missing_source_reads_empty",
       {{"job", "node"}},
       {{.src = {"nope"}, .regex = "", .target = "empty_matched", .repl = "yes"}},
       Labels{{"job", "node"}, {"empty_matched", "yes"}}},
      {"replace_dollar_group_followed_by_letters_is_a_name",
       // Go: "$1x" names group "1x", which does not exist -> "" -> label deleted.
       {{"v", "abc"}, {"out", "old"}},
       {{.src = {"v"}, .regex = "(a)bc", .target = "out", .repl = "$1x"}},
       Labels{{"v", "abc"}}},
      {"replace_braced_group_followed_by_letters",
       {{"v", "abc"}},
       {{.src = {"v"}, .regex = "(a)bc", .target = "out", .repl = "${1}x"}},
       Labels{{"v", "abc"}, {"out", "ax"}}},
      {"replace_double_dollar_is_literal",
       {{"v", "abc"}},
       {{.src = {"v"}, .regex = "(a)bc", .target = "out", .repl = "$$1=$1"}},
       Labels{{"v", "abc"}, {"out", "$1=a"}}},
      {"replace_unclosed_brace_is_literal",
       {{"v", "abc"}},
       {{.src = {"v"}, .regex = "(a)bc", .target = "out", .repl = "${1"}},
       Labels{{"v", "abc"}, {"out", "${1"}}},
      {"replace_lone_dollar_is_literal",
       {{"v", "abc"}},
       {{.src = {"v"}, .regex = "(a)bc", .target = "out", .repl = "cost: $"}},
       Labels{{"v", "abc"}, {"out", "cost: $"}}},
      {"replace_group_zero_is_whole_value",
       {{"v", "abc"}},
       {{.src = {"v"}, .regex = "a(b)c", .target = "out", .repl = "<$0>"}},
       Labels{{"v", "abc"}, {"out", "<abc>"}}},
      {"replace_named_groups_both_syntaxes",
       {{"addr", "web-3.dc2"}},
       {{.src = {"addr"},
         .regex = "(?P<host>[^.]+)\\.(?<dc>.*)",
         .target = "dc_${dc}",
         .repl = "$host"}},
       Labels{{"addr", "web-3.dc2"}, {"dc_dc2", "web-3"}}},
      {"replace_unmatched_optional_group_is_empty",
       {{"v", "x"}},
       {{.src = {"v"}, .regex = "(y)?x", .target = "out", .repl = "[$1]"}},
       Labels{{"v", "x"}, {"out", "[]"}}},
      {"replace_dot_matches_newline",
       {{"msg", "first\nsecond"}},
       {{.src = {"msg"}, .regex = "first.second", .target = "m", .repl = "ok"}},
       Labels{{"msg", "first\nsecond"}, {"m", "ok"}}},
      {"replace_address_with_port_annotation",
       {{"__address__", "10.1.2.3:8080"}, {"port", "9100"}},
       {{.src = {"__address__", "port"},
         .regex = "(.+?)(?::\\d+)?;(\\d+)",
         .target = "__address__",
         .repl = "$1:$2"}},
       Labels{{"__address__", "10.1.2.3:9100"}, {"port", "9100"}}},
      {"rules_see_earlier_results",
       {{"a", "1"}},
       {{.src = {"a"}, .target = "b", .repl = "two"}, {.src = {"b"}, .target = "c"}},
       Labels{{"a", "1"}, {"b", "two"}, {"c", "two"}}},
      {"keep_matching",
       {{"job", "api"}},
       {{.action = A::kKeep, .src = {"job"}, .regex = "api|web"}},
       Labels{{"job", "api"}}},
      {"keep_not_matching_drops",
       {{"job", "db"}},
       {{.action = A::kKeep, .src = {"job"}, .regex = "api|web"}},
       std::nullopt},
      {"keep_is_anchored",
       {{"job", "apis"}},
       {{.action = A::kKeep, .src = {"job"}, .regex = "api"}},
       std::nullopt},
      {"drop_matching",
       {{"job", "db"}},
       {{.action = A::kDrop, .src = {"job"}, .regex = "d.*"}},
       std::nullopt},
      {"drop_not_matching_keeps",
       {{"job", "db"}},
       {{.action = A::kDrop, .src = {"job"}, .regex = "x"}},
       Labels{{"job", "db"}}},
      {"drop_stops_later_rules",
       {{"job", "db"}},
       {{.action = A::kDrop, .src = {"job"}}, {.target = "never", .repl = "set"}},
       std::nullopt},
      {"drop_on_missing_label_with_empty_regex",
       {{"job", "db"}},
       {{.action = A::kDrop, .src = {"team"}, .regex = ""}},
       std::nullopt},
      {"keepequal_equal",
       {{"__tmp_a", "9"}, {"__tmp_b", "9"}},
       {{.action = A::kKeepEqual, .src = {"__tmp_a"}, .target = "__tmp_b"}},
       Labels{{"__tmp_a", "9"}, {"__tmp_b", "9"}}},
      {"keepequal_different_drops",
       {{"__tmp_a", "9"}, {"__tmp_b", "8"}},
       {{.action = A::kKeepEqual, .src = {"__tmp_a"}, .target = "__tmp_b"}},
       std::nullopt},
      {"dropequal_equal_drops",
       {{"__tmp_a", "9"}, {"__tmp_b", "9"}},
       {{.action = A::kDropEqual, .src = {"__tmp_a"}, .target = "__tmp_b"}},
       std::nullopt},
      {"dropequal_different_keeps",
       {{"__tmp_a", "9"}, {"__tmp_b", "8"}},
       {{.action = A::kDropEqual, .src = {"__tmp_a"}, .target = "__tmp_b"}},
       Labels{{"__tmp_a", "9"}, {"__tmp_b", "8"}}},
      {"keepequal_joined_sources",
       {{"a", "x"}, {"b", "y"}, {"ab", "x;y"}},
       {{.action = A::kKeepEqual, .src = {"a", "b"}, .target = "ab"}},
       Labels{{"a", "x"}, {"b", "y"}, {"ab", "x;y"}}},
      {"hashmod_one_source",
       {{"inst", "baz"}},
       {{.action = A::kHashMod, .src = {"inst"}, .target = "shard", .modulus = 1000}},
       Labels{{"inst", "baz"}, {"shard", "976"}}},
      {"hashmod_value_with_newline",
       {{"inst", "foo\nbar"}},
       {{.action = A::kHashMod, .src = {"inst"}, .target = "shard", .modulus = 1000}},
       Labels{{"inst", "foo\nbar"}, {"shard", "734"}}},
      {"hashmod_two_sources_joined_by_newline",
       {{"a", "foo"}, {"b", "bar"}},
       {{.action = A::kHashMod,
         .src = {"a", "b"},
         .target = "shard",
         .sep = "\n",
         .modulus = 1000}},
       Labels{{"a", "foo"}, {"b", "bar"}, {"shard", "734"}}},
      {"hashmod_address",
       {{"__address__", "10.0.0.1:9100"}},
       {{.action = A::kHashMod, .src = {"__address__"}, .target = "__tmp_hash", .modulus = 3}},
       Labels{{"__address__", "10.0.0.1:9100"}, {"__tmp_hash", "2"}}},
      {"hashmod_empty_value",
       {{"job", "x"}},
       {{.action = A::kHashMod, .src = {"nope"}, .target = "h", .modulus = 3}},
       Labels{{"job", "x"}, {"h", "1"}}},
      {"hashmod_sharding_recipe_keeps_own_shard",
       {{"__address__", "10.0.0.2:9100"}},
       {{.action = A::kHashMod, .src = {"__address__"}, .target = "__tmp_hash", .modulus = 3},
        {.action = A::kKeep, .src = {"__tmp_hash"}, .regex = "0"},
        {.action = A::kLabelDrop, .regex = "__tmp_hash"}},
       Labels{{"__address__", "10.0.0.2:9100"}}},
      {"hashmod_sharding_recipe_drops_other_shard",
       {{"__address__", "10.0.0.1:9100"}},
       {{.action = A::kHashMod, .src = {"__address__"}, .target = "__tmp_hash", .modulus = 3},
        {.action = A::kKeep, .src = {"__tmp_hash"}, .regex = "0"}},
       std::nullopt},
      {"labelmap_prefix",
       {{"__meta_pod_label_app", "web"}, {"__meta_pod_label_tier", "fe"}, {"job", "k"}},
       {{.action = A::kLabelMap, .regex = "__meta_pod_label_(.+)"}},
       Labels{{"__meta_pod_label_app", "web"},
              {"__meta_pod_label_tier", "fe"},
              {"job", "k"},
              {"app", "web"},
              {"tier", "fe"}}},
      {"labelmap_replacement_template",
       {{"p1", "a"}, {"p2", "b"}, {"q", "c"}},
       {{.action = A::kLabelMap, .regex = "p(.)", .repl = "param_${1}"}},
       Labels{{"p1", "a"}, {"p2", "b"}, {"q", "c"}, {"param_1", "a"}, {"param_2", "b"}}},
      {"labelmap_added_labels_are_visited_after_base",
       // Prometheus visits base labels (sorted) and then added ones: the added x_a wins over
       // the base x_b although it sorts first.
       {{"x_b", "from_base"}},
       {{.target = "x_a", .repl = "added"}, {.action = A::kLabelMap, .regex = "x_.", .repl = "y"}},
       Labels{{"x_a", "added"}, {"x_b", "from_base"}, {"y", "added"}}},
      {"labeldrop",
       {{"a", "1"}, {"b1", "2"}, {"b2", "3"}},
       {{.action = A::kLabelDrop, .regex = "b.*"}},
       Labels{{"a", "1"}}},
      {"labeldrop_anchored",
       {{"a", "1"}, {"ab", "2"}},
       {{.action = A::kLabelDrop, .regex = "a"}},
       Labels{{"ab", "2"}}},
      {"labelkeep",
       {{"__name__", "up"}, {"a", "1"}, {"b", "2"}},
       {{.action = A::kLabelKeep, .regex = "__name__|a"}},
       Labels{{"__name__", "up"}, {"a", "1"}}},
      {"labeldrop_then_replace_recreates",
       {{"port_name", "foo"}, {"port_ann", "9091"}},
       {{.action = A::kLabelDrop, .regex = "port_name"},
        {.src = {"port_ann"}, .regex = "(.+)", .target = "port_name", .repl = "metrics"},
        {.action = A::kKeep, .src = {"port_name"}, .regex = "metrics"}},
       Labels{{"port_ann", "9091"}, {"port_name", "metrics"}}},
      {"lowercase_uppercase",
       {{"v", "MiXeD-42"}},
       {{.action = A::kLowercase, .src = {"v"}, .target = "lo"},
        {.action = A::kUppercase, .src = {"v"}, .target = "up"}},
       Labels{{"v", "MiXeD-42"}, {"lo", "mixed-42"}, {"up", "MIXED-42"}}},
      {"lowercase_unicode",
       {{"v", "ÄÖÜ Straße"}},
       {{.action = A::kLowercase, .src = {"v"}, .target = "lo"},
        {.action = A::kUppercase, .src = {"v"}, .target = "up"}},
       Labels{{"v", "ÄÖÜ Straße"}, {"lo", "äöü straße"}, {"up", "ÄÖÜ STRAßE"}}},
      {"lowercase_empty_deletes",
       {{"v", "X"}, {"lo", "old"}},
       {{.action = A::kLowercase, .src = {"missing"}, .target = "lo"}},
       Labels{{"v", "X"}}},
      {"no_rules_is_identity", {{"a", "1"}}, {}, Labels{{"a", "1"}}},
  };
  return cases;
}

TEST(RelabelTest, Table) {
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.name);
    std::vector<Config> cfgs;
    for (const Rule& r : c.rules) {
      cfgs.push_back(ToConfig(r));
      EXPECT_TRUE(cfgs.back().Validate().ok()) << cfgs.back().Validate().ToString();
    }
    std::optional<Labels> got = Process(c.in, cfgs);
    ASSERT_EQ(got.has_value(), c.want.has_value());
    if (got) {
      EXPECT_EQ(got->ToString(), c.want->ToString());
    }

    // The LabelsBuilder overload agrees.
    LabelsBuilder lb;
    bool kept = Process(c.in, cfgs, &lb);
    ASSERT_EQ(kept, c.want.has_value());
    if (kept) {
      EXPECT_EQ(lb.Build(), *c.want);
    }
  }
}

TEST(RelabelTest, HashModVectors) {
  struct V {
    std::string value;
    uint64_t mod;
    uint64_t want;
  };
  const std::vector<V> vectors = {
      {"baz", 1000, 976},
      {"foo\nbar", 1000, 734},
      {"10.0.0.1:9100", 3, 2},
      {"10.0.0.2:9100", 3, 0},
      {"node-a:9100", 4, 3},
      {"x;y", 7, 3},
      {"", 3, 1},
  };
  for (const V& v : vectors) {
    EXPECT_EQ(HashMod(v.value, v.mod), v.want) << v.value;
    EXPECT_EQ(ShardOf(v.value, v.mod), v.want) << v.value;
  }
  EXPECT_EQ(HashMod("anything", 0), 0u);  // never divides by zero
}

TEST(RelabelTest, ShardingMatchesRelabelRecipe) {
  for (uint64_t n = 1; n <= 7; ++n) {
    for (int t = 0; t < 300; ++t) {
      std::string addr = "10.0." + std::to_string(t / 50) + "." + std::to_string(t) + ":9100";
      Labels target{{"__address__", addr}, {"job", "node"}};
      int owners = 0;
      for (uint64_t i = 0; i < n; ++i) {
        std::vector<Config> cfgs = ShardRelabelConfigs(i, n);
        for (const Config& c : cfgs) {
          ASSERT_TRUE(c.Validate().ok());
        }
        std::optional<Labels> got = Process(target, cfgs);
        ASSERT_EQ(got.has_value(), KeepShard(target, i, n)) << addr << " " << i << "/" << n;
        if (got) {
          ++owners;
          EXPECT_EQ(*got, target);  // the temporary label is removed again
        }
      }
      EXPECT_EQ(owners, 1) << addr;
    }
  }
}

TEST(RelabelTest, ParseShard) {
  struct P {
    const char* in;
    bool ok;
    uint64_t i, n;
  };
  for (const P& p : std::vector<P>{{"0/1", true, 0, 1},
                                   {"2/3", true, 2, 3},
                                   {"3/3", false},
                                   {"1", false},
                                   {"/3", false},
                                   {"1/", false},
                                   {"a/3", false},
                                   {"-1/3", false},
                                   {"0/0", false},
                                   {"1/3x", false}}) {
    auto r = ParseShard(p.in);
    ASSERT_EQ(r.has_value(), p.ok) << p.in;
    if (r) {
      EXPECT_EQ(r->first, p.i);
      EXPECT_EQ(r->second, p.n);
    } else {
      EXPECT_TRUE(r.error().IsInvalidArgument());
    }
  }
}

TEST(RelabelTest, Validate) {
  struct V {
    const char* name;
    Rule rule;
    const char* want_error;  // "" when valid
  };
  const std::vector<V> cases = {
      {"hashmod_needs_modulus",
       {.action = A::kHashMod, .src = {"a"}, .target = "h"},
       "relabel configuration for hashmod requires non-zero modulus"},
      {"replace_needs_target",
       {.src = {"a"}},
       "relabel configuration for replace action "
       "requires 'target_label' value"},
      {"hashmod_needs_target",
       {.action = A::kHashMod, .src = {"a"}, .modulus = 2},
       "relabel configuration for hashmod action requires 'target_label' value"},
      {"lowercase_needs_target",
       {.action = A::kLowercase, .src = {"a"}},
       "relabel configuration for lowercase action requires 'target_label' value"},
      {"keepequal_needs_target",
       {.action = A::kKeepEqual, .src = {"a"}},
       "relabel configuration for keepequal action requires 'target_label' value"},
      {"legacy_invalid_target",
       {.src = {"a"}, .target = "0xyz", .names = NameValidation::kLegacy},
       "\"0xyz\" is invalid 'target_label' for replace action"},
      {"utf8_allows_dotted_target", {.src = {"a"}, .target = "k8s.pod"}, ""},
      {"utf8_rejects_invalid_utf8_target",
       {.src = {"a"}, .target = "\xff"},
       "\"\\xff\" is invalid 'target_label' for replace action"},
      {"legacy_allows_vars_in_target",
       {.src = {"a"}, .target = "x_${1}_$name", .names = NameValidation::kLegacy},
       ""},
      {"legacy_rejects_bad_var_target",
       {.src = {"a"}, .target = "-${1}", .names = NameValidation::kLegacy},
       "\"-${1}\" is invalid 'target_label' for replace action"},
      {"legacy_rejects_open_brace_var",
       {.src = {"a"}, .target = "foo${", .names = NameValidation::kLegacy},
       "is invalid 'target_label'"},
      {"lowercase_legacy_rejects_var_target",
       {.action = A::kLowercase, .src = {"a"}, .target = "${3}", .names = NameValidation::kLegacy},
       "\"${3}\" is invalid 'target_label' for lowercase action"},
      {"lowercase_utf8_allows_var_target",
       {.action = A::kLowercase, .src = {"a"}, .target = "${3}"},
       ""},
      {"uppercase_rejects_replacement",
       {.action = A::kUppercase, .src = {"a"}, .target = "b", .repl = "x"},
       "'replacement' can not be set for uppercase action"},
      {"labelmap_legacy_bad_replacement",
       {.action = A::kLabelMap, .regex = "(.*)", .repl = "1abc", .names = NameValidation::kLegacy},
       "\"1abc\" is invalid 'replacement' for labelmap action"},
      {"labelmap_legacy_var_replacement_ok",
       {.action = A::kLabelMap,
        .regex = "__meta_(.+)",
        .repl = "${1}",
        .names = NameValidation::kLegacy},
       ""},
      {"hashmod_legacy_bad_target",
       {.action = A::kHashMod,
        .src = {"a"},
        .target = "${1}",
        .modulus = 2,
        .names = NameValidation::kLegacy},
       "\"${1}\" is invalid 'target_label' for hashmod action"},
      {"keepequal_rejects_regex",
       {.action = A::kKeepEqual, .src = {"a"}, .regex = "(.*)", .target = "b"},
       "keepequal action requires only 'source_labels' and `target_label`, and no other fields"},
      {"dropequal_rejects_separator",
       {.action = A::kDropEqual, .src = {"a"}, .target = "b", .sep = ","},
       "dropequal action requires only 'source_labels' and `target_label`, and no other fields"},
      {"dropequal_rejects_modulus",
       {.action = A::kDropEqual, .src = {"a"}, .target = "b", .modulus = 3},
       "dropequal action requires only"},
      {"labeldrop_rejects_sources",
       {.action = A::kLabelDrop, .src = {"a"}, .regex = "a"},
       "labeldrop action requires only 'regex', and no other fields"},
      {"labelkeep_rejects_target",
       {.action = A::kLabelKeep, .regex = "a", .target = "b"},
       "labelkeep action requires only 'regex', and no other fields"},
      {"labelkeep_rejects_replacement",
       {.action = A::kLabelKeep, .regex = "a", .repl = "x"},
       "labelkeep action requires only 'regex', and no other fields"},
      {"labeldrop_rejects_separator",
       {.action = A::kLabelDrop, .regex = "a", .sep = "-"},
       "labeldrop action requires only 'regex', and no other fields"},
      {"keep_with_anything_is_fine",
       {.action = A::kKeep, .src = {"a"}, .regex = "x", .target = "t", .repl = "r"},
       ""},
  };
  for (const V& v : cases) {
    SCOPED_TRACE(v.name);
    Status s = ToConfig(v.rule).Validate();
    if (std::string(v.want_error).empty()) {
      EXPECT_TRUE(s.ok()) << s.ToString();
    } else {
      ASSERT_FALSE(s.ok());
      EXPECT_TRUE(s.IsInvalidArgument());
      EXPECT_NE(s.message().find(v.want_error), std::string_view::npos) << s.message();
    }
  }
}

TEST(RelabelTest, LegacyTargetNames) {
  // Which target_label templates legacy validation accepts for replace.
  struct T {
    const char* target;
    bool valid;
  };
  for (const T& t : std::vector<T>{{"-label", false},
                                   {"label", true},
                                   {"label${1}", true},
                                   {"${1}label", true},
                                   {"${1}", true},
                                   {"${", false},
                                   {"$", false},
                                   {"${}", false},
                                   {"$1", true},
                                   {"asd$2asd", true},
                                   {"bar.foo${1}bar", false},
                                   {"_${1}_", true},
                                   {"foo${bar}foo", true}}) {
    Rule r{.src = {"a"}, .target = t.target, .names = NameValidation::kLegacy};
    EXPECT_EQ(ToConfig(r).Validate().ok(), t.valid) << t.target;
  }
}

TEST(RelabelTest, ParseAction) {
  EXPECT_EQ(*ParseAction("replace"), Action::kReplace);
  EXPECT_EQ(*ParseAction("HashMod"), Action::kHashMod);
  EXPECT_EQ(*ParseAction("LABELDROP"), Action::kLabelDrop);
  EXPECT_EQ(*ParseAction("keepequal"), Action::kKeepEqual);
  auto bad = ParseAction("explode");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message(), "unknown relabel action \"explode\"");
  for (Action a : {Action::kReplace, Action::kKeep, Action::kDrop, Action::kKeepEqual,
                   Action::kDropEqual, Action::kHashMod, Action::kLabelMap, Action::kLabelDrop,
                   Action::kLabelKeep, Action::kLowercase, Action::kUppercase}) {
    EXPECT_EQ(*ParseAction(ActionName(a)), a);
  }
}

TEST(RelabelTest, RegexpCompile) {
  auto bad = Regexp::Compile("(unclosed");
  ASSERT_FALSE(bad.has_value());
  // Go's wording, over the anchored expression as Prometheus compiles it.
  EXPECT_EQ(bad.error().message(), "error parsing regexp: missing closing ): `^(?s:(unclosed)$`");
  EXPECT_EQ(Regexp::Compile("a**").error().message(),
            "error parsing regexp: invalid nested repetition operator: `**`");

  Regexp def;
  EXPECT_TRUE(def.is_default());
  EXPECT_EQ(def.pattern(), "(.*)");
  auto explicit_default = Regexp::Compile("(.*)");
  ASSERT_TRUE(explicit_default.has_value());
  EXPECT_FALSE(explicit_default->is_default());

  // (?<name>) is rewritten only outside classes and escapes.
  auto cls = Regexp::Compile("[(?<]x");
  ASSERT_TRUE(cls.has_value());
  EXPECT_TRUE(cls->Match("<x"));
  auto esc = Regexp::Compile("\\(?<a>");
  ASSERT_TRUE(esc.has_value());
  EXPECT_TRUE(esc->Match("<a>"));
  EXPECT_TRUE(esc->Match("(<a>"));
}

TEST(RelabelTest, ExpandLikeGo) {
  struct E {
    const char* re;
    const char* in;
    const char* tmpl;
    const char* want;
  };
  for (const E& e : std::vector<E>{
           {"(a)(b)", "ab", "$2$1", "ba"},
           {"(a)(b)", "ab", "${2}${1}", "ba"},
           {"(a)(b)", "ab", "$3", ""},
           {"(a)(b)", "ab", "$01", ""},  // leading zero: a name, not a number
           {"(?P<x>a)(b)", "ab", "$x-${x}", "a-a"},
           {"(?P<x>a)(b)", "ab", "$y", ""},
           {"(a)", "a", "$", "$"},
           {"(a)", "a", "a$", "a$"},
           {"(a)", "a", "${}", "${}"},
           {"(a)", "a", "$-1", "$-1"},
           {"(a)", "a", "$$$1", "$a"},
           {"(a)", "a", "${1}${1}", "aa"},
           {"(a)", "a", "${1 }", "${1 }"},
       }) {
    auto re = Regexp::Compile(e.re);
    ASSERT_TRUE(re.has_value());
    std::vector<std::string_view> groups;
    ASSERT_TRUE(re->Submatch(e.in, &groups));
    std::string out;
    re->Expand(e.tmpl, groups, &out);
    EXPECT_EQ(out, e.want) << e.tmpl;
  }
}

TEST(RelabelTest, BuilderMatchesPrometheusSemantics) {
  Builder b(Labels{{"a", "1"}, {"b", "2"}});
  b.Set("c", "3");
  b.Del("a");
  EXPECT_EQ(b.Get("a"), "");
  b.Set("a", "again");  // an added label wins over an earlier delete
  EXPECT_EQ(b.Get("a"), "again");
  b.Set("b", "");  // empty deletes
  EXPECT_EQ(b.Build(), (Labels{{"a", "again"}, {"c", "3"}}));
  std::vector<std::string> order;
  b.Range([&](std::string_view n, std::string_view) { order.emplace_back(n); });
  EXPECT_EQ(order, (std::vector<std::string>{"c", "a"}));  // insertion order of added labels
}

TEST(RelabelTest, LabelNameValidity) {
  EXPECT_TRUE(IsValidLabelName("abc_1", NameValidation::kLegacy));
  EXPECT_FALSE(IsValidLabelName("1abc", NameValidation::kLegacy));
  EXPECT_FALSE(IsValidLabelName("a:b", NameValidation::kLegacy));
  EXPECT_TRUE(IsValidMetricName("a:b", NameValidation::kLegacy));
  EXPECT_TRUE(IsValidLabelName("a.b-c", NameValidation::kUTF8));
  EXPECT_FALSE(IsValidLabelName("", NameValidation::kUTF8));
  EXPECT_FALSE(IsValidLabelName("\xc3\x28", NameValidation::kUTF8));
  EXPECT_FALSE(IsValidUTF8("\xed\xa0\x80"));  // surrogate
  EXPECT_FALSE(IsValidUTF8("\xc0\xaf"));      // overlong
  EXPECT_TRUE(IsValidUTF8("日本"));
  EXPECT_EQ(GoQuote("a\"b\xff\n"), "\"a\\\"b\\xff\\n\"");
}

}  // namespace
}  // namespace vigil::relabel
