// `vigil fleet`: the simulated microservice fleet (src/fleet), a stand-in for avalanche and
// the benchmark harness' fleet.py with the same flags where they overlap.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/logging.h"
#include "cmd/commands.h"
#include "cmd/fleet_backfill.h"
#include "fleet/fleet.h"
#include "net/http_server.h"

namespace vigil::cmd {
namespace {

// Prometheus-style durations ("90s", "10m", "1h30m", "500ms"). A bare number is read in
// `bare_unit_ms` (0: not allowed).
bool ParseDurationMs(const std::string& s, int64_t bare_unit_ms, int64_t* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  double bare = std::strtod(s.c_str(), &end);
  if (end != nullptr && *end == '\0') {
    if (bare_unit_ms == 0 || bare < 0) return false;
    *out = int64_t(bare * double(bare_unit_ms));
    return true;
  }
  static const std::map<std::string, int64_t> kUnits = {
      {"ms", 1},       {"s", 1000},           {"m", 60000},           {"h", 3600000},
      {"d", 86400000}, {"w", 7 * 86400000LL}, {"y", 365 * 86400000LL}};
  int64_t total = 0;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && s[j] >= '0' && s[j] <= '9') ++j;
    if (j == i) return false;
    int64_t n = std::stoll(s.substr(i, j - i));
    size_t k = j;
    while (k < s.size() && !(s[k] >= '0' && s[k] <= '9')) ++k;
    auto it = kUnits.find(s.substr(j, k - j));
    if (it == kUnits.end()) return false;
    total += n * it->second;
    i = k;
  }
  *out = total;
  return true;
}

int SelfTest(const fleet::FleetOptions& base, bool dump) {
  fleet::FleetOptions o = base;
  o.services = 1, o.versions = 1, o.instances = 1, o.targets = 0;
  ManualClock clock(RealClock::Default()->NowMs());
  fleet::Fleet f(o, &clock);
  Status s = f.Build();
  if (!s.ok()) {
    std::fprintf(stderr, "vigil fleet: %s\n", s.ToString().c_str());
    return 2;
  }
  std::printf("build: %.3fs for %zu series\n", f.stats().build_seconds, f.num_series(0));
  std::string body;
  std::vector<double> times;
  for (int i = 0; i < 9; ++i) {
    body.clear();
    clock.Advance(10000);
    auto t0 = std::chrono::steady_clock::now();
    f.Scrape(0, fleet::Format::kText, &body);
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::vector<double> sorted = times;
  std::sort(sorted.begin(), sorted.end());
  std::printf(
      "render (advance 10s + format): median %.4fs  max %.4fs  body %zu bytes (%.0f B/series)\n",
      sorted[sorted.size() / 2], sorted.back(), body.size(),
      double(body.size()) / double(std::max<size_t>(1, f.num_series(0))));
  auto t0 = std::chrono::steady_clock::now();
  std::string gz = net::Gzip(body, 1);
  std::printf("gzip-1: %.4fs -> %zu bytes\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
              gz.size());
  fleet::MixReport m = f.mix(0);
  std::printf("layers: app %zu, istio/envoy %zu, os/container %zu, demo %zu\n", m.app, m.mesh, m.os,
              m.demo);
  std::map<std::string, int> names;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t nl = body.find('\n', pos);
    std::string_view line(body.data() + pos, nl - pos);
    pos = nl + 1;
    if (line.empty() || line[0] == '#') continue;
    names[std::string(line.substr(0, line.find_first_of("{ ")))]++;
  }
  std::vector<std::pair<int, std::string>> top;
  for (auto& [n, c] : names) top.emplace_back(c, n);
  std::sort(top.rbegin(), top.rend());
  for (size_t i = 0; i < top.size() && i < 15; ++i) {
    std::printf("  %6d %s\n", top[i].first, top[i].second.c_str());
  }
  if (dump) std::fwrite(body.data(), 1, body.size(), stdout);
  return 0;
}

}  // namespace

int RunFleet(int argc, char** argv) {
  CLI::App app{"vigil fleet: a simulated microservice fleet of scrape targets", "vigil fleet"};
  fleet::FleetOptions o;
  std::string churn_interval = "10m", incident_after, log_level = "info", ready_file, file_sd_out;
  bool selftest = false, dump = false;
  std::string backfill, backfill_end, scrape_interval = "15s", rw_timeout = "30s";
  FleetBackfillFlags bf;
  app.add_option("--services", o.services, "services in the fleet")->capture_default_str();
  app.add_option("--versions", o.versions, "versions per service (v1..vN)")->capture_default_str();
  app.add_option("--instances", o.instances, "pods per service version")->capture_default_str();
  app.add_option("--targets", o.targets,
                 "serve only the first N targets (fleet.py compatibility; 0: all)");
  app.add_option("--series-per-target", o.series_per_target, "series each target exposes")
      ->capture_default_str();
  app.add_option("--base-port", o.base_port,
                 "target i listens on base-port + i (with --backfill: its instance label's port)")
      ->capture_default_str();
  app.add_option("--listen-address,--host", o.listen_host,
                 "address the targets listen on (with --backfill: the instance label's host)")
      ->capture_default_str();
  app.add_option("--control-port", o.control_port,
                 "port of the control endpoint (POST /incident/on|off, GET /stats); -1: none")
      ->capture_default_str();
  app.add_option("--threads", o.threads, "HTTP server threads")->capture_default_str();
  app.add_option("--seed", o.seed, "random seed (same seed, same fleet)")->capture_default_str();
  app.add_option("--churn", o.churn,
                 "fraction of series whose pod label rotates every --churn-interval")
      ->capture_default_str();
  app.add_option("--churn-interval", churn_interval,
                 "churn period (duration like 10m; a bare number is minutes)")
      ->capture_default_str();
  app.add_flag("--gzip", o.gzip, "gzip responses when the scraper accepts gzip");
  app.add_option("--profile", o.profile,
                 "default, or compliance (adds the PromQL compliance demo-service metrics)")
      ->capture_default_str();
  app.add_option("--incident-after", incident_after,
                 "switch the incident on this long after start (duration, e.g. 5m)");
  app.add_option("--incident-service", o.incident_service,
                 "service whose version has the incident (default: the second service)");
  app.add_option("--incident-version", o.incident_version,
                 "version with the incident (default: the last one)");
  app.add_option("--ready-file", ready_file, "write our PID here once all ports listen");
  app.add_option("--file-sd-out", file_sd_out,
                 "write a file_sd JSON file listing every target once listening");
  app.add_option("--log.level", log_level, "debug, info, warn, error")->capture_default_str();
  app.add_option("--backfill", backfill,
                 "do not serve: simulate Prometheus scraping the fleet over this much past time "
                 "(duration, e.g. 100m) and remote-write the samples to --remote-write.url");
  app.add_option("--backfill.end", backfill_end,
                 "end of the backfilled window, Unix seconds (fractions allowed; default: now)");
  app.add_option("--backfill.job", bf.job, "job label of the backfilled series")
      ->capture_default_str();
  app.add_option("--scrape-interval", scrape_interval, "with --backfill: the simulated interval")
      ->capture_default_str();
  app.add_option("--remote-write.url", bf.urls,
                 "with --backfill: a remote-write receiver (repeat to send the identical stream "
                 "to several)");
  app.add_option("--remote-write.max-samples-per-send", bf.max_samples_per_send,
                 "with --backfill: samples per remote-write request")
      ->capture_default_str();
  app.add_option("--remote-write.timeout", rw_timeout, "with --backfill: timeout per request")
      ->capture_default_str();
  app.add_option("--remote-write.shards", bf.shards,
                 "with --backfill: parallel request streams per receiver (a series always uses "
                 "the same one)")
      ->capture_default_str();
  app.add_option("--remote-write.rounds-per-send", bf.rounds_per_send,
                 "with --backfill: buffer this many scrape rounds (1..64) and send each series' "
                 "samples of them together (0: send as soon as a request is full)")
      ->capture_default_str();
  app.add_flag("--selftest", selftest, "time building and rendering one target and exit");
  app.add_flag("--dump", dump, "with --selftest: print the exposition");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  LogLevel level;
  if (!ParseLogLevel(log_level, &level)) {
    std::fprintf(stderr, "vigil fleet: bad --log.level %s\n", log_level.c_str());
    return 2;
  }
  SetLogLevel(level);
  if (!ParseDurationMs(churn_interval, 60000, &o.churn_interval_ms)) {
    std::fprintf(stderr, "vigil fleet: bad --churn-interval %s\n", churn_interval.c_str());
    return 2;
  }
  if (!incident_after.empty() && !ParseDurationMs(incident_after, 0, &o.incident_after_ms)) {
    std::fprintf(stderr, "vigil fleet: bad --incident-after %s\n", incident_after.c_str());
    return 2;
  }
  if (Status s = o.Validate(); !s.ok()) {
    std::fprintf(stderr, "vigil fleet: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  if (selftest) return SelfTest(o, dump);
  if (!backfill.empty()) {
    if (!ParseDurationMs(backfill, 0, &bf.duration_ms)) {
      std::fprintf(stderr, "vigil fleet: bad --backfill %s\n", backfill.c_str());
      return 2;
    }
    if (!ParseDurationMs(scrape_interval, 0, &bf.interval_ms) || bf.interval_ms <= 0) {
      std::fprintf(stderr, "vigil fleet: bad --scrape-interval %s\n", scrape_interval.c_str());
      return 2;
    }
    if (!ParseDurationMs(rw_timeout, 0, &bf.timeout_ms) || bf.timeout_ms <= 0) {
      std::fprintf(stderr, "vigil fleet: bad --remote-write.timeout %s\n", rw_timeout.c_str());
      return 2;
    }
    if (!backfill_end.empty()) {
      char* end = nullptr;
      double secs = std::strtod(backfill_end.c_str(), &end);
      if (end == nullptr || *end != '\0' || !(secs > 0)) {
        std::fprintf(stderr, "vigil fleet: bad --backfill.end %s (Unix seconds)\n",
                     backfill_end.c_str());
        return 2;
      }
      bf.end_ms = std::llround(secs * 1000);
    }
    return RunFleetBackfill(o, bf);
  }

  // Block the stop signals in every thread; the main thread waits for them below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  fleet::Fleet f(o);
  if (Status s = f.Start(); !s.ok()) {
    std::fprintf(stderr, "vigil fleet: %s\n", s.ToString().c_str());
    return 1;
  }
  const fleet::Topology& topo = f.topology();
  std::printf(
      "fleet: serving %d targets x %d series on %s:%d-%d (build %.1fs); incident: %s %s; "
      "control port %d\n",
      f.num_targets(), o.series_per_target, o.listen_host.c_str(), int(f.port(0)),
      int(f.port(f.num_targets() - 1)), f.stats().build_seconds,
      topo.services()[topo.incident_service()].c_str(),
      topo.versions()[topo.incident_version()].c_str(),
      o.control_port >= 0 ? int(f.control_port()) : -1);
  std::fflush(stdout);
  if (!file_sd_out.empty()) {
    std::string tmp = file_sd_out + ".tmp";
    std::ofstream(tmp) << f.FileSdJson();
    if (std::rename(tmp.c_str(), file_sd_out.c_str()) != 0) {
      std::fprintf(stderr, "vigil fleet: cannot write %s\n", file_sd_out.c_str());
    }
  }
  if (!ready_file.empty()) std::ofstream(ready_file) << getpid() << "\n";
  int sig = 0;
  sigwait(&stop_signals, &sig);
  VIGIL_LOG_INFO("fleet", "stopping", "signal={}", sig);
  f.Stop();
  return 0;
}

}  // namespace vigil::cmd
