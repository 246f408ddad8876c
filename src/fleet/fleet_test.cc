#include "fleet/fleet.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "fleet/value_format.h"
#include "net/http_client.h"
#include "net/http_server.h"
#include "textparse/parser.h"

namespace vigil::fleet {
namespace {

// A parsed exposition sample (test-only parser; the real one lives in textparse).
struct Line {
  std::string name;
  std::map<std::string, std::string> labels;
  std::string key;  // everything before the value
  double value = 0;
};

bool ParseLine(std::string_view line, Line* out) {
  size_t sp = line.rfind(' ');
  if (sp == std::string_view::npos) return false;
  out->key = std::string(line.substr(0, sp));
  out->value = std::strtod(std::string(line.substr(sp + 1)).c_str(), nullptr);
  std::string_view s = line.substr(0, sp);
  size_t brace = s.find('{');
  out->name = std::string(s.substr(0, brace));
  out->labels.clear();
  if (brace == std::string_view::npos) return true;
  size_t i = brace + 1;
  while (i < s.size() && s[i] != '}') {
    size_t eq = s.find('=', i);
    if (eq == std::string_view::npos || eq + 1 >= s.size() || s[eq + 1] != '"') return false;
    std::string name(s.substr(i, eq - i));
    std::string value;
    size_t j = eq + 2;
    for (; j < s.size() && s[j] != '"'; ++j) {
      if (s[j] == '\\' && j + 1 < s.size()) {
        ++j;
        value += s[j] == 'n' ? '\n' : s[j];
      } else {
        value += s[j];
      }
    }
    if (j >= s.size()) return false;
    if (!out->labels.emplace(name, value).second) return false;  // duplicate label name
    i = j + 1;
    if (i < s.size() && s[i] == ',') ++i;
  }
  return i < s.size() && s[i] == '}';
}

std::vector<Line> ParseBody(const std::string& body) {
  std::vector<Line> out;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t nl = body.find('\n', pos);
    std::string_view line(body.data() + pos, nl - pos);
    pos = nl + 1;
    if (line.empty() || line[0] == '#') continue;
    Line l;
    EXPECT_TRUE(ParseLine(line, &l)) << line;
    out.push_back(std::move(l));
  }
  return out;
}

FleetOptions SmallOptions(int series = 600) {
  FleetOptions o;
  o.services = 4;
  o.versions = 2;
  o.instances = 2;
  o.series_per_target = series;
  o.base_port = 0;
  o.threads = 2;
  return o;
}

std::string ScrapeAt(Fleet* f, ManualClock* clock, int target, int64_t t_ms,
                     Format format = Format::kText) {
  clock->Set(t_ms);
  std::string body;
  f->Scrape(target, format, &body);
  return body;
}

constexpr int64_t kT0 = 1700000000000;

TEST(FleetTest, SeriesPerTargetIsExact) {
  for (int series : {50, 100, 401, 2000, 3333}) {
    ManualClock clock(kT0);
    Fleet f(SmallOptions(series), &clock);
    ASSERT_TRUE(f.Build().ok());
    for (int t = 0; t < f.num_targets(); ++t) {
      std::string body = ScrapeAt(&f, &clock, t, kT0 + 15000);
      auto lines = ParseBody(body);
      EXPECT_EQ(lines.size(), size_t(series)) << "series=" << series << " target=" << t;
      EXPECT_EQ(f.num_series(t), size_t(series));
      MixReport m = f.mix(t);
      EXPECT_EQ(m.app, size_t(std::llround(series * 0.4)));
      EXPECT_EQ(m.app + m.mesh + m.os, size_t(series));
      // No two samples of one target share a label set.
      std::set<std::string> keys;
      for (const Line& l : lines) EXPECT_TRUE(keys.insert(l.key).second) << l.key;
    }
  }
}

TEST(FleetTest, MixHasTheLayersAndLabels) {
  ManualClock clock(kT0);
  Fleet f(SmallOptions(2000), &clock);
  ASSERT_TRUE(f.Build().ok());
  auto lines = ParseBody(ScrapeAt(&f, &clock, 0, kT0 + 1000));
  std::map<std::string, int> by_name;
  size_t istio = 0, os = 0;
  for (const Line& l : lines) {
    by_name[l.name]++;
    if (l.name.rfind("istio_", 0) == 0 || l.name.rfind("envoy_", 0) == 0) ++istio;
    if (l.name.rfind("container_", 0) == 0 || l.name.rfind("node_", 0) == 0) ++os;
    EXPECT_EQ(l.labels.count("pod"), 1u) << l.key;
    EXPECT_EQ(l.labels.count("namespace"), 1u) << l.key;
    EXPECT_TRUE(l.labels.count("dc") && (l.labels.at("dc") == "dc1" || l.labels.at("dc") == "dc2"))
        << l.key;
  }
  EXPECT_EQ(istio, 800u);
  EXPECT_EQ(os, 400u);
  for (const char* name : {"http_server_requests_seconds_bucket",
                           "http_client_requests_seconds_count",
                           "jvm_memory_used_bytes",
                           "jvm_gc_pause_seconds_count",
                           "tomcat_threads_busy_threads",
                           "tomcat_threads_config_max_threads",
                           "hikaricp_connections_active",
                           "hikaricp_connections_max",
                           "hikaricp_connections_pending",
                           "process_cpu_usage",
                           "istio_requests_total",
                           "istio_request_duration_milliseconds_bucket",
                           "istio_request_bytes_sum",
                           "istio_response_bytes_count",
                           "istio_tcp_sent_bytes_total",
                           "container_cpu_usage_seconds_total",
                           "container_cpu_cfs_throttled_periods_total",
                           "container_cpu_cfs_periods_total",
                           "container_memory_working_set_bytes",
                           "container_oom_events_total",
                           "container_network_receive_bytes_total",
                           "container_network_transmit_bytes_total",
                           "container_network_receive_packets_dropped_total",
                           "container_fs_reads_bytes_total",
                           "node_cpu_seconds_total",
                           "node_load1",
                           "node_memory_MemAvailable_bytes",
                           "node_disk_io_time_seconds_total",
                           "node_network_receive_drop_total"}) {
    EXPECT_GT(by_name[name], 0) << name;
  }
  // Istio series carry the usual label set.
  for (const Line& l : lines) {
    if (l.name != "istio_requests_total") continue;
    for (const char* label :
         {"reporter", "source_workload", "source_version", "destination_workload",
          "destination_version", "destination_service", "response_code", "response_flags",
          "grpc_response_status", "connection_security_policy", "source_principal",
          "destination_principal", "request_protocol"}) {
      EXPECT_EQ(l.labels.count(label), 1u) << label;
    }
    EXPECT_GE(l.labels.size(), 25u);
  }
}

// Checks every histogram of a body: buckets cumulative, +Inf == _count.
void CheckHistograms(const std::vector<Line>& lines) {
  struct H {
    std::vector<std::pair<double, double>> buckets;  // le, value
    double inf = -1, count = -1;
  };
  std::map<std::string, H> hists;
  std::map<std::string, double> counts;
  auto key_without_le = [](const Line& l, std::string_view suffix) {
    std::string k = l.name.substr(0, l.name.size() - suffix.size());
    for (const auto& [n, v] : l.labels) {
      if (n != "le") k += "," + n + "=" + v;
    }
    return k;
  };
  for (const Line& l : lines) {
    auto ends = [&](std::string_view s) {
      return l.name.size() > s.size() && l.name.compare(l.name.size() - s.size(), s.size(), s) == 0;
    };
    if (ends("_bucket")) {
      H& h = hists[key_without_le(l, "_bucket")];
      const std::string& le = l.labels.at("le");
      if (le == "+Inf") {
        h.inf = l.value;
      } else {
        h.buckets.emplace_back(std::strtod(le.c_str(), nullptr), l.value);
      }
    } else if (ends("_count")) {
      counts[key_without_le(l, "_count")] = l.value;
    }
  }
  for (auto& [k, h] : hists) {
    if (counts.count(k)) h.count = counts[k];
  }
  ASSERT_FALSE(hists.empty());
  for (const auto& [k, h] : hists) {
    ASSERT_GE(h.inf, 0) << k;
    EXPECT_EQ(h.inf, h.count) << k;
    double prev = 0, prev_le = -1;
    for (const auto& [le, v] : h.buckets) {
      EXPECT_GT(le, prev_le) << k;
      EXPECT_GE(v, prev) << k;
      prev = v, prev_le = le;
    }
    EXPECT_GE(h.inf, prev) << k;
  }
}

// Every body the fleet serves parses with the real exposition parsers, in both formats, with
// exactly --series-per-target series and the family types the mix declares.
TEST(FleetTest, BodiesParseWithTextparse) {
  ManualClock clock(kT0);
  FleetOptions o = SmallOptions(1200);
  o.profile = "compliance";
  o.churn = 0.2;
  Fleet f(o, &clock);
  ASSERT_TRUE(f.Build().ok());
  for (int t = 0; t < f.num_targets(); ++t) {
    for (Format format : {Format::kText, Format::kOpenMetrics}) {
      int64_t when = kT0 + 20000 * (t + 1);
      std::string body = ScrapeAt(&f, &clock, t, when, format);
      auto p = textparse::NewParser(format == Format::kText ? textparse::Format::kPrometheusText
                                                            : textparse::Format::kOpenMetrics,
                                    body);
      size_t series = 0;
      std::map<std::string, textparse::MetricType> types;
      std::set<std::string> keys;
      for (;;) {
        auto e = p->Next();
        ASSERT_TRUE(e.has_value()) << e.error().ToString();
        if (*e == textparse::Entry::kEof) break;
        if (*e == textparse::Entry::kType) types[std::string(p->MetricName())] = p->Type();
        if (*e != textparse::Entry::kSeries) continue;
        ++series;
        EXPECT_TRUE(keys.insert(p->BuildLabels().ToString()).second) << p->Series();
      }
      // demo_intermittent_metric is only there during even minutes.
      EXPECT_EQ(series, f.num_series(t) - ((when / 60000) % 2 == 1 ? 1 : 0));
      EXPECT_EQ(types["http_server_requests_seconds"], textparse::MetricType::kHistogram);
      EXPECT_EQ(types["jvm_gc_pause_seconds"], textparse::MetricType::kSummary);
      EXPECT_EQ(types["demo_api_request_duration_seconds"], textparse::MetricType::kHistogram);
      EXPECT_EQ(types[format == Format::kText ? "istio_requests_total" : "istio_requests"],
                textparse::MetricType::kCounter);
    }
  }
}

TEST(FleetTest, HistogramsConsistentAndCountersMonotonic) {
  ManualClock clock(kT0);
  Fleet f(SmallOptions(1500), &clock);
  ASSERT_TRUE(f.Build().ok());
  std::map<std::string, double> last;
  size_t grew = 0;
  for (int scrape = 1; scrape <= 6; ++scrape) {
    auto lines = ParseBody(ScrapeAt(&f, &clock, 1, kT0 + scrape * 15000));
    CheckHistograms(lines);
    for (const Line& l : lines) {
      bool counter = l.name.ends_with("_total") || l.name.ends_with("_bucket") ||
                     l.name.ends_with("_count") || l.name.ends_with("_sum");
      if (!counter) continue;
      auto it = last.find(l.key);
      if (it != last.end()) {
        EXPECT_GE(l.value, it->second) << l.key;
        if (l.value > it->second) ++grew;
      }
      last[l.key] = l.value;
    }
  }
  EXPECT_GT(grew, 1000u);  // counters do move
}

TEST(FleetTest, ValuesAdvanceOnlyWithTime) {
  ManualClock clock(kT0);
  Fleet f(SmallOptions(400), &clock);
  ASSERT_TRUE(f.Build().ok());
  std::string a = ScrapeAt(&f, &clock, 0, kT0 + 10000);
  std::string b = ScrapeAt(&f, &clock, 0, kT0 + 10500);  // < 1 s later: same values
  EXPECT_EQ(a, b);
  std::string c = ScrapeAt(&f, &clock, 0, kT0 + 20000);
  EXPECT_NE(a, c);
}

TEST(FleetTest, DeterministicWithSeed) {
  auto body = [](uint64_t seed) {
    ManualClock clock(kT0);
    FleetOptions o = SmallOptions(800);
    o.seed = seed;
    Fleet f(o, &clock);
    EXPECT_TRUE(f.Build().ok());
    std::string out;
    for (int i = 1; i <= 3; ++i) out += ScrapeAt(&f, &clock, 3, kT0 + i * 10000);
    return out;
  };
  EXPECT_EQ(body(7), body(7));
  EXPECT_NE(body(7), body(8));
}

// Sum of rates over series matching `pred` between two scrapes 60 s apart.
template <typename Pred>
double Increase(Fleet* f, ManualClock* clock, int target, int64_t t, Pred pred) {
  auto a = ParseBody(ScrapeAt(f, clock, target, t));
  auto b = ParseBody(ScrapeAt(f, clock, target, t + 60000));
  std::map<std::string, double> before;
  for (const Line& l : a) before[l.key] = l.value;
  double sum = 0;
  for (const Line& l : b) {
    if (pred(l)) sum += l.value - before[l.key];
  }
  return sum;
}

TEST(FleetTest, IncidentRaisesUcUhAndThrottling) {
  ManualClock clock(kT0);
  FleetOptions o = SmallOptions(2000);
  Fleet f(o, &clock);
  ASSERT_TRUE(f.Build().ok());
  const Topology& topo = f.topology();
  std::string svc = topo.services()[topo.incident_service()];
  std::string ver = topo.versions()[topo.incident_version()];
  int incident_pod = -1;
  for (int i = 0; i < f.num_targets(); ++i) {
    if (f.info(i).incident) incident_pod = i;
  }
  ASSERT_GE(incident_pod, 0);
  EXPECT_EQ(f.info(incident_pod).service_name, svc);

  auto uc_uh = [&](const Line& l) {
    return l.name == "istio_requests_total" && l.labels.at("destination_app") == svc &&
           l.labels.at("destination_version") == ver &&
           (l.labels.at("response_flags") == "UC" || l.labels.at("response_flags") == "UH");
  };
  auto ok = [&](const Line& l) {
    return l.name == "istio_requests_total" && l.labels.at("destination_app") == svc &&
           l.labels.at("destination_version") == ver && l.labels.at("response_code") == "200";
  };
  auto throttled = [&](const Line& l) {
    return l.name == "container_cpu_cfs_throttled_periods_total" && l.labels.at("container") == svc;
  };
  double uc_off = Increase(&f, &clock, incident_pod, kT0 + 10000, uc_uh);
  double ok_off = Increase(&f, &clock, incident_pod, kT0 + 100000, ok);
  double thr_off = Increase(&f, &clock, incident_pod, kT0 + 200000, throttled);
  f.SetIncident(true);
  double uc_on = Increase(&f, &clock, incident_pod, kT0 + 300000, uc_uh);
  double ok_on = Increase(&f, &clock, incident_pod, kT0 + 400000, ok);
  double thr_on = Increase(&f, &clock, incident_pod, kT0 + 500000, throttled);
  EXPECT_GT(uc_on, 20 * (uc_off + 1));
  EXPECT_GT(uc_on, 0.3 * ok_on);  // a large share of the requests
  EXPECT_GT(thr_on, 5 * (thr_off + 1));
  EXPECT_GT(ok_off, 0);

  // Callers of the incident service see the UC/UH flags too (reporter=source).
  int caller_pod = -1;
  for (int i = 0; i < f.num_targets() && caller_pod < 0; ++i) {
    for (int c : topo.Callers(topo.incident_service())) {
      if (f.info(i).service == c) caller_pod = i;
    }
  }
  ASSERT_GE(caller_pod, 0);
  double caller_on = Increase(&f, &clock, caller_pod, kT0 + 600000, uc_uh);
  f.SetIncident(false);
  double caller_off = Increase(&f, &clock, caller_pod, kT0 + 700000, uc_uh);
  EXPECT_GT(caller_on, 10 * (caller_off + 1));

  // Other pods are not affected.
  int other = incident_pod == 0 ? f.num_targets() - 1 : 0;
  ASSERT_FALSE(f.info(other).incident);
  f.SetIncident(true);
  double other_thr = Increase(&f, &clock, other, kT0 + 800000, [&](const Line& l) {
    return l.name == "container_cpu_cfs_throttled_periods_total" &&
           l.labels.at("container") == f.info(other).service_name;
  });
  EXPECT_LT(other_thr, 60 * 1.0);
}

// The series the dashboards need to show the incident exist even in small targets (vigil demo
// runs 400 series per pod): every caller of the incident service version has its sidecar's
// UC and UH series for that destination, and every pod's application container has CPU usage,
// quota, period, CFS periods and throttled periods.
TEST(FleetTest, SmallTargetsHaveTheIncidentSeries) {
  for (int series : {300, 400, 1000}) {
    ManualClock clock(kT0);
    FleetOptions o = SmallOptions(series);
    o.services = 8;
    o.instances = 3;
    Fleet f(o, &clock);
    ASSERT_TRUE(f.Build().ok());
    const Topology& topo = f.topology();
    std::string svc = topo.services()[topo.incident_service()];
    std::string ver = topo.versions()[topo.incident_version()];
    const auto& callers = topo.Callers(topo.incident_service());
    ASSERT_FALSE(callers.empty());
    int caller_pods = 0;
    for (int t = 0; t < f.num_targets(); ++t) {
      const TargetInfo& info = f.info(t);
      std::set<std::string> flags, cpu;
      for (const Line& l : ParseBody(ScrapeAt(&f, &clock, t, kT0 + 15000))) {
        if (l.name == "istio_requests_total" && l.labels.at("reporter") == "source" &&
            l.labels.at("destination_canonical_service") == svc &&
            l.labels.at("destination_version") == ver) {
          flags.insert(l.labels.at("response_flags"));
        }
        auto c = l.labels.find("container");
        if (l.name.starts_with("container_") && c != l.labels.end() &&
            c->second == info.service_name) {
          cpu.insert(l.name);
        }
      }
      bool calls = std::find(callers.begin(), callers.end(), info.service) != callers.end();
      if (calls) {
        ++caller_pods;
        EXPECT_TRUE(flags.count("UC") && flags.count("UH") && flags.count("-"))
            << "series=" << series << " caller pod " << info.pod;
      }
      for (const char* name : {"container_cpu_usage_seconds_total", "container_spec_cpu_quota",
                               "container_spec_cpu_period", "container_cpu_cfs_periods_total",
                               "container_cpu_cfs_throttled_periods_total"}) {
        EXPECT_TRUE(cpu.count(name)) << "series=" << series << " " << info.pod << " " << name;
      }
    }
    EXPECT_EQ(caller_pods, int(callers.size()) * o.versions * o.instances);
  }
}

TEST(FleetTest, ChurnRotatesPodAndRestartsCounters) {
  ManualClock clock(kT0);
  FleetOptions o = SmallOptions(1000);
  o.churn = 0.3;
  o.churn_interval_ms = 600000;
  Fleet f(o, &clock);
  ASSERT_TRUE(f.Build().ok());
  int64_t gen_start = (kT0 / 600000 + 1) * 600000;
  auto a = ParseBody(ScrapeAt(&f, &clock, 0, gen_start - 20000));
  auto b = ParseBody(ScrapeAt(&f, &clock, 0, gen_start + 10000));
  std::set<std::string> pods_a, pods_b;
  for (const Line& l : a) pods_a.insert(l.labels.at("pod"));
  for (const Line& l : b) pods_b.insert(l.labels.at("pod"));
  EXPECT_EQ(pods_a.size(), 2u);
  EXPECT_EQ(pods_b.size(), 2u);
  EXPECT_NE(pods_a, pods_b);
  std::string stable = f.info(0).pod;
  size_t churned = 0, restarted = 0;
  for (const Line& l : b) {
    if (l.labels.at("pod") == stable) continue;
    ++churned;
    if (l.name.ends_with("_total") && l.value < 1e6) ++restarted;
  }
  EXPECT_GT(churned, 150u);
  EXPECT_LT(churned, 500u);
  EXPECT_GT(restarted, 0u);
  CheckHistograms(b);
}

TEST(FleetTest, OpenMetricsRendering) {
  ManualClock clock(kT0);
  Fleet f(SmallOptions(600), &clock);
  ASSERT_TRUE(f.Build().ok());
  std::string om = ScrapeAt(&f, &clock, 0, kT0 + 5000, Format::kOpenMetrics);
  ASSERT_TRUE(om.ends_with("# EOF\n"));
  EXPECT_NE(om.find("# TYPE istio_requests counter\n"), std::string::npos);
  EXPECT_EQ(om.find("# TYPE istio_requests_total"), std::string::npos);
  EXPECT_NE(om.find("# TYPE http_server_requests_seconds histogram\n"), std::string::npos);
  std::string text = ScrapeAt(&f, &clock, 0, kT0 + 5000, Format::kText);
  EXPECT_NE(text.find("# TYPE istio_requests_total counter\n"), std::string::npos);
  EXPECT_EQ(ParseBody(om).size(), ParseBody(text).size());
}

TEST(FleetTest, NegotiateFormat) {
  struct Case {
    const char* accept;
    Format want;
  } cases[] = {
      {"", Format::kText},
      {"text/plain", Format::kText},
      {"*/*", Format::kText},
      {"application/openmetrics-text", Format::kOpenMetrics},
      {"application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
       "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
       Format::kOpenMetrics},
      {"text/plain;version=0.0.4;q=1,application/openmetrics-text;version=1.0.0;q=0.5",
       Format::kText},
      {"text/plain;version=0.0.4,application/openmetrics-text;version=1.0.0", Format::kText},
      {"application/openmetrics-text;q=0,text/plain", Format::kText},
  };
  for (const auto& c : cases) EXPECT_EQ(NegotiateFormat(c.accept), c.want) << c.accept;
}

TEST(FleetTest, ComplianceProfileAddsDemoSeries) {
  ManualClock clock(kT0);
  FleetOptions o = SmallOptions(0);
  o.profile = "compliance";
  o.services = 1;
  o.versions = 1;
  o.instances = 3;
  Fleet f(o, &clock);
  ASSERT_TRUE(f.Build().ok());
  int64_t even_minute = (kT0 / 120000 + 1) * 120000 + 5000;
  auto even = ParseBody(ScrapeAt(&f, &clock, 0, even_minute));
  auto odd = ParseBody(ScrapeAt(&f, &clock, 0, even_minute + 60000));
  std::map<std::string, int> names;
  for (const Line& l : even) {
    names[l.name]++;
    EXPECT_EQ(l.labels.count("pod"), 0u) << l.key;
  }
  for (const char* n :
       {"demo_api_request_duration_seconds_bucket", "demo_api_request_duration_seconds_count",
        "demo_cpu_usage_seconds_total", "demo_num_cpus", "demo_memory_usage_bytes",
        "demo_disk_usage_bytes", "demo_batch_last_success_timestamp_seconds",
        "demo_items_shipped_total", "demo_intermittent_metric", "demo_api_response_size_bytes"}) {
    EXPECT_GT(names[n], 0) << n;
  }
  EXPECT_EQ(names["demo_api_request_duration_seconds_bucket"], 8 * 26);
  EXPECT_EQ(names["demo_memory_usage_bytes"], 4);
  EXPECT_EQ(odd.size() + 1, even.size());  // demo_intermittent_metric is gone
  for (const Line& l : even) {
    if (l.name == "demo_batch_last_success_timestamp_seconds") {
      EXPECT_LE(l.value * 1000, double(even_minute));
      EXPECT_GT(l.value * 1000, double(even_minute - 30 * 60000));
    }
  }
  CheckHistograms(even);
}

TEST(FleetTest, ServesOverHttp) {
  FleetOptions o = SmallOptions(500);
  o.gzip = true;
  o.control_port = 0;
  Fleet f(o);
  ASSERT_TRUE(f.Start().ok());
  std::string base = "http://127.0.0.1:" + std::to_string(f.port(2));
  auto r = net::HttpGet(base + "/metrics");
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->Header("content-type"), std::string(kTextContentType));
  EXPECT_EQ(ParseBody(r->body).size(), 500u);

  net::HttpClientRequest req;
  req.url = base + "/metrics";
  req.headers = {{"Accept-Encoding", "gzip"},
                 {"Accept", "application/openmetrics-text;version=1.0.0,text/plain;q=0.5"}};
  auto gz = net::HttpDo(req);
  ASSERT_TRUE(gz.has_value());
  EXPECT_EQ(gz->Header("content-encoding"), "gzip");
  EXPECT_EQ(gz->Header("content-type"), std::string(kOpenMetricsContentType));
  std::string plain;
  ASSERT_TRUE(net::Gunzip(gz->body, 64 << 20, &plain).ok());
  EXPECT_TRUE(plain.ends_with("# EOF\n"));

  auto stats = net::HttpGet(base + "/stats");
  ASSERT_TRUE(stats.has_value());
  EXPECT_NE(stats->body.find("\"scrapes\":2"), std::string::npos) << stats->body;
  EXPECT_NE(stats->body.find("\"samples_served\":1000"), std::string::npos) << stats->body;

  std::string control = "http://127.0.0.1:" + std::to_string(f.control_port());
  net::HttpClientRequest on;
  on.method = "POST";
  on.url = control + "/incident/on";
  auto on_r = net::HttpDo(on);
  ASSERT_TRUE(on_r.has_value());
  EXPECT_EQ(on_r->status, 200);
  EXPECT_TRUE(f.incident());
  EXPECT_NE(on_r->body.find("\"incident\":true"), std::string::npos);
  on.url = control + "/incident/off";
  ASSERT_TRUE(net::HttpDo(on).has_value());
  EXPECT_FALSE(f.incident());
  auto get_on = net::HttpGet(control + "/incident/on");
  ASSERT_TRUE(get_on.has_value());
  EXPECT_EQ(get_on->status, 405);

  f.Stop();
  auto dead = net::HttpGet(base + "/metrics", 2000);
  EXPECT_FALSE(dead.has_value());
}

TEST(FleetTest, IncidentAfterTimer) {
  ManualClock clock(kT0);
  FleetOptions o = SmallOptions(300);
  o.incident_after_ms = 60000;
  Fleet f(o, &clock);
  ASSERT_TRUE(f.Start().ok());
  std::string body;
  f.Scrape(0, Format::kText, &body);
  EXPECT_FALSE(f.incident());
  clock.Advance(61000);
  f.Scrape(0, Format::kText, &body);
  EXPECT_TRUE(f.incident());
}

TEST(FleetTest, BadOptions) {
  FleetOptions o;
  o.services = 0;
  EXPECT_TRUE(o.Validate().IsInvalidArgument());
  o = FleetOptions();
  o.incident_service = "nope";
  EXPECT_TRUE(o.Validate().IsInvalidArgument());
  o = FleetOptions();
  o.profile = "x";
  EXPECT_TRUE(o.Validate().IsInvalidArgument());
  o = FleetOptions();
  o.base_port = 65500;
  EXPECT_TRUE(o.Validate().IsInvalidArgument());
  o = FleetOptions();
  o.incident_version = "v3";
  EXPECT_TRUE(o.Validate().IsInvalidArgument());
  EXPECT_TRUE(FleetOptions().Validate().ok());
}

TEST(FleetTest, FormatValue) {
  struct Case {
    double v;
    const char* want;
  } cases[] = {{0, "0"},
               {42, "42"},
               {-1, "-1"},
               {0.5, "0.5"},
               {1e15, "1e+15"},
               {123.25, "123.25"},
               {1073741824, "1073741824"}};
  for (const auto& c : cases) {
    std::string s;
    AppendValue(&s, c.v);
    EXPECT_EQ(s, c.want);
  }
  std::string s;
  AppendValue(&s, std::nan(""));
  AppendValue(&s, -INFINITY);
  EXPECT_EQ(s, "NaN-Inf");
}

// Render cost for a 10k-series target (fleet.py needs 20-40 ms). Reported, loosely bounded.
TEST(FleetTest, RenderTime10kSeries) {
  ManualClock clock(kT0);
  FleetOptions o = SmallOptions(10000);
  o.services = 1;
  o.versions = 1;
  o.instances = 1;
  Fleet f(o, &clock);
  ASSERT_TRUE(f.Build().ok());
  std::string body;
  f.Scrape(0, Format::kText, &body);
  std::vector<double> ms;
  for (int i = 1; i <= 9; ++i) {
    body.clear();
    clock.Advance(10000);
    auto t0 = std::chrono::steady_clock::now();
    f.Scrape(0, Format::kText, &body);
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf("render 10k series: median %.2f ms, body %zu bytes\n", ms[4], body.size());
  RecordProperty("render_10k_ms", std::to_string(ms[4]));
  EXPECT_LT(ms[4], 500);
}

}  // namespace
}  // namespace vigil::fleet
