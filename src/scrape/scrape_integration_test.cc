// End-to-end scrape tests against real HTTP targets on 127.0.0.1: an in-process simulated
// fleet (fleet::Fleet), small net::HttpServer targets whose answers the tests control, and
// Debian's prometheus-node-exporter when installed. Storage is a MemoryStorage. Waits poll
// for a condition with a generous deadline; nothing asserts on a fixed sleep.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <thread>

#include "config/config.h"
#include "fleet/fleet.h"
#include "model/value.h"
#include "net/http_server.h"
#include "scrape/manager.h"
#include "scrape/test_util.h"

namespace vigil::scrape {
namespace {

using testing::Dump;
using testing::DumpName;

bool WaitFor(const std::function<bool()>& pred, int timeout_ms = 20000) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

std::vector<config::ScrapeConfig> Jobs(const std::string& yaml) {
  auto cfg = config::Load(yaml);
  EXPECT_TRUE(cfg.has_value()) << cfg.error().ToString() << "\n" << yaml;
  if (!cfg.has_value()) return {};
  auto jobs = cfg->GetScrapeConfigs();
  EXPECT_TRUE(jobs.has_value());
  return jobs.has_value() ? *jobs : std::vector<config::ScrapeConfig>{};
}

std::unique_ptr<fleet::Fleet> StartFleet(int services, int instances, int series,
                                         bool gzip = false) {
  fleet::FleetOptions o;
  o.services = services;
  o.versions = 1;
  o.instances = instances;
  o.series_per_target = series;
  o.base_port = 0;
  o.threads = 2;
  o.gzip = gzip;
  auto f = std::make_unique<fleet::Fleet>(o);
  EXPECT_TRUE(f->Start().ok());
  return f;
}

std::string Targets(const fleet::Fleet& f) {
  std::string s;
  for (int i = 0; i < f.num_targets(); ++i) {
    s += (i ? ", " : "") + std::string("'127.0.0.1:") + std::to_string(f.port(i)) + "'";
  }
  return "[" + s + "]";
}

// Last value of up per instance.
std::map<std::string, double> Ups(storage::MemoryStorage* s) {
  std::map<std::string, double> out;
  auto q = s->NewQuerier(INT64_MIN, INT64_MAX);
  std::vector<Matcher> ms = {*Matcher::Make(MatchType::kEqual, "__name__", "up")};
  auto set = (*q)->Select(Context::Background(), true, nullptr, ms);
  while (set->Next()) {
    auto it = set->At().Iterator();
    double last = NAN;
    while (it->Next()) last = it->AtV();
    out[std::string(set->At().labels().Get("instance"))] = last;
  }
  return out;
}

size_t CountUp(storage::MemoryStorage* s, double v) {
  size_t n = 0;
  for (const auto& [i, u] : Ups(s)) n += (u == v) ? 1 : 0;
  return n;
}

// Series of one instance (not counting the report series).
size_t SeriesOf(storage::MemoryStorage* s, const std::string& instance) {
  size_t n = 0;
  for (const auto& [k, v] : Dump(s)) {
    if (k.find("instance=\"" + instance + "\"") == std::string::npos) continue;
    if (k.find("{__name__=\"up\"") == 0 || k.find("{__name__=\"scrape_") == 0) continue;
    ++n;
  }
  return n;
}

TEST(ScrapeIntegrationTest, ScrapesFleetWithTargetLabels) {
  auto fleet = StartFleet(2, 2, 300);
  storage::MemoryStorage storage;
  Manager m(&storage);
  ASSERT_TRUE(m.Start().ok());
  ASSERT_TRUE(m.ApplyConfig(Jobs("scrape_configs:\n- job_name: fleet\n  scrape_interval: 1s\n"
                                 "  static_configs:\n  - targets: " +
                                 Targets(*fleet) + "\n    labels: {env: test}\n"))
                  .ok());
  ASSERT_TRUE(WaitFor([&] { return CountUp(&storage, 1) == 4; }));
  std::string inst = "127.0.0.1:" + std::to_string(fleet->port(0));
  ASSERT_TRUE(WaitFor([&] { return SeriesOf(&storage, inst) == 300; }));
  auto reqs = DumpName(&storage, "istio_requests_total");
  ASSERT_FALSE(reqs.empty());
  const std::string& k = reqs.begin()->first;
  EXPECT_NE(k.find("job=\"fleet\""), std::string::npos) << k;
  EXPECT_NE(k.find("env=\"test\""), std::string::npos) << k;
  EXPECT_NE(k.find("pod=\""), std::string::npos) << k;
  EXPECT_NE(k.find("response_flags=\""), std::string::npos) << k;
  // Report series.
  for (const char* n : {"scrape_duration_seconds", "scrape_samples_scraped",
                        "scrape_samples_post_metric_relabeling", "scrape_series_added"}) {
    EXPECT_EQ(DumpName(&storage, n).size(), 4u) << n;
  }
  auto scraped = DumpName(&storage, "scrape_samples_scraped");
  for (const auto& [key, samples] : scraped) EXPECT_EQ(samples.back().v, 300) << key;
  // /api/v1/targets data.
  auto active = m.TargetsActive();
  ASSERT_EQ(active["fleet"].size(), 4u);
  for (const auto& t : active["fleet"]) {
    TargetStatus st = t->status();
    EXPECT_EQ(st.health, TargetHealth::kUp);
    EXPECT_TRUE(st.last_error.empty());
    EXPECT_GT(st.last_scrape_ms, 0);
    EXPECT_EQ(t->discovered_labels().Get("__address__"), t->labels().Get("instance"));
    EXPECT_EQ(t->PublicLabels().Get("env"), "test");
  }
  // Counters ingested over several scrapes grow.
  ASSERT_TRUE(WaitFor([&] {
    auto d = DumpName(&storage, "scrape_samples_scraped");
    for (const auto& [key, v] : d) {
      if (v.size() < 3) return false;
    }
    return true;
  }));
  EXPECT_GT(m.stats().cache_hits.load(), 0u);
  m.Stop();
}

// A storage whose commits are slow, counting how many run at once.
class SlowStorage final : public storage::Appendable {
 public:
  explicit SlowStorage(storage::MemoryStorage* inner) : inner_(inner) {}
  std::unique_ptr<storage::Appender> NewAppender() override {
    return std::make_unique<SlowAppender>(this, inner_->NewAppender());
  }
  std::atomic<int> running{0}, max_running{0};

 private:
  class SlowAppender final : public storage::Appender {
   public:
    SlowAppender(SlowStorage* s, std::unique_ptr<storage::Appender> a) : s_(s), a_(std::move(a)) {}
    Result<storage::SeriesRef> Append(storage::SeriesRef ref, const Labels& l, int64_t t,
                                      double v) override {
      return a_->Append(ref, l, t, v);
    }
    Status Commit() override {
      int now = ++s_->running;
      int prev = s_->max_running.load();
      while (now > prev && !s_->max_running.compare_exchange_weak(prev, now)) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(40));
      --s_->running;
      return a_->Commit();
    }
    Status Rollback() override { return a_->Rollback(); }

   private:
    SlowStorage* s_;
    std::unique_ptr<storage::Appender> a_;
  };
  storage::MemoryStorage* inner_;
};

// Processing slower than fetching: due scrapes wait for a free processing slot instead of
// queueing bodies, and every target is still scraped.
TEST(ScrapeIntegrationTest, BackPressureDefersScrapesWhenProcessingFallsBehind) {
  auto fleet = StartFleet(10, 2, 50);  // 20 targets
  storage::MemoryStorage storage;
  SlowStorage slow(&storage);
  ManagerOptions mo;
  mo.workers = 2;
  mo.max_pending_bodies = 1;
  Manager m(&slow, mo);
  ASSERT_TRUE(m.Start().ok());
  ASSERT_TRUE(m.ApplyConfig(Jobs("scrape_configs:\n- job_name: fleet\n  scrape_interval: 200ms\n"
                                 "  scrape_timeout: 200ms\n  static_configs:\n  - targets: " +
                                 Targets(*fleet) + "\n"))
                  .ok());
  ASSERT_TRUE(WaitFor([&] { return CountUp(&storage, 1) == 20; }));
  EXPECT_GT(m.scraper_stats().deferred_ticks, 0u);
  // Deferred scrapes do start: every target keeps getting scraped.
  ASSERT_TRUE(WaitFor([&] {
    auto d = DumpName(&storage, "up");
    if (d.size() != 20) return false;
    for (const auto& [key, v] : d) {
      if (v.size() < 3) return false;
    }
    return true;
  }));
  EXPECT_LE(slow.max_running.load(), 2);  // never more than the workers
  // A processed body lets one deferred scrape go, not the whole backlog at once.
  EXPECT_LE(m.scraper_stats().peak_in_flight, 4u);
  m.Stop();
}

TEST(ScrapeIntegrationTest, TargetDeathWritesStaleMarkers) {
  auto fleet = StartFleet(1, 1, 200);
  storage::MemoryStorage storage;
  Manager m(&storage);
  ASSERT_TRUE(m.Start().ok());
  ASSERT_TRUE(m.ApplyConfig(Jobs("scrape_configs:\n- job_name: f\n  scrape_interval: 1s\n"
                                 "  scrape_timeout: 500ms\n  static_configs:\n  - targets: " +
                                 Targets(*fleet) + "\n"))
                  .ok());
  ASSERT_TRUE(WaitFor([&] { return CountUp(&storage, 1) == 1; }));
  fleet->Stop();
  ASSERT_TRUE(WaitFor([&] { return CountUp(&storage, 0) == 1; }));
  size_t stale = 0, series = 0;
  for (const auto& [k, v] : Dump(&storage)) {
    if (k.find("{__name__=\"up\"") == 0 || k.find("{__name__=\"scrape_") == 0) continue;
    ++series;
    if (IsStaleNaN(v.back().v)) ++stale;
  }
  EXPECT_EQ(series, 200u);
  EXPECT_EQ(stale, 200u);
  auto t = m.TargetsActive()["f"][0]->status();
  EXPECT_EQ(t.health, TargetHealth::kDown);
  EXPECT_NE(t.last_error.find("connection refused"), std::string::npos) << t.last_error;
  m.Stop();
}

// A target whose body, content type and status the test sets; records request headers.
class FakeTarget {
 public:
  FakeTarget() : server_(Options()) {
    server_.Handle("/metrics", [this](const net::HttpRequest& req, net::HttpResponse* resp) {
      {
        MutexLock l(&mu_);
        headers_ = req.headers;
        ++requests_;
        resp->body = body_;
        resp->content_type = content_type_;
        resp->status = status_;
      }
      int delay = delay_ms_.load();
      if (delay > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    });
    EXPECT_TRUE(server_.Start().ok());
  }
  static net::HttpServerOptions Options() {
    net::HttpServerOptions o;
    o.listen_address = "127.0.0.1:0";
    o.threads = 2;
    return o;
  }
  void Set(std::string body, std::string ct = "text/plain; version=0.0.4", int status = 200) {
    MutexLock l(&mu_);
    body_ = std::move(body);
    content_type_ = std::move(ct);
    status_ = status;
  }
  std::string Header(std::string_view name) {
    MutexLock l(&mu_);
    for (const auto& [k, v] : headers_) {
      if (strcasecmp(k.c_str(), std::string(name).c_str()) == 0) return v;
    }
    return "";
  }
  int requests() {
    MutexLock l(&mu_);
    return requests_;
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(server_.port()); }
  std::atomic<int> delay_ms_{0};

 private:
  Mutex mu_;
  std::string body_ VIGIL_GUARDED_BY(mu_) = "a 1\n";
  std::string content_type_ VIGIL_GUARDED_BY(mu_) = "text/plain; version=0.0.4";
  int status_ VIGIL_GUARDED_BY(mu_) = 200;
  std::vector<std::pair<std::string, std::string>> headers_ VIGIL_GUARDED_BY(mu_);
  int requests_ VIGIL_GUARDED_BY(mu_) = 0;
  net::HttpServer server_;
};

std::string OneJob(const std::string& address, const std::string& extra = "",
                   const std::string& interval = "1s") {
  return "scrape_configs:\n- job_name: t\n  scrape_interval: " + interval + "\n" + extra +
         "  static_configs:\n  - targets: ['" + address + "']\n";
}

TEST(ScrapeIntegrationTest, SeriesDisappearingGetsStaleMarker) {
  FakeTarget target;
  target.Set("a 1\nb 2\n");
  storage::MemoryStorage storage;
  Manager m(&storage);
  ASSERT_TRUE(m.Start().ok());
  ASSERT_TRUE(m.ApplyConfig(Jobs(OneJob(target.address()))).ok());
  ASSERT_TRUE(WaitFor([&] { return DumpName(&storage, "b").size() == 1; }));
  target.Set("a 1\n");
  ASSERT_TRUE(WaitFor([&] {
    auto b = DumpName(&storage, "b");
    return !b.empty() && IsStaleNaN(b.begin()->second.back().v);
  }));
  EXPECT_FALSE(IsStaleNaN(DumpName(&storage, "a").begin()->second.back().v));
  m.Stop();
}

TEST(ScrapeIntegrationTest, RequestHeadersAndNegotiation) {
  FakeTarget target;
  target.Set("# TYPE c counter\nc_total 1\n# EOF\n",
             "application/openmetrics-text; version=1.0.0; charset=utf-8");
  storage::MemoryStorage storage;
  Manager m(&storage);
  ASSERT_TRUE(m.Start().ok());
  ASSERT_TRUE(m.ApplyConfig(Jobs(OneJob(target.address(), "  scrape_timeout: 500ms\n"))).ok());
  ASSERT_TRUE(WaitFor([&] { return CountUp(&storage, 1) == 1; }));
  EXPECT_EQ(DumpName(&storage, "c_total").size(), 1u);
  std::string accept = target.Header("Accept");
  EXPECT_EQ(accept.find("application/openmetrics-text;version=1.0.0"), 0u) << accept;
  EXPECT_NE(accept.find("text/plain;version=0.0.4"), std::string::npos) << accept;
  EXPECT_NE(target.Header("Accept-Encoding").find("gzip"), std::string::npos);
  EXPECT_EQ(target.Header("X-Prometheus-Scrape-Timeout-Seconds"), "0.5");
  EXPECT_FALSE(target.Header("User-Agent").empty());
  m.Stop();

  // scrape_protocols and enable_compression: false change the headers.
  storage::MemoryStorage s2;
  Manager m2(&s2);
  ASSERT_TRUE(m2.Start().ok());
  target.Set("x 1\n");
  ASSERT_TRUE(m2.ApplyConfig(Jobs(OneJob(target.address(),
                                         "  scrape_protocols: [PrometheusText0.0.4]\n"
                                         "  enable_compression: false\n")))
                  .ok());
  ASSERT_TRUE(WaitFor([&] { return CountUp(&s2, 1) == 1; }));
  EXPECT_EQ(target.Header("Accept").find("text/plain;version=0.0.4"), 0u)
      << target.Header("Accept");
  EXPECT_EQ(target.Header("Accept").find("openmetrics"), std::string::npos);
  EXPECT_EQ(target.Header("Accept-Encoding"), "identity");
  m2.Stop();
}

TEST(ScrapeIntegrationTest, FleetOpenMetricsAndGzip) {
  auto fleet = StartFleet(1, 1, 200, /*gzip=*/true);
  storage::MemoryStorage storage;
  Manager m(&storage);
  ASSERT_TRUE(m.Start().ok());
  ASSERT_TRUE(m.ApplyConfig(Jobs("scrape_configs:\n- job_name: f\n  scrape_interval: 1s\n"
                                 "  static_configs:\n  - targets: " +
                                 Targets(*fleet) + "\n"))
                  .ok());
  ASSERT_TRUE(WaitFor([&] { return fleet->stats().scrapes >= 2 && CountUp(&storage, 1) == 1; }));
  fleet::FleetStats st = fleet->stats();
  EXPECT_EQ(st.openmetrics_scrapes, st.scrapes);  // Prometheus' Accept prefers OpenMetrics
  EXPECT_EQ(st.gzip_scrapes, st.scrapes);
  // The OpenMetrics counter family names come back with their _total samples.
  EXPECT_FALSE(DumpName(&storage, "istio_requests_total").empty());
  EXPECT_EQ(SeriesOf(&storage, "127.0.0.1:" + std::to_string(fleet->port(0))), 200u);
  m.Stop();
}

TEST(ScrapeIntegrationTest, LimitsAndErrors) {
  auto fleet = StartFleet(1, 1, 300);
  FakeTarget big, slow, missing;
  big.Set(std::string(5000, '#') + "\na 1\n");
  slow.delay_ms_ = 1500;
  missing.Set("not found\n", "text/plain", 404);
  storage::MemoryStorage storage;
  Manager m(&storage);
  ASSERT_TRUE(m.Start().ok());
  std::string yaml =
      "scrape_configs:\n"
      "- job_name: limited\n  scrape_interval: 1s\n  sample_limit: 100\n"
      "  static_configs:\n  - targets: " +
      Targets(*fleet) +
      "\n"
      "- job_name: big\n  scrape_interval: 1s\n  body_size_limit: 1KB\n"
      "  static_configs:\n  - targets: ['" +
      big.address() +
      "']\n"
      "- job_name: slow\n  scrape_interval: 1s\n  scrape_timeout: 300ms\n"
      "  static_configs:\n  - targets: ['" +
      slow.address() +
      "']\n"
      "- job_name: missing\n  scrape_interval: 1s\n"
      "  static_configs:\n  - targets: ['" +
      missing.address() + "']\n";
  ASSERT_TRUE(m.ApplyConfig(Jobs(yaml)).ok());
  auto error_of = [&](const std::string& job) {
    auto ts = m.TargetsActive()[job];
    return ts.empty() ? std::string("?") : ts[0]->status().last_error;
  };
  ASSERT_TRUE(WaitFor([&] { return CountUp(&storage, 0) == 4; }));
  EXPECT_EQ(error_of("limited"), "sample limit exceeded");
  EXPECT_EQ(error_of("big"), "body size limit exceeded");
  EXPECT_EQ(error_of("slow"),
            "Get \"http://" + slow.address() + "/metrics\": context deadline exceeded");
  EXPECT_EQ(error_of("missing"), "server returned HTTP status 404 Not Found");
  EXPECT_EQ(SeriesOf(&storage, "127.0.0.1:" + std::to_string(fleet->port(0))), 0u);
  EXPECT_GE(m.stats().exceeded_sample_limit.load(), 1u);
  m.Stop();
}

TEST(ScrapeIntegrationTest, TargetLimit) {
  FakeTarget a, b;
  storage::MemoryStorage storage;
  Manager m(&storage);
  ASSERT_TRUE(m.Start().ok());
  ASSERT_TRUE(m.ApplyConfig(Jobs("scrape_configs:\n- job_name: t\n  scrape_interval: 1s\n"
                                 "  target_limit: 1\n  static_configs:\n  - targets: ['" +
                                 a.address() + "', '" + b.address() + "']\n"))
                  .ok());
  ASSERT_TRUE(WaitFor([&] { return CountUp(&storage, 0) == 2; }));
  EXPECT_EQ(m.TargetsActive()["t"][0]->status().last_error,
            "target_limit exceeded (number of targets: 2, limit: 1)");
  EXPECT_EQ(a.requests() + b.requests(), 0);
  m.Stop();
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/vigil-scrape-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  // Writes atomically (rename), as configuration management tools do.
  void Write(const std::string& name, const std::string& content) {
    std::string tmp = path_ + "/." + name + ".tmp";
    std::ofstream(tmp) << content;
    std::filesystem::rename(tmp, path_ + "/" + name);
  }

 private:
  std::string path_;
};

std::set<std::string> ActiveAddresses(const Manager& m, const std::string& job) {
  std::set<std::string> out;
  auto active = m.TargetsActive();
  for (const auto& t : active[job]) out.insert(t->address());
  return out;
}

TEST(ScrapeIntegrationTest, FileSdReload) {
  FakeTarget a, b, c;
  TempDir dir;
  dir.Write("targets.json",
            "[{\"targets\": [\"" + a.address() + "\"], \"labels\": {\"dc\": \"dc1\"}}]");
  dir.Write("more.yml", "- targets: ['" + c.address() + "']\n  labels:\n    dc: dc2\n");
  storage::MemoryStorage storage;
  ManagerOptions mo;
  mo.discovery_poll_ms = 100;
  Manager m(&storage, mo);
  ASSERT_TRUE(m.Start().ok());
  ASSERT_TRUE(m.ApplyConfig(Jobs("scrape_configs:\n- job_name: files\n  scrape_interval: 1s\n"
                                 "  file_sd_configs:\n  - files: ['" +
                                 dir.path() + "/*.json', '" + dir.path() +
                                 "/*.yml']\n    refresh_interval: 1m\n"))
                  .ok());
  EXPECT_EQ(ActiveAddresses(m, "files"), (std::set<std::string>{a.address(), c.address()}));
  auto targets = m.TargetsActive()["files"];
  for (const auto& t : targets) {
    EXPECT_FALSE(t->labels().Has("__meta_filepath"));
    EXPECT_FALSE(t->discovered_labels().Get("__meta_filepath").empty());
    EXPECT_FALSE(t->PublicLabels().Get("dc").empty());
  }
  ASSERT_TRUE(WaitFor([&] { return CountUp(&storage, 1) == 2; }));

  // Change: a replaced by b (picked up by the mtime poll, not the 1m refresh).
  dir.Write("targets.json", "[{\"targets\": [\"" + b.address() + "\"]}]");
  ASSERT_TRUE(WaitFor([&] {
    return ActiveAddresses(m, "files") == std::set<std::string>{b.address(), c.address()};
  }));
  // a went away: end-of-run staleness (after one more interval).
  ASSERT_TRUE(WaitFor([&] {
    auto ups = DumpName(&storage, "up");
    for (const auto& [k, v] : ups) {
      if (k.find(a.address()) != std::string::npos) return IsStaleNaN(v.back().v);
    }
    return false;
  }));
  // A broken file keeps its last good groups.
  dir.Write("targets.json", "[{\"targets\": [oops");
  m.RefreshDiscovery();
  EXPECT_EQ(ActiveAddresses(m, "files"), (std::set<std::string>{b.address(), c.address()}));
  // A removed file drops its targets.
  std::filesystem::remove(dir.path() + "/more.yml");
  ASSERT_TRUE(
      WaitFor([&] { return ActiveAddresses(m, "files") == std::set<std::string>{b.address()}; }));
  m.Stop();
}

TEST(ScrapeIntegrationTest, HttpSd) {
  FakeTarget a, b;
  Mutex mu;
  std::string answer = "[{\"targets\": [\"" + a.address() + "\"], \"labels\": {\"zone\": \"z1\"}}]";
  int status = 200;
  net::HttpServer sd(FakeTarget::Options());
  sd.Handle("/sd", [&](const net::HttpRequest&, net::HttpResponse* resp) {
    MutexLock l(&mu);
    resp->status = status;
    resp->content_type = "application/json";
    resp->body = answer;
  });
  ASSERT_TRUE(sd.Start().ok());
  std::string url = "http://127.0.0.1:" + std::to_string(sd.port()) + "/sd";
  storage::MemoryStorage storage;
  ManagerOptions mo;
  mo.discovery_poll_ms = 100;
  Manager m(&storage, mo);
  ASSERT_TRUE(m.Start().ok());
  ASSERT_TRUE(m.ApplyConfig(Jobs("scrape_configs:\n- job_name: h\n  scrape_interval: 1s\n"
                                 "  http_sd_configs:\n  - url: " +
                                 url + "\n    refresh_interval: 1s\n"))
                  .ok());
  ASSERT_TRUE(
      WaitFor([&] { return ActiveAddresses(m, "h") == std::set<std::string>{a.address()}; }));
  auto t = m.TargetsActive()["h"][0];
  EXPECT_EQ(t->discovered_labels().Get("__meta_url"), url);
  EXPECT_EQ(t->PublicLabels().Get("zone"), "z1");
  ASSERT_TRUE(WaitFor([&] { return CountUp(&storage, 1) == 1; }));
  {
    MutexLock l(&mu);
    answer = "[{\"targets\": [\"" + a.address() + "\", \"" + b.address() + "\"]}]";
  }
  ASSERT_TRUE(WaitFor([&] { return ActiveAddresses(m, "h").size() == 2; }));
  {
    MutexLock l(&mu);
    status = 500;
  }
  m.RefreshDiscovery();
  EXPECT_EQ(ActiveAddresses(m, "h").size(), 2u);  // errors keep the last good groups
  m.Stop();
}

TEST(ScrapeIntegrationTest, ShardSplit) {
  auto fleet = StartFleet(4, 2, 100);
  std::string yaml =
      "scrape_configs:\n- job_name: f\n  scrape_interval: 1s\n"
      "  static_configs:\n  - targets: " +
      Targets(*fleet) + "\n";
  std::set<std::string> all, seen;
  for (int i = 0; i < fleet->num_targets(); ++i)
    all.insert("127.0.0.1:" + std::to_string(fleet->port(i)));
  std::vector<std::set<std::string>> shards;
  for (uint64_t s = 0; s < 2; ++s) {
    storage::MemoryStorage storage;
    ManagerOptions mo;
    mo.shard = std::make_pair(s, uint64_t(2));
    Manager m(&storage, mo);
    ASSERT_TRUE(m.Start().ok());
    ASSERT_TRUE(m.ApplyConfig(Jobs(yaml)).ok());
    std::set<std::string> mine = ActiveAddresses(m, "f");
    EXPECT_EQ(m.TargetsDropped()["f"].size() + mine.size(), all.size());
    ASSERT_TRUE(WaitFor([&] { return CountUp(&storage, 1) == mine.size(); }));
    for (const auto& [inst, up] : Ups(&storage)) EXPECT_TRUE(mine.count(inst)) << inst;
    shards.push_back(mine);
    m.Stop();
  }
  for (const auto& a : all) {
    EXPECT_EQ(shards[0].count(a) + shards[1].count(a), 1u) << a;
  }
}

TEST(ScrapeIntegrationTest, ApplyConfigKeepsUnchangedPools) {
  FakeTarget a, b;
  a.Set("x 1\ny 2\n");
  storage::MemoryStorage storage;
  Manager m(&storage);
  ASSERT_TRUE(m.Start().ok());
  auto yaml = [&](int limit) {
    return "scrape_configs:\n- job_name: one\n  scrape_interval: 1s\n  sample_limit: " +
           std::to_string(limit) + "\n  static_configs:\n  - targets: ['" + a.address() +
           "']\n- job_name: two\n  scrape_interval: 1s\n  static_configs:\n  - targets: ['" +
           b.address() + "']\n";
  };
  ASSERT_TRUE(m.ApplyConfig(Jobs(yaml(100))).ok());
  ASSERT_TRUE(WaitFor([&] { return CountUp(&storage, 1) == 2; }));
  auto one = m.Loops("one"), two = m.Loops("two");
  ASSERT_EQ(one.size(), 1u);
  ASSERT_EQ(two.size(), 1u);
  ASSERT_TRUE(m.ApplyConfig(Jobs(yaml(100))).ok());
  EXPECT_EQ(m.Loops("one")[0], one[0]);
  EXPECT_EQ(m.Loops("two")[0], two[0]);
  ASSERT_TRUE(m.ApplyConfig(Jobs(yaml(50))).ok());
  EXPECT_NE(m.Loops("one")[0], one[0]);  // reloaded
  EXPECT_EQ(m.Loops("two")[0], two[0]);  // untouched
  // The reloaded loop keeps scraping the same series without staleness markers.
  size_t before = DumpName(&storage, "x").begin()->second.size();
  ASSERT_TRUE(
      WaitFor([&] { return DumpName(&storage, "x").begin()->second.size() >= before + 2; }));
  auto x = DumpName(&storage, "x");
  for (const auto& s : x.begin()->second) EXPECT_FALSE(IsStaleNaN(s.v));
  // Removing a job stops it with markers.
  ASSERT_TRUE(m.ApplyConfig(Jobs("scrape_configs:\n- job_name: two\n  scrape_interval: 1s\n"
                                 "  static_configs:\n  - targets: ['" +
                                 b.address() + "']\n"))
                  .ok());
  EXPECT_EQ(m.ScrapePools(), std::vector<std::string>{"two"});
  ASSERT_TRUE(
      WaitFor([&] { return IsStaleNaN(DumpName(&storage, "x").begin()->second.back().v); }));
  m.Stop();
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

TEST(ScrapeIntegrationTest, NodeExporter) {
  const char* bin = "/usr/bin/prometheus-node-exporter";
  if (access(bin, X_OK) != 0) GTEST_SKIP() << bin << " not installed";
  int port = FreePort();
  std::string listen = "--web.listen-address=127.0.0.1:" + std::to_string(port);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execl(bin, bin, listen.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  struct Reaper {
    pid_t pid;
    ~Reaper() {
      kill(pid, SIGTERM);
      int st;
      waitpid(pid, &st, 0);
    }
  } reaper{pid};
  std::string address = "127.0.0.1:" + std::to_string(port);
  storage::MemoryStorage storage;
  Manager m(&storage);
  ASSERT_TRUE(m.Start().ok());
  ASSERT_TRUE(m.ApplyConfig(Jobs(OneJob(address, "  scrape_timeout: 900ms\n"))).ok());
  ASSERT_TRUE(WaitFor([&] { return CountUp(&storage, 1) == 1; }))
      << m.TargetsActive()["t"][0]->status().last_error;
  auto cpu = DumpName(&storage, "node_cpu_seconds_total");
  ASSERT_FALSE(cpu.empty());
  EXPECT_NE(cpu.begin()->first.find("instance=\"" + address + "\""), std::string::npos);
  EXPECT_NE(cpu.begin()->first.find("job=\"t\""), std::string::npos);
  EXPECT_NE(cpu.begin()->first.find("mode=\""), std::string::npos);
  EXPECT_FALSE(DumpName(&storage, "node_exporter_build_info").empty());
  auto meta = m.Loops("t")[0]->metadata();
  ASSERT_EQ(meta.count("node_cpu_seconds_total"), 1u);
  EXPECT_EQ(meta["node_cpu_seconds_total"].type, textparse::MetricType::kCounter);
  m.Stop();
}

}  // namespace
}  // namespace vigil::scrape
