// Restart memory (slow): a head that ingested data in one process, then reopened from its
// WAL and chunks_head/ in a fresh process, must not need more memory than it did running
// (Prometheus needs far more during WAL replay). Each phase runs in a forked child so that
// its RSS is its own; RSS is anonymous + file-backed.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "fs/temp_dir.h"
#include "tsdb/head/head.h"

namespace vigil::tsdb {
namespace {

constexpr int kSeries = 100000;
constexpr int kSamples = 300;  // two full chunks (in chunks_head/) and an open one

size_t RssBytes() {
  FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return 0;
  char line[256];
  size_t kb = 0;
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, "VmRSS:", 6) == 0) kb = std::strtoull(line + 6, nullptr, 10);
  }
  std::fclose(f);
  return kb * 1024;
}

struct Report {
  double rss_per_series = 0;  // RSS growth since before Head::Open
  double structures_per_series = 0;
  uint64_t series = 0;
  uint64_t chunks = 0;
  bool ok = false;
};

// Runs fn in a child process and returns what it reported.
template <typename Fn>
Report InChild(Fn&& fn) {
  int fds[2];
  if (::pipe(fds) != 0) return {};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    Report r = fn();
    if (::write(fds[1], &r, sizeof r) != ssize_t(sizeof r)) ::_exit(2);
    ::_exit(0);
  }
  ::close(fds[1]);
  Report r;
  if (::read(fds[0], &r, sizeof r) != ssize_t(sizeof r)) r.ok = false;
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return r;
}

Labels SeriesLabels(int i) {
  return Labels{{"__name__", "metric_" + std::to_string(i % 100)},
                {"instance", "10.0." + std::to_string(i / 25600) + "." +
                                 std::to_string(i / 100 % 256) + ":9100"},
                {"job", "node"},
                {"le", std::to_string(i % 13)}};
}

TEST(HeadMemory, RestartNeedsNoMoreMemoryThanRunning) {
  fs::TempDir d;
  HeadOptions o;
  o.dir = d.path();
  Report running = InChild([&] {
    Report r;
    const size_t rss0 = RssBytes();
    auto h = Head::Open(o);
    if (!h.has_value()) return r;
    std::vector<storage::SeriesRef> refs(kSeries, 0);
    for (int s = 0; s < kSamples; ++s) {
      for (int t = 0; t < kSeries / 1000; ++t) {
        auto app = (*h)->NewAppender();
        for (int i = t * 1000; i < (t + 1) * 1000; ++i) {
          auto ref = app->Append(refs[size_t(i)], refs[size_t(i)] ? Labels() : SeriesLabels(i),
                                 int64_t(s) * 15000, double(i % 7 == 0 ? s * i : i));
          if (!ref.has_value()) return r;
          refs[size_t(i)] = *ref;
        }
        if (!app->Commit().ok()) return r;
      }
    }
    const size_t rss = RssBytes() - refs.capacity() * sizeof(refs[0]);
    r.series = (*h)->NumSeries();
    r.chunks = (*h)->Stats(1).num_chunks;
    r.rss_per_series = double(rss - rss0) / double(r.series);
    r.structures_per_series = double((*h)->MemoryByStructure().total()) / double(r.series);
    r.ok = (*h)->Close().ok();
    return r;
  });
  ASSERT_TRUE(running.ok);
  Report restarted = InChild([&] {
    Report r;
    const size_t rss0 = RssBytes();
    auto h = Head::Open(o);
    if (!h.has_value()) return r;
    const size_t rss = RssBytes();
    r.series = (*h)->NumSeries();
    r.chunks = (*h)->Stats(1).num_chunks;
    r.rss_per_series = double(rss - rss0) / double(r.series);
    r.structures_per_series = double((*h)->MemoryByStructure().total()) / double(r.series);
    r.ok = (*h)->Counters().replay_mmapped_chunks >= uint64_t(kSeries) * 2;
    return r;
  });
  ASSERT_TRUE(restarted.ok);
  std::printf(
      "running: %.0f B/series RSS (%.0f in structures); restarted: %.0f B/series RSS (%.0f in "
      "structures); %.2f chunks/series\n",
      running.rss_per_series, running.structures_per_series, restarted.rss_per_series,
      restarted.structures_per_series, double(restarted.chunks) / double(restarted.series));
  EXPECT_EQ(restarted.series, running.series);
  EXPECT_EQ(restarted.chunks, running.chunks);
  EXPECT_LE(restarted.structures_per_series, running.structures_per_series * 1.02);
  // Generous: allocator and page granularity differ between the two processes.
  EXPECT_LE(restarted.rss_per_series, running.rss_per_series * 1.10 + 40);
  // And both stay within the head's budget for this data (2 full chunks ≈ 16 B of refs).
  EXPECT_LT(running.rss_per_series, 700);
}

}  // namespace
}  // namespace vigil::tsdb
