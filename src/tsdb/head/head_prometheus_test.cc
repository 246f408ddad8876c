// Opens the data directory of a real Prometheus (Debian's 2.42 at /usr/bin/prometheus, or
// $VIGIL_PROMETHEUS_BIN) with Head::Open: Prometheus scrapes itself every 100 ms for a
// while (so that it also fills head chunk files), is stopped, and Vigil's head replays its
// chunks_head/ and WAL. Every `up` sample in the WAL must be queryable, and
// prometheus_build_info must be there. A second test deletes part of `up` through
// Prometheus' delete_series API: Vigil's replay of its WAL Tombstones record hides exactly
// those samples. Skipped when the binary is missing.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "fs/temp_dir.h"
#include "tsdb/head/head.h"
#include "tsdb/prometheus_test_util.h"
#include "tsdb/wal/reader.h"
#include "tsdb/wal/records.h"

namespace vigil::tsdb {
namespace {

using testing::HttpGet;
using testing::HttpRequest;
using testing::LoopbackAddress;
using testing::PrometheusArgs;
using testing::PrometheusBinary;
using testing::StartSelfScraping;
using Prometheus = testing::Child;

// The global section of the tests' Prometheus configuration.
constexpr char kEvery100ms[] = "  scrape_interval: 100ms\n  scrape_timeout: 100ms\n";

// Timestamps of the `up` samples in a WAL directory (decoded with tsdb/wal directly).
std::vector<int64_t> UpSamplesInWal(const std::string& wal_dir, bool* torn) {
  std::vector<int64_t> out;
  std::map<uint64_t, bool> is_up;
  auto r = wal::Reader::Open(fs::DefaultFileSystem(), wal_dir);
  if (!r.has_value()) return out;
  std::vector<wal::RefSeries> series;
  std::vector<wal::RefSample> samples;
  while ((*r)->Next()) {
    std::string_view rec = (*r)->Record();
    if (wal::RecordTypeOf(rec) == wal::RecordType::kSeries) {
      series.clear();
      if (!wal::DecodeSeries(rec, &series).ok()) continue;
      for (const auto& s : series) is_up[s.ref] = s.labels.MetricName() == "up";
    } else if (wal::RecordTypeOf(rec) == wal::RecordType::kSamples) {
      samples.clear();
      if (!wal::DecodeSamples(rec, &samples).ok()) continue;
      for (const auto& s : samples) {
        if (is_up[s.ref]) out.push_back(s.t);
      }
    }
  }
  *torn = (*r)->corruption() != nullptr;
  return out;
}

TEST(HeadPrometheusTest, OpensTheDataDirectoryOfARealPrometheus) {
  const std::string bin = PrometheusBinary();
  if (::access(bin.c_str(), X_OK) != 0) {
    GTEST_SKIP() << "no Prometheus binary at " << bin << " (set VIGIL_PROMETHEUS_BIN)";
  }
  fs::TempDir tmp;
  ASSERT_FALSE(tmp.path().empty());
  int port = 0;
  Prometheus prom;
  ASSERT_TRUE(StartSelfScraping(&prom, bin, tmp.path(), kEvery100ms, &port));
  const std::string addr = LoopbackAddress(port);
  // Poll until more than one chunk's worth (120) of `up` samples is in the WAL, so that
  // Prometheus has cut and written head chunks too.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  size_t up = 0;
  while (std::chrono::steady_clock::now() < deadline && prom.Running()) {
    if (std::filesystem::is_directory(tmp.Sub("data/wal"))) {
      bool torn = false;
      up = UpSamplesInWal(tmp.Sub("data/wal"), &torn).size();
      if (up >= 150) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  ASSERT_GE(up, 150u)
      << "Prometheus did not scrape itself in time; its log:\n"
      << fs::ReadFileToString(fs::DefaultFileSystem(), tmp.Sub("prometheus.log")).value_or("");
  const int status = prom.Stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "exit status " << status;
  bool torn = false;
  std::vector<int64_t> want = UpSamplesInWal(tmp.Sub("data/wal"), &torn);
  EXPECT_FALSE(torn);
  // Prometheus' chunk files, if it cut any chunks (it writes them when a chunk is full).
  bool has_chunk_files = false;
  if (std::filesystem::is_directory(tmp.Sub("data/chunks_head"))) {
    for (const auto& e : std::filesystem::directory_iterator(tmp.Sub("data/chunks_head"))) {
      has_chunk_files |= std::filesystem::file_size(e.path()) > 8;
    }
  }

  HeadOptions o;
  o.dir = tmp.Sub("data");
  auto head = Head::Open(o);
  ASSERT_TRUE(head.has_value()) << head.error().ToString();
  Head* h = head->get();
  auto c = h->Counters();
  EXPECT_EQ(c.wal_corruptions, 0u);
  EXPECT_EQ(c.replay_unknown_refs, 0u);
  EXPECT_GT(h->NumSeries(), 100u);
  if (has_chunk_files) {
    EXPECT_GT(c.replay_mmapped_chunks, 0u);
  }
  auto q = h->NewQuerier(INT64_MIN, INT64_MAX);
  ASSERT_TRUE(q.has_value());
  auto up_set = (*q)->Select(Context::Background(), true, nullptr,
                             {*Matcher::Make(MatchType::kEqual, "__name__", "up")});
  ASSERT_TRUE(up_set->Next()) << up_set->Err().ToString();
  EXPECT_EQ(up_set->At().labels().Get("job"), "self");
  EXPECT_EQ(up_set->At().labels().Get("instance"), addr);
  std::vector<int64_t> got;
  auto it = up_set->At().Iterator();
  while (it->Next()) {
    EXPECT_EQ(it->AtV(), 1.0);
    got.push_back(it->AtT());
  }
  EXPECT_TRUE(it->Err().ok()) << it->Err().ToString();
  EXPECT_EQ(got, want);  // every `up` sample, whether from a chunk file or the WAL
  EXPECT_FALSE(up_set->Next());

  auto info =
      (*q)->Select(Context::Background(), false, nullptr,
                   {*Matcher::Make(MatchType::kEqual, "__name__", "prometheus_build_info")});
  ASSERT_TRUE(info->Next()) << info->Err().ToString();
  EXPECT_EQ(info->At().labels().Get("version"), "2.42.0+ds");
  auto iit = info->At().Iterator();
  ASSERT_TRUE(iit->Next());
  EXPECT_EQ(iit->AtV(), 1.0);

  // The head keeps writing into Prometheus' directory (WAL records and, for a new series
  // of 300 samples, chunks_head/ records) and replays its own additions too.
  const int64_t t0 = want.back() + 100;
  {
    auto app = h->NewAppender();
    ASSERT_TRUE(
        app->Append(0, Labels{{"__name__", "up"}, {"instance", addr}, {"job", "self"}}, t0, 0)
            .has_value());
    ASSERT_TRUE(app->Commit().ok());
    storage::SeriesRef ref = 0;
    for (int i = 0; i < 300; ++i) {
      auto a2 = h->NewAppender();
      auto r = a2->Append(ref, Labels{{"__name__", "vigil_written"}, {"job", "vigil"}},
                          t0 + 100 * i, double(i));
      ASSERT_TRUE(r.has_value());
      ref = *r;
      ASSERT_TRUE(a2->Commit().ok());
    }
  }
  ASSERT_TRUE(h->Close().ok());
  head->reset();
  auto again = Head::Open(o);
  ASSERT_TRUE(again.has_value()) << again.error().ToString();
  auto q2 = (*again)->NewQuerier(want.back() + 1, INT64_MAX);
  auto s2 = (*q2)->Select(Context::Background(), false, nullptr,
                          {*Matcher::Make(MatchType::kEqual, "__name__", "up")});
  ASSERT_TRUE(s2->Next());
  auto it2 = s2->At().Iterator();
  ASSERT_TRUE(it2->Next());
  EXPECT_EQ(it2->AtT(), t0);
  EXPECT_EQ(it2->AtV(), 0.0);
  // Vigil's own chunks are replayed too: 300 samples cut at least one chunk (one when a
  // 2h chunk-range boundary falls inside them, else two).
  EXPECT_GE((*again)->Counters().replay_mmapped_chunks, c.replay_mmapped_chunks + 1);
  ASSERT_TRUE((*again)->Close().ok());
  again->reset();

  // And Prometheus reads what Vigil wrote: it starts on the directory without WAL or
  // chunk corruption and answers a query over Vigil's series (from its chunks_head/
  // records and WAL samples).
  Prometheus prom2;
  ASSERT_TRUE(prom2.Start(PrometheusArgs(bin, tmp.path(), addr), tmp.Sub("prometheus2.log")));
  std::string resp;
  const std::string query = "/api/v1/query?query=count_over_time(vigil_written%5B1m%5D)&time=" +
                            std::to_string((t0 + 100 * 299) / 1000) + "." +
                            std::to_string((t0 + 100 * 299) % 1000 + 1000).substr(1);
  const auto deadline2 = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline2 && prom2.Running()) {
    if (HttpGet(port, "/-/ready").find(" 200 ") != std::string::npos) {
      resp = HttpGet(port, query);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  const std::string log2 =
      fs::ReadFileToString(fs::DefaultFileSystem(), tmp.Sub("prometheus2.log")).value_or("");
  EXPECT_NE(resp.find("\"value\":["), std::string::npos) << resp << "\n" << log2;
  EXPECT_NE(resp.find(",\"300\"]"), std::string::npos) << resp;
  const std::string metrics = HttpGet(port, "/metrics");
  EXPECT_NE(metrics.find("prometheus_tsdb_wal_corruptions_total 0"), std::string::npos);
  EXPECT_NE(metrics.find("prometheus_tsdb_mmap_chunk_corruptions_total 0"), std::string::npos);
  EXPECT_EQ(log2.find("repair"), std::string::npos) << log2;
  prom2.Stop();
}

TEST(HeadPrometheusTest, ReplaysTheTombstonesOfPrometheusDeleteSeries) {
  const std::string bin = PrometheusBinary();
  if (::access(bin.c_str(), X_OK) != 0) {
    GTEST_SKIP() << "no Prometheus binary at " << bin << " (set VIGIL_PROMETHEUS_BIN)";
  }
  fs::TempDir tmp;
  int port = 0;
  Prometheus prom;
  ASSERT_TRUE(
      StartSelfScraping(&prom, bin, tmp.path(), kEvery100ms, &port, {"--web.enable-admin-api"}));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::vector<int64_t> ups;
  while (std::chrono::steady_clock::now() < deadline && prom.Running()) {
    if (std::filesystem::is_directory(tmp.Sub("data/wal"))) {
      bool torn = false;
      ups = UpSamplesInWal(tmp.Sub("data/wal"), &torn);
      if (ups.size() >= 40) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  ASSERT_GE(ups.size(), 40u)
      << fs::ReadFileToString(fs::DefaultFileSystem(), tmp.Sub("prometheus.log")).value_or("");
  // Delete samples 10..19 of `up` (float seconds with ms precision, as clients send).
  const int64_t from = ups[10], to = ups[19];
  auto secs = [](int64_t ms) {
    return std::to_string(ms / 1000) + "." + std::to_string(ms % 1000 + 1000).substr(1);
  };
  const std::string resp = HttpRequest(
      port, "POST",
      "/api/v1/admin/tsdb/delete_series?match[]=up&start=" + secs(from) + "&end=" + secs(to));
  ASSERT_NE(resp.find(" 204 "), std::string::npos) << resp;
  const int status = prom.Stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "exit status " << status;
  bool torn = false;
  std::vector<int64_t> want = UpSamplesInWal(tmp.Sub("data/wal"), &torn);
  std::erase_if(want, [&](int64_t t) { return t >= from && t <= to; });

  HeadOptions o;
  o.dir = tmp.Sub("data");
  auto head = Head::Open(o);
  ASSERT_TRUE(head.has_value()) << head.error().ToString();
  EXPECT_EQ((*head)->Counters().replay_tombstones, 1u);
  EXPECT_EQ((*head)->Counters().wal_corruptions, 0u);
  auto q = (*head)->NewQuerier(INT64_MIN, INT64_MAX);
  ASSERT_TRUE(q.has_value());
  auto set = (*q)->Select(Context::Background(), true, nullptr,
                          {*Matcher::Make(MatchType::kEqual, "__name__", "up")});
  ASSERT_TRUE(set->Next()) << set->Err().ToString();
  std::vector<int64_t> got;
  auto it = set->At().Iterator();
  while (it->Next()) got.push_back(it->AtT());
  EXPECT_EQ(got, want);
}

}  // namespace
}  // namespace vigil::tsdb
