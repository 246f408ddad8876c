#include "scrape/target.h"

#include <gtest/gtest.h>

namespace vigil::scrape {
namespace {

relabel::Config Rule(relabel::Action action, std::vector<std::string> src, std::string regex,
                     std::string target = "", std::string replacement = "$1") {
  relabel::Config c;
  c.action = action;
  c.source_labels = std::move(src);
  c.regex = *relabel::Regexp::Compile(regex);
  c.target_label = std::move(target);
  c.replacement = std::move(replacement);
  return c;
}

TargetDefaults Defaults() {
  TargetDefaults d;
  d.job_name = "job1";
  d.scrape_interval_ms = 15000;
  d.scrape_timeout_ms = 10000;
  return d;
}

TEST(PopulateLabelsTest, Table) {
  struct Case {
    const char* name;
    Labels target, group;
    std::vector<relabel::Config> rules;
    std::string want;             // Labels::ToString of the result, "" if dropped/error
    std::string want_error;       // substring
    bool want_discovered = true;  // discovered labels non-empty
  };
  std::vector<Case> cases = {
      {"defaults",
       Labels{{"__address__", "h:1"}},
       Labels{},
       {},
       "{__address__=\"h:1\", __metrics_path__=\"/metrics\", __scheme__=\"http\", "
       "__scrape_interval__=\"15s\", __scrape_timeout__=\"10s\", instance=\"h:1\", job=\"job1\"}"},
      {"group labels and meta dropped",
       Labels{{"__address__", "h:1"}, {"a", "target"}},
       Labels{{"a", "group"}, {"b", "g"}, {"__meta_x", "m"}},
       {},
       "{__address__=\"h:1\", __metrics_path__=\"/metrics\", __scheme__=\"http\", "
       "__scrape_interval__=\"15s\", __scrape_timeout__=\"10s\", a=\"target\", b=\"g\", "
       "instance=\"h:1\", job=\"job1\"}"},
      {"instance and job kept when set",
       Labels{{"__address__", "h:1"}, {"instance", "i"}, {"job", "j"}},
       Labels{},
       {},
       "{__address__=\"h:1\", __metrics_path__=\"/metrics\", __scheme__=\"http\", "
       "__scrape_interval__=\"15s\", __scrape_timeout__=\"10s\", instance=\"i\", job=\"j\"}"},
      {"relabel from meta then meta dropped",
       Labels{{"__address__", "h:1"}},
       Labels{{"__meta_dc", "dc2"}},
       {Rule(relabel::Action::kReplace, {"__meta_dc"}, "(.*)", "dc")},
       "{__address__=\"h:1\", __metrics_path__=\"/metrics\", __scheme__=\"http\", "
       "__scrape_interval__=\"15s\", __scrape_timeout__=\"10s\", dc=\"dc2\", instance=\"h:1\", "
       "job=\"job1\"}"},
      {"dropped by keep",
       Labels{{"__address__", "h:1"}},
       Labels{},
       {Rule(relabel::Action::kKeep, {"__address__"}, "other:.*")},
       ""},
      {"no address after relabel",
       Labels{{"__address__", "h:1"}},
       Labels{},
       {Rule(relabel::Action::kReplace, {}, "(.*)", "__address__", "")},
       "",
       "no address",
       false},
      {"slash in address",
       Labels{{"__address__", "h:1/x"}},
       Labels{},
       {},
       "",
       "is not a valid hostname",
       false},
      {"bad interval",
       Labels{{"__address__", "h:1"}, {"__scrape_interval__", "x"}},
       Labels{},
       {},
       "",
       "error parsing scrape interval",
       false},
      {"timeout above interval",
       Labels{{"__address__", "h:1"}, {"__scrape_interval__", "5s"}, {"__scrape_timeout__", "6s"}},
       Labels{},
       {},
       "",
       "scrape timeout cannot be greater than scrape interval (\"6s\" > \"5s\")",
       false},
      {"zero interval",
       Labels{{"__address__", "h:1"}, {"__scrape_interval__", "0s"}},
       Labels{},
       {},
       "",
       "scrape interval cannot be 0",
       false},
  };
  for (const auto& c : cases) {
    PopulateResult r = PopulateLabels(c.target, c.group, Defaults(), c.rules);
    if (!c.want_error.empty()) {
      ASSERT_FALSE(r.error.ok()) << c.name;
      EXPECT_NE(r.error.message().find(c.want_error), std::string::npos)
          << c.name << ": " << r.error.message();
      EXPECT_TRUE(r.labels.empty()) << c.name;
      continue;
    }
    EXPECT_TRUE(r.error.ok()) << c.name << ": " << r.error.ToString();
    EXPECT_EQ(r.labels.empty() ? "" : r.labels.ToString(), c.want) << c.name;
    EXPECT_EQ(!r.discovered.empty(), c.want_discovered) << c.name;
  }
}

TEST(TargetTest, UrlAndParams) {
  TargetDefaults d = Defaults();
  d.params = {{"module", {"http_2xx"}}, {"a b", {"x y", "z"}}};
  d.scheme = "https";
  d.metrics_path = "/probe";
  PopulateResult r =
      PopulateLabels(Labels{{"__address__", "h:9115"}, {"__param_target", "t&1"}}, Labels{}, d, {});
  ASSERT_TRUE(r.error.ok());
  EXPECT_EQ(r.labels.Get("__param_module"), "http_2xx");
  Target t(r.labels, r.discovered, d.params);
  EXPECT_EQ(t.url(), "https://h:9115/probe?a+b=x+y&a+b=z&module=http_2xx&target=t%261");
  EXPECT_EQ(t.interval_ms(), 15000);
  EXPECT_EQ(t.timeout_ms(), 10000);
  EXPECT_EQ(t.PublicLabels().ToString(), "{instance=\"h:9115\", job=\"job1\"}");
}

TEST(TargetTest, GroupsDedupDropAndErrors) {
  std::vector<TargetGroup> groups = {
      {"a:0", {Labels{{"__address__", "h:1"}}, Labels{{"__address__", "h:2"}}}, Labels{}},
      {"a:1", {Labels{{"__address__", "h:1"}}, Labels{{"__address__", "bad/"}}}, Labels{}},
  };
  std::vector<relabel::Config> rules = {Rule(relabel::Action::kDrop, {"__address__"}, "h:2")};
  std::vector<std::shared_ptr<Target>> active;
  std::vector<DroppedTarget> dropped;
  std::vector<Status> errors;
  TargetsFromGroups(groups, Defaults(), rules, 0, &active, &dropped, &errors);
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0]->address(), "h:1");
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0].discovered.Get("__address__"), "h:2");
  EXPECT_EQ(errors.size(), 1u);
}

TEST(TargetTest, ShardSplitIsAPartition) {
  std::vector<TargetGroup> groups(1);
  for (int i = 0; i < 200; ++i) {
    groups[0].targets.push_back(Labels{{"__address__", "10.0.0." + std::to_string(i) + ":9100"}});
  }
  std::map<std::string, int> owners;
  for (uint64_t shard = 0; shard < 2; ++shard) {
    std::vector<std::shared_ptr<Target>> active;
    std::vector<DroppedTarget> dropped;
    std::vector<Status> errors;
    auto rules = relabel::ShardRelabelConfigs(shard, 2);
    TargetsFromGroups(groups, Defaults(), rules, 0, &active, &dropped, &errors);
    EXPECT_GT(active.size(), 50u);
    EXPECT_EQ(active.size() + dropped.size(), 200u);
    for (const auto& t : active) {
      owners[t->address()]++;
      EXPECT_FALSE(t->labels().Has("__tmp_shard"));
      EXPECT_TRUE(relabel::KeepShard(t->labels(), shard, 2));
    }
  }
  EXPECT_EQ(owners.size(), 200u);
  for (const auto& [a, n] : owners) EXPECT_EQ(n, 1) << a;
}

}  // namespace
}  // namespace vigil::scrape
