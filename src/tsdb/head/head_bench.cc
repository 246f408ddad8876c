// head_bench: memory and speed of the head on a Kubernetes/Istio-like fleet.
//
//   head_bench [--series N] [--samples S] [--dir DIR] [--sync] [--random-values]
//
// Builds N series (default 1M) as `targets` of 1000 series each: 50 services x 20 pods per
// 1000 targets, every target carrying 14 target labels (cluster, namespace, service, pod,
// node, ...) and every series a metric name plus 0-9 metric labels (Istio request metrics,
// histogram buckets, Go/process/container metrics): 15-24 labels per series. Then appends
// S samples (default 30) per series at 10 s intervals, one appender per target per round,
// like a scrape loop with a ref cache. Values follow a fleet-like mix: 30% of series are
// constant (info metrics, idle buckets, limits), 50% counters growing by a per-series rate
// (often 0 per scrape), 20% gauges random-walking over floats; --random-values makes every
// value random instead (a worst case for XOR: ~4 B/sample).
// Prints anonymous memory per structure, process RSS
// per series, append throughput, and, with --dir (WAL + chunks_head/ in DIR), closes the
// head and reopens it in a fresh process (re-exec with --replay): replay speed and the
// restarted head's RSS, to compare with the running one. --replay --dir DIR alone replays
// an existing directory.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "tsdb/head/head.h"

namespace {

using vigil::Labels;
using vigil::tsdb::Head;
using vigil::tsdb::HeadOptions;

// Resident memory of this process: total, anonymous (heap, mmapped structures) and
// file-backed (mapped chunk files, binary).
struct Rss {
  size_t total = 0, anon = 0, file = 0;
};
Rss ReadRss() {
  FILE* f = std::fopen("/proc/self/status", "r");
  Rss r;
  if (f == nullptr) return r;
  char line[256];
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, "VmRSS:", 6) == 0) r.total = std::strtoull(line + 6, nullptr, 10) << 10;
    if (std::strncmp(line, "RssAnon:", 8) == 0) r.anon = std::strtoull(line + 8, nullptr, 10) << 10;
    if (std::strncmp(line, "RssFile:", 8) == 0) r.file = std::strtoull(line + 8, nullptr, 10) << 10;
  }
  std::fclose(f);
  return r;
}

double ProcessCpuNow() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// CPU seconds of this thread (the machine may be shared; wall time is noisy).
double CpuNow() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

// One series of a target: metric name + metric labels (name, value) pairs.
struct SeriesTemplate {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;
  bool counter;
};

// The 1000 series every target exposes.
std::vector<SeriesTemplate> TargetTemplates(int service, std::mt19937& rng) {
  std::vector<SeriesTemplate> out;
  const char* les[] = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
                       "0.5",   "1",    "2.5",   "5",    "10",  "+Inf"};
  const char* codes[] = {"200", "201", "204", "301", "400", "404", "500", "503"};
  const char* methods[] = {"GET", "POST", "PUT", "DELETE"};
  // Go/process runtime: 60 plain series.
  for (int i = 0; i < 60; ++i) {
    out.push_back({fmt::format("go_runtime_metric_{}", i), {}, i % 3 == 0});
  }
  // HTTP server histogram: 6 routes x 2 methods x (12 buckets + sum + count) = 168.
  for (int r = 0; r < 6; ++r) {
    for (int m = 0; m < 2; ++m) {
      std::string route = fmt::format("/api/v1/svc{}/op{}", service, r);
      for (const char* le : les) {
        out.push_back({"http_server_request_duration_seconds_bucket",
                       {{"le", le}, {"method", methods[m]}, {"route", route}},
                       true});
      }
      out.push_back({"http_server_request_duration_seconds_sum",
                     {{"method", methods[m]}, {"route", route}},
                     true});
      out.push_back({"http_server_request_duration_seconds_count",
                     {{"method", methods[m]}, {"route", route}},
                     true});
    }
  }
  // Istio: requests_total by destination x response code x reporter: 10 x 8 x 2 = 160.
  for (int d = 0; d < 10; ++d) {
    int dest = (service + 1 + d * 5) % 50;
    for (const char* code : codes) {
      for (const char* reporter : {"source", "destination"}) {
        out.push_back({"istio_requests_total",
                       {{"connection_security_policy", "mutual_tls"},
                        {"destination_service", fmt::format("svc-{}.prod.svc.cluster.local", dest)},
                        {"destination_workload", fmt::format("svc-{}", dest)},
                        {"destination_version", fmt::format("v{}", dest % 3 + 1)},
                        {"reporter", reporter},
                        {"request_protocol", "http"},
                        {"response_code", code},
                        {"response_flags", "-"},
                        {"source_workload", fmt::format("svc-{}", service)}},
                       true});
      }
    }
  }
  // Istio duration histogram: 10 destinations x 2 reporters x 12 buckets = 240.
  for (int d = 0; d < 10; ++d) {
    int dest = (service + 1 + d * 5) % 50;
    for (const char* reporter : {"source", "destination"}) {
      for (const char* le : les) {
        out.push_back({"istio_request_duration_milliseconds_bucket",
                       {{"destination_workload", fmt::format("svc-{}", dest)},
                        {"le", le},
                        {"reporter", reporter},
                        {"request_protocol", "http"},
                        {"response_code", "200"},
                        {"source_workload", fmt::format("svc-{}", service)}},
                       true});
      }
    }
  }
  // Container metrics: 4 containers x 40 metrics = 160.
  for (int c = 0; c < 4; ++c) {
    for (int m = 0; m < 40; ++m) {
      out.push_back({fmt::format("container_metric_{}", m),
                     {{"container", c == 0 ? "app" : fmt::format("sidecar-{}", c)},
                      {"image", fmt::format("registry.example.com/svc-{}:{}", service, c)}},
                     m % 2 == 0});
    }
  }
  // App-specific business metrics to reach 1000: label "operation" x "status".
  int i = 0;
  while (out.size() < 1000) {
    out.push_back(
        {fmt::format("app_operations_total_{}", i % 7),
         {{"operation", fmt::format("op_{}", i / 7 % 30)}, {"status", rng() % 2 ? "ok" : "error"}},
         true});
    ++i;
  }
  out.resize(1000);
  return out;
}

Labels TargetSeriesLabels(int target, const SeriesTemplate& t) {
  int service = target % 50;
  int pod = target / 50;
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  std::string svc = fmt::format("svc-{}", service);
  std::string podname = fmt::format("svc-{}-7d9f8c6b5-{:05d}", service, pod * 7919 % 100000);
  std::string instance =
      fmt::format("10.{}.{}.{}:8080", target / 65536, target / 256 % 256, target % 256);
  std::string node = fmt::format("ip-10-0-{}-{}.ec2.internal", target % 40, target % 40 * 3);
  std::string hash = fmt::format("7d9f8c6b{}", service % 10);
  std::string version = fmt::format("v{}", service % 3 + 1);
  std::string team = fmt::format("team-{}", service % 8);
  std::string zone = fmt::format("eu-west-1{}", char('a' + target % 3));
  pairs = {{"__name__", t.name},
           {"app", svc},
           {"cluster", "prod-eu-1"},
           {"instance", instance},
           {"job", "kubernetes-pods"},
           {"namespace", "prod"},
           {"node", node},
           {"pod", podname},
           {"pod_template_hash", hash},
           {"region", "eu-west-1"},
           {"service", svc},
           {"team", team},
           {"version", version},
           {"zone", zone}};
  for (const auto& [n, v] : t.labels) pairs.emplace_back(n, v);
  return Labels::FromPairs(std::move(pairs));
}

struct Args {
  size_t series = 1'000'000;
  int samples = 30;
  std::string dir;
  bool sync = false;
  bool replay = false;
  bool random_values = false;
};

void PrintMemory(Head* head, double n) {
  auto m = head->MemoryByStructure();
  std::printf("%-14s %12s %10s\n", "structure", "bytes", "B/series");
  auto row = [&](const char* name, size_t b) {
    std::printf("%-14s %12zu %10.1f\n", name, b, double(b) / n);
  };
  row("symbols", m.symbols);
  row("labels", m.labels);
  row("series_state", m.series_state);
  row("postings", m.postings);
  row("open_chunks", m.open_chunks);
  row("series_hash", m.series_hash);
  row("chunk_store", m.chunk_store);
  row("wal_buffers", m.wal_buffers);
  row("total", m.total());
}

int Replay(const Args& a) {
  Rss rss0 = ReadRss();
  HeadOptions o;
  o.dir = a.dir;
  double t0 = Now(), c0 = ProcessCpuNow();
  auto head = Head::Open(o);
  double t1 = Now(), c1 = ProcessCpuNow();
  if (!head.has_value()) {
    std::fprintf(stderr, "open: %s\n", head.error().ToString().c_str());
    return 1;
  }
  Rss rss = ReadRss();
  auto c = (*head)->Counters();
  double n = double((*head)->NumSeries());
  const double read = double(c.replay_samples + c.replay_samples_skipped + c.replay_unknown_refs);
  std::printf(
      "\n--- restart (new process): Head::Open on %s\n"
      "replay: %.2f s wall, %.2f s CPU; %llu series, %llu WAL samples read (%llu appended to open "
      "chunks, %llu already in %llu mmapped chunks)\n",
      a.dir.c_str(), t1 - t0, c1 - c0, (unsigned long long)n, (unsigned long long)read,
      (unsigned long long)c.replay_samples, (unsigned long long)c.replay_samples_skipped,
      (unsigned long long)c.replay_mmapped_chunks);
  std::printf("replay speed: %.2f M WAL samples/s per CPU second (%.2f M per wall second)\n",
              read / (c1 - c0) / 1e6, read / (t1 - t0) / 1e6);
  PrintMemory(head->get(), n);
  std::printf(
      "restart RSS: %.1f MiB total; head: %.0f B/series (%.0f anon + %.0f file-backed; "
      "process baseline %.1f MiB)\n",
      double(rss.total) / (1 << 20), double(rss.total - rss0.total) / n,
      double(rss.anon - rss0.anon) / n, double(int64_t(rss.file) - int64_t(rss0.file)) / n,
      double(rss0.total) / (1 << 20));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string_view s = argv[i];
    if (s == "--series" && i + 1 < argc) {
      a.series = std::strtoull(argv[++i], nullptr, 10);
    } else if (s == "--samples" && i + 1 < argc) {
      a.samples = std::atoi(argv[++i]);
    } else if (s == "--dir" && i + 1 < argc) {
      a.dir = argv[++i];
    } else if (s == "--sync") {
      a.sync = true;
    } else if (s == "--random-values") {
      a.random_values = true;
    } else if (s == "--replay") {
      a.replay = true;
    } else {
      std::fprintf(stderr, "usage: head_bench [--series N] [--samples S] [--dir DIR] [--sync]\n");
      return 2;
    }
  }
  if (a.replay) return Replay(a);
  int targets = int((a.series + 999) / 1000);
  std::mt19937 rng(42);
  std::vector<std::vector<SeriesTemplate>> templates(50);
  for (int s = 0; s < 50; ++s) templates[s] = TargetTemplates(s, rng);

  Rss rss0 = ReadRss();
  HeadOptions o;
  o.dir = a.dir;
  o.wal_sync_on_commit = a.sync;
  if (!a.dir.empty()) std::filesystem::remove_all(a.dir);
  auto opened = Head::Open(o);
  if (!opened.has_value()) {
    std::fprintf(stderr, "open: %s\n", opened.error().ToString().c_str());
    return 1;
  }
  std::unique_ptr<Head> head = std::move(opened).value();
  // The scraper's ref cache: one ref per series (8 B/series, reported separately).
  std::vector<uint64_t> refs(size_t(targets) * 1000, 0);
  std::vector<double> values(refs.size(), 0);
  // Per-series value model: 0 constant, 1 counter with rate, 2 float gauge.
  std::vector<uint8_t> kind(refs.size());
  std::vector<uint8_t> rate(refs.size());
  for (size_t i = 0; i < refs.size(); ++i) {
    uint32_t x = rng() % 10;
    kind[i] = x < 3 ? 0 : x < 8 ? 1 : 2;
    rate[i] = uint8_t(rng() % 4 == 0 ? rng() % 50 : rng() % 3);
    values[i] = kind[i] == 2 ? double(rng() % 100000) / 100 : double(rng() % 1000);
  }
  const int64_t t_start = 1'700'000'000'000;
  double create_s = 0, append_s = 0, create_cpu = 0, append_cpu = 0;
  uint64_t appended = 0;
  for (int r = 0; r < a.samples; ++r) {
    double t0 = Now(), c0 = CpuNow();
    for (int tg = 0; tg < targets; ++tg) {
      auto app = head->NewAppender();
      const auto& tpl = templates[tg % 50];
      int64_t t = t_start + int64_t(r) * 10000 + (rng() % 16 == 0 ? 1 : 0);
      for (int s = 0; s < 1000; ++s) {
        size_t i = size_t(tg) * 1000 + s;
        if (size_t(tg) * 1000 + s >= a.series) break;
        double& v = values[i];
        if (a.random_values) {
          v = tpl[s].counter ? v + double(rng() % 8) : std::round(double(rng() % 1000)) / 10;
        } else if (kind[i] == 1) {
          v += rate[i] == 0 ? 0 : double(rng() % (2 * rate[i] + 1));
        } else if (kind[i] == 2) {
          v += double(int(rng() % 2001) - 1000) / 100;
        }
        vigil::Result<uint64_t> ref = refs[i] != 0
                                          ? app->Append(refs[i], Labels(), t, v)
                                          : app->Append(0, TargetSeriesLabels(tg, tpl[s]), t, v);
        if (!ref.has_value()) {
          std::fprintf(stderr, "append: %s\n", ref.error().ToString().c_str());
          return 1;
        }
        refs[i] = *ref;
        ++appended;
      }
      if (auto st = app->Commit(); !st.ok()) {
        std::fprintf(stderr, "commit: %s\n", st.ToString().c_str());
        return 1;
      }
    }
    (r == 0 ? create_s : append_s) += Now() - t0;
    (r == 0 ? create_cpu : append_cpu) += CpuNow() - c0;
  }
  Rss rss = ReadRss();
  double n = double(head->NumSeries());
  auto m = head->MemoryByStructure();
  auto st = head->Stats(3);
  std::printf(
      "series: %.0f, samples/series: %d, labels/series: 15-24, label pairs: %llu, chunks "
      "(open + full): %.2f/series\n",
      n, a.samples, (unsigned long long)st.num_label_pairs, double(st.num_chunks) / n);
  PrintMemory(head.get(), n);
  size_t cache = refs.capacity() * 8 + values.capacity() * 8 + kind.capacity() + rate.capacity();
  std::printf(
      "process RSS: %.1f MiB; head RSS/series: %.0f B (%.0f anon + %.0f file-backed; RSS - "
      "baseline - bench's own ref/value arrays of %.0f B/series)\n",
      double(rss.total) / (1 << 20), double(rss.total - rss0.total - cache) / n,
      double(rss.anon - rss0.anon - cache) / n, double(int64_t(rss.file) - int64_t(rss0.file)) / n,
      double(cache) / n);
  std::printf("open chunk bytes/sample: %.2f (slab resident bytes / samples in open chunks)\n",
              double(m.open_chunks) / double(appended));
  std::printf(
      "series creation: %.0f series/s per CPU second (%.0f per wall second; round 0, "
      "incl. building Labels)\n",
      n / create_cpu, n / create_s);
  if (a.samples > 1) {
    std::printf(
        "append: %.2f M samples/s per CPU second (%.2f M per wall second; rounds 1..%d, "
        "by ref, one appender per 1000-series target, %s)\n",
        double(appended - size_t(n)) / append_cpu / 1e6,
        double(appended - size_t(n)) / append_s / 1e6, a.samples - 1,
        a.dir.empty() ? "no WAL" : (a.sync ? "WAL, fsync per commit" : "WAL"));
  }
  if (!a.dir.empty()) {
    if (auto s = head->Close(); !s.ok()) {
      std::fprintf(stderr, "close: %s\n", s.ToString().c_str());
      return 1;
    }
    head.reset();
    std::fflush(stdout);
    std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
    execl(self.c_str(), self.c_str(), "--dir", a.dir.c_str(), "--replay", nullptr);
    std::perror("exec");
    return 1;
  }
  return 0;
}
