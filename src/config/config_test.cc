#include "config/config.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace vigil::config {
namespace {

namespace fs = std::filesystem;

// Tests run with the source tree as working directory (vigil_add_test).
const std::string kDir = "testdata/config";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> FilesEndingWith(const std::string& suffix) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(kDir)) {
    std::string p = e.path().string();
    if (p.size() > suffix.size() && p.substr(p.size() - suffix.size()) == suffix) out.push_back(p);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Each testdata/config/*.bad.yml starts with "# expect: <substring of the error>".
TEST(ConfigTest, BadFilesFailWithFileLineAndReason) {
  std::vector<std::string> files = FilesEndingWith(".bad.yml");
  ASSERT_GE(files.size(), 50u);
  for (const auto& path : files) {
    SCOPED_TRACE(path);
    std::string text = ReadAll(path);
    const std::string kPrefix = "# expect: ";
    ASSERT_EQ(text.rfind(kPrefix, 0), 0u) << "missing '# expect:' line";
    std::string expect = text.substr(kPrefix.size(), text.find('\n') - kPrefix.size());
    Status err;
    auto cfg = LoadFile(path);
    if (cfg) {
      auto scrapes = cfg->GetScrapeConfigs();
      ASSERT_FALSE(scrapes.has_value()) << "loaded without error";
      err = scrapes.error();
    } else {
      err = cfg.error();
    }
    EXPECT_TRUE(err.IsInvalidArgument()) << err.ToString();
    EXPECT_NE(err.message().find(expect), std::string_view::npos)
        << "want substring: " << expect << "\n got: " << err.message();
  }
}

TEST(ConfigTest, GoodFilesLoadAndRoundTrip) {
  std::vector<std::string> files = FilesEndingWith(".good.yml");
  ASSERT_GE(files.size(), 5u);
  for (const auto& path : files) {
    SCOPED_TRACE(path);
    auto cfg = LoadFile(path);
    ASSERT_TRUE(cfg.has_value()) << cfg.error().ToString();
    auto scrapes = cfg->GetScrapeConfigs();
    ASSERT_TRUE(scrapes.has_value()) << scrapes.error().ToString();
    // The effective config is itself a valid config that renders identically.
    std::string yaml = cfg->ToYAML();
    auto again = Load(yaml, {.file_name = "effective.yml"});
    ASSERT_TRUE(again.has_value()) << again.error().ToString() << "\n" << yaml;
    EXPECT_EQ(again->ToYAML(), yaml);
  }
}

TEST(ConfigTest, FullFileValues) {
  auto cfg = LoadFile(kDir + "/full.good.yml");
  ASSERT_TRUE(cfg.has_value()) << cfg.error().ToString();
  const Config& c = *cfg;
  EXPECT_EQ(c.global.scrape_interval_ms, 15000);
  EXPECT_EQ(c.global.scrape_timeout_ms, 10000);  // default, below the interval
  EXPECT_EQ(c.global.evaluation_interval_ms, 30000);
  EXPECT_EQ(c.global.rule_query_offset_ms, 10000);
  EXPECT_EQ(c.global.query_log_file, kDir + "/query.log");
  EXPECT_EQ(c.global.external_labels, (Labels{{"cluster", "eu-west"}, {"replica", "a"}}));
  EXPECT_EQ(c.global.body_size_limit_bytes, 10 << 20);
  EXPECT_EQ(c.rule_files, std::vector<std::string>{kDir + "/rules/*.yml"});

  ASSERT_EQ(c.alerting.alertmanagers.size(), 1u);
  const AlertmanagerConfig& am = c.alerting.alertmanagers[0];
  EXPECT_EQ(am.scheme, "https");
  EXPECT_EQ(am.path_prefix, "/am");
  EXPECT_EQ(am.timeout_ms, 5000);
  ASSERT_EQ(am.sd.static_configs.size(), 1u);
  EXPECT_EQ(am.sd.static_configs[0].targets, (std::vector<std::string>{"am-1:9093", "am-2:9093"}));
  ASSERT_EQ(c.alerting.alert_relabel_configs.size(), 1u);
  EXPECT_EQ(c.alerting.alert_relabel_configs[0].action, relabel::Action::kLabelDrop);

  ASSERT_EQ(c.scrape_configs.size(), 3u);
  const ScrapeConfig& prom = c.scrape_configs[0];
  EXPECT_EQ(prom.job_name, "prometheus");
  EXPECT_EQ(prom.scrape_interval_ms, 15000);  // inherited from global
  EXPECT_EQ(prom.scrape_timeout_ms, 10000);
  EXPECT_EQ(prom.metrics_path, "/metrics");
  EXPECT_EQ(prom.scheme, "http");
  EXPECT_TRUE(prom.honor_timestamps);
  EXPECT_EQ(prom.sample_limit, 50000u);  // inherited from global
  EXPECT_EQ(prom.body_size_limit_bytes, 10 << 20);
  EXPECT_TRUE(prom.http.follow_redirects);
  EXPECT_TRUE(prom.http.enable_http2);
  EXPECT_EQ(prom.scrape_protocols.front(), "OpenMetricsText1.0.0");

  const ScrapeConfig& node = c.scrape_configs[1];
  EXPECT_EQ(node.scrape_interval_ms, 30000);
  EXPECT_EQ(node.scrape_timeout_ms, 20000);
  EXPECT_TRUE(node.honor_labels);
  EXPECT_FALSE(node.honor_timestamps);
  EXPECT_EQ(node.metrics_path, "/probe");
  EXPECT_EQ(node.scheme, "https");
  EXPECT_EQ(node.params.at("module"), std::vector<std::string>{"http_2xx"});
  EXPECT_EQ(node.sample_limit, 1000u);
  EXPECT_EQ(node.label_limit, 64u);
  EXPECT_EQ(node.label_name_length_limit, 128u);
  EXPECT_EQ(node.label_value_length_limit, 1024u);
  EXPECT_EQ(node.body_size_limit_bytes, int64_t{1} << 30);
  EXPECT_EQ(node.target_limit, 100u);
  ASSERT_TRUE(node.http.basic_auth.has_value());
  EXPECT_EQ(node.http.basic_auth->username, "scraper");
  EXPECT_EQ(node.http.basic_auth->password, "hunter2");
  EXPECT_EQ(node.http.tls_config.ca_file, kDir + "/ca.pem");
  EXPECT_EQ(node.http.tls_config.server_name, "node.internal");
  EXPECT_TRUE(node.http.tls_config.insecure_skip_verify);
  EXPECT_FALSE(node.http.follow_redirects);
  EXPECT_FALSE(node.http.enable_http2);
  ASSERT_EQ(node.sd.file_sd_configs.size(), 1u);
  EXPECT_EQ(node.sd.file_sd_configs[0].files, std::vector<std::string>{kDir + "/targets/*.json"});
  EXPECT_EQ(node.sd.file_sd_configs[0].refresh_interval_ms, 60000);
  ASSERT_EQ(node.sd.static_configs.size(), 1u);
  EXPECT_EQ(node.sd.static_configs[0].labels, (Labels{{"dc", "dc1"}, {"rack", "7"}}));
  ASSERT_EQ(node.relabel_configs.size(), 3u);
  EXPECT_EQ(node.relabel_configs[0].action, relabel::Action::kHashMod);
  EXPECT_EQ(node.relabel_configs[0].modulus, 4u);
  ASSERT_EQ(node.metric_relabel_configs.size(), 1u);
  EXPECT_EQ(node.metric_relabel_configs[0].regex.pattern(), "go_.*");

  const ScrapeConfig& disc = c.scrape_configs[2];
  ASSERT_TRUE(disc.http.authorization.has_value());  // bearer_token_file folded in
  EXPECT_EQ(disc.http.authorization->type, "Bearer");
  EXPECT_EQ(disc.http.authorization->credentials_file, kDir + "/token");
  EXPECT_TRUE(disc.http.bearer_token_file.empty());
  ASSERT_EQ(disc.sd.http_sd_configs.size(), 1u);
  EXPECT_EQ(disc.sd.http_sd_configs[0].url, "http://sd.internal:8080/targets");
  EXPECT_EQ(disc.sd.http_sd_configs[0].refresh_interval_ms, 30000);

  ASSERT_EQ(c.remote_write.size(), 1u);
  const RemoteWriteConfig& rw = c.remote_write[0];
  EXPECT_EQ(rw.name, "long-term");
  EXPECT_EQ(rw.remote_timeout_ms, 10000);
  EXPECT_EQ(rw.headers.at("X-Scope-OrgID"), "team-a");
  EXPECT_EQ(rw.queue_config.capacity, 20000);
  EXPECT_EQ(rw.queue_config.max_shards, 10);
  EXPECT_EQ(rw.queue_config.min_shards, 2);
  EXPECT_EQ(rw.queue_config.max_samples_per_send, 500);
  EXPECT_EQ(rw.queue_config.batch_send_deadline_ms, 5000);  // default kept
  EXPECT_FALSE(rw.http.enable_http2);                       // remote-write default
  ASSERT_EQ(c.remote_read.size(), 1u);
  EXPECT_TRUE(c.remote_read[0].read_recent);
  EXPECT_EQ(c.remote_read[0].remote_timeout_ms, 60000);
  EXPECT_EQ(c.remote_read[0].required_matchers.at("team"), "a");
}

// The effective configuration of full.good.yml, as /api/v1/status/config serves it. Regenerate
// with VIGIL_UPDATE_GOLDEN=1 after an intended change and review the diff.
TEST(ConfigTest, ToYAMLGolden) {
  auto cfg = LoadFile(kDir + "/full.good.yml");
  ASSERT_TRUE(cfg.has_value()) << cfg.error().ToString();
  std::string got = cfg->ToYAML();
  const std::string golden = kDir + "/full.good.yml.out";
  if (std::getenv("VIGIL_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(golden, std::ios::binary) << got;
  }
  EXPECT_EQ(got, ReadAll(golden));
  EXPECT_EQ(got.find("hunter2"), std::string::npos);  // secrets never shown
  EXPECT_NE(got.find("password: <secret>"), std::string::npos);
}

TEST(ConfigTest, EmptyConfigHasDefaults) {
  auto cfg = Load("");
  ASSERT_TRUE(cfg.has_value()) << cfg.error().ToString();
  EXPECT_EQ(cfg->global.scrape_interval_ms, 60000);
  EXPECT_EQ(cfg->global.scrape_timeout_ms, 10000);
  EXPECT_EQ(cfg->global.evaluation_interval_ms, 60000);
  EXPECT_TRUE(cfg->scrape_configs.empty());
  auto global_null = Load("global:\n");
  ASSERT_TRUE(global_null.has_value());
  EXPECT_EQ(global_null->global.scrape_interval_ms, 60000);
}

TEST(ConfigTest, TimeoutDefaultsToIntervalWhenShorter) {
  auto cfg = Load(
      "global:\n  scrape_interval: 5s\n"
      "scrape_configs:\n  - job_name: a\n  - job_name: b\n    scrape_interval: 2s\n");
  ASSERT_TRUE(cfg.has_value()) << cfg.error().ToString();
  EXPECT_EQ(cfg->global.scrape_timeout_ms, 5000);  // min(10s, interval)
  EXPECT_EQ(cfg->scrape_configs[0].scrape_timeout_ms, 5000);
  EXPECT_EQ(cfg->scrape_configs[1].scrape_timeout_ms, 2000);
}

TEST(ConfigTest, ExternalLabelsExpandEnvironment) {
  LoadOptions opts;
  opts.env = [](std::string_view name) -> std::string {
    if (name == "REGION") return "eu";
    if (name == "HOST") return "h1";
    return "";
  };
  auto cfg = Load(
      "global:\n  external_labels:\n"
      "    region: ${REGION}\n    host: pre-$HOST-post\n    cost: $$5\n    none: ${UNSET}\n",
      opts);
  ASSERT_TRUE(cfg.has_value()) << cfg.error().ToString();
  EXPECT_EQ(cfg->global.external_labels,
            (Labels{{"region", "eu"}, {"host", "pre-h1-post"}, {"cost", "$5"}}));
}

TEST(ConfigTest, AgentModeRejectsServerSections) {
  LoadOptions opts;
  opts.agent_mode = true;
  auto r = Load("rule_files: [a.yml]\n", opts);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("field rule_files is not allowed in agent mode"),
            std::string_view::npos);
  EXPECT_TRUE(Load("scrape_configs: [{job_name: a}]\n", opts).has_value());
}

TEST(ConfigTest, MergeKeysAndAliases) {
  auto cfg = LoadFile(kDir + "/merge_keys.good.yml");
  ASSERT_TRUE(cfg.has_value()) << cfg.error().ToString();
  ASSERT_EQ(cfg->scrape_configs.size(), 2u);
  const ScrapeConfig& b = cfg->scrape_configs[1];
  EXPECT_EQ(b.job_name, "b");
  EXPECT_EQ(b.scrape_interval_ms, 10000);
  EXPECT_EQ(b.metrics_path, "/other");
  ASSERT_EQ(b.sd.static_configs.size(), 1u);
}

TEST(ConfigTest, UnimplementedSDKept) {
  auto cfg = LoadFile(kDir + "/kubernetes_sd.good.yml");
  ASSERT_TRUE(cfg.has_value()) << cfg.error().ToString();
  const auto& other = cfg->scrape_configs[0].sd.other;
  ASSERT_EQ(other.size(), 2u);
  EXPECT_EQ(other[0].kind, "kubernetes");
  EXPECT_EQ(other[1].kind, "consul");
  std::string yaml = cfg->ToYAML();
  EXPECT_NE(yaml.find("kubernetes_sd_configs:\n  - role: pod"), std::string::npos) << yaml;
  // Sorted by key like Prometheus: consul before kubernetes.
  EXPECT_LT(yaml.find("consul_sd_configs"), yaml.find("kubernetes_sd_configs"));
}

TEST(ConfigTest, ScrapeConfigFiles) {
  auto cfg = LoadFile(kDir + "/scrape_config_files.good.yml");
  ASSERT_TRUE(cfg.has_value()) << cfg.error().ToString();
  EXPECT_EQ(cfg->scrape_configs.size(), 1u);
  auto all = cfg->GetScrapeConfigs();
  ASSERT_TRUE(all.has_value()) << all.error().ToString();
  ASSERT_EQ(all->size(), 2u);
  const ScrapeConfig& extra = (*all)[1];
  EXPECT_EQ(extra.job_name, "extra");
  EXPECT_EQ(extra.scrape_interval_ms, 5000);
  EXPECT_EQ(extra.scrape_timeout_ms, 5000);
  EXPECT_EQ(extra.source_file, kDir + "/scrape_configs/extra.yml");
  // Paths in an included file are relative to that file.
  EXPECT_EQ(extra.sd.file_sd_configs[0].files,
            std::vector<std::string>{kDir + "/scrape_configs/sd/extra.yml"});
}

TEST(ConfigTest, ScrapeConfigFilesDuplicateJob) {
  fs::path dir = fs::temp_directory_path() / ("vigil_config_test_" + std::to_string(getpid()));
  fs::create_directories(dir / "jobs");
  std::ofstream(dir / "main.yml") << "scrape_config_files: [jobs/*.yml]\n"
                                     "scrape_configs:\n  - job_name: dup\n";
  std::ofstream(dir / "jobs" / "a.yml") << "scrape_configs:\n  - job_name: dup\n";
  std::ofstream(dir / "jobs" / "b.yml") << "scrape_configs:\n  - job_name: x\n    bogus: 1\n";
  auto cfg = LoadFile((dir / "main.yml").string());
  ASSERT_TRUE(cfg.has_value()) << cfg.error().ToString();
  auto all = cfg->GetScrapeConfigs();
  ASSERT_FALSE(all.has_value());
  EXPECT_NE(all.error().message().find(
                "a.yml:2: found multiple scrape configs with job name \"dup\", first found in "
                "main config file"),
            std::string_view::npos)
      << all.error().message();
  fs::remove(dir / "jobs" / "a.yml");
  all = cfg->GetScrapeConfigs();
  ASSERT_FALSE(all.has_value());
  EXPECT_NE(
      all.error().message().find("b.yml:3: field bogus not found in type config.ScrapeConfig"),
      std::string_view::npos)
      << all.error().message();
  fs::remove_all(dir);
}

TEST(ConfigTest, LoadFileMissing) {
  auto r = LoadFile(kDir + "/does-not-exist.yml");
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(r.error().IsIOError());
}

TEST(ConfigTest, SecretsAreRedacted) {
  auto cfg = Load(
      "scrape_configs:\n"
      "  - job_name: a\n"
      "    bearer_token: topsecret\n"
      "remote_write:\n"
      "  - url: http://x/w\n"
      "    basic_auth: {username: u, password: pw123}\n");
  ASSERT_TRUE(cfg.has_value()) << cfg.error().ToString();
  std::string yaml = cfg->ToYAML();
  EXPECT_EQ(yaml.find("topsecret"), std::string::npos);
  EXPECT_EQ(yaml.find("pw123"), std::string::npos);
  EXPECT_NE(yaml.find("    type: Bearer\n    credentials: <secret>\n"), std::string::npos) << yaml;
}

// testdata/config/relabel_cases.yaml: rules parsed by the loader, applied by relabel::Process.
TEST(ConfigTest, RelabelCasesFromYAML) {
  YAML::Node cases = YAML::LoadFile(kDir + "/relabel_cases.yaml");
  ASSERT_TRUE(cases.IsSequence());
  ASSERT_GE(cases.size(), 10u);
  auto labels_of = [](const YAML::Node& m) {
    std::vector<std::pair<std::string, std::string>> owned;
    for (const auto& kv : m) owned.emplace_back(kv.first.Scalar(), kv.second.Scalar());
    std::vector<std::pair<std::string_view, std::string_view>> v(owned.begin(), owned.end());
    return Labels::FromPairs(v);
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c["name"].Scalar());
    auto rules = LoadRelabelConfigs(YAML::Dump(c["rules"]));
    ASSERT_TRUE(rules.has_value()) << rules.error().ToString();
    std::optional<Labels> got = relabel::Process(labels_of(c["input"]), *rules);
    if (c["dropped"] && c["dropped"].as<bool>()) {
      EXPECT_FALSE(got.has_value()) << got->ToString();
    } else {
      ASSERT_TRUE(got.has_value());
      EXPECT_EQ(got->ToString(), labels_of(c["output"]).ToString());
    }
  }
}

TEST(ConfigTest, LoadRelabelConfigsErrors) {
  auto r = LoadRelabelConfigs("- action: hashmod\n  target_label: x\n",
                              relabel::NameValidation::kUTF8, "sel.yml");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message(),
            "sel.yml:1: relabel configuration for hashmod requires non-zero modulus");
  EXPECT_FALSE(LoadRelabelConfigs("{a: b}").has_value());
  EXPECT_TRUE(LoadRelabelConfigs("").has_value());
}

}  // namespace
}  // namespace vigil::config

namespace vigil::config {
namespace {

TEST(TargetGroupsTest, JSONAndYAML) {
  auto json = LoadTargetGroups(
      R"([{"targets": ["a:1", "b:2"], "labels": {"env": "prod"}, "extra": 1}, {"targets": []}])",
      "sd.json", /*json=*/true);
  ASSERT_TRUE(json.has_value()) << json.error().ToString();
  ASSERT_EQ(json->size(), 2u);
  EXPECT_EQ((*json)[0].targets, (std::vector<std::string>{"a:1", "b:2"}));
  EXPECT_EQ((*json)[0].labels, (Labels{{"env", "prod"}}));

  auto yaml = LoadTargetGroups("- targets: [c:3]\n  extra: 1\n", "sd.yml", /*json=*/false);
  ASSERT_FALSE(yaml.has_value());
  EXPECT_EQ(yaml.error().message(), "sd.yml:2: field extra not found in type targetgroup.Group");

  auto nil = LoadTargetGroups("[{\"targets\": [\"a:1\"]}, null]", "sd.json", true);
  ASSERT_FALSE(nil.has_value());
  EXPECT_NE(nil.error().message().find("nil target group item found (index 1)"),
            std::string_view::npos);

  auto ext = LoadTargetGroupsFile("targets.txt");
  ASSERT_FALSE(ext.has_value());
  EXPECT_EQ(ext.error().message(), "invalid file extension: \".txt\"");
}

}  // namespace
}  // namespace vigil::config
