// Runs a real Prometheus (Debian's 2.42 at /usr/bin/prometheus, or $VIGIL_PROMETHEUS_BIN)
// scraping itself every second into a temp dir, stops it, and decodes its WAL with Vigil's
// reader and record codecs. Skipped when the binary is missing.
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
#include <fstream>
#include <map>
#include <thread>

#include "base/coding.h"
#include "fs/temp_dir.h"
#include "tsdb/prometheus_test_util.h"
#include "tsdb/wal/reader.h"
#include "tsdb/wal/records.h"
#include "tsdb/wal/writer.h"

namespace vigil::tsdb::wal {
namespace {

using testing::Child;
using testing::PrometheusBinary;
using testing::StartSelfScraping;

struct Decoded {
  std::map<uint64_t, Labels> series;
  std::vector<RefSample> samples;
  size_t records = 0;
  Status err;
  bool torn = false;
};

Decoded DecodeWal(const std::string& dir) {
  Decoded d;
  auto r = Reader::Open(fs::DefaultFileSystem(), dir);
  if (!r.has_value()) {
    d.err = r.error();
    return d;
  }
  while ((*r)->Next()) {
    ++d.records;
    const std::string_view rec = (*r)->Record();
    Status s;
    switch (RecordTypeOf(rec)) {
      case RecordType::kSeries: {
        std::vector<RefSeries> v;
        s = DecodeSeries(rec, &v);
        for (auto& x : v) d.series[x.ref] = x.labels;
        break;
      }
      case RecordType::kSamples:
        s = DecodeSamples(rec, &d.samples);
        break;
      default:
        break;
    }
    if (!s.ok()) {
      d.err = s;
      return d;
    }
  }
  d.err = (*r)->Err();
  d.torn = (*r)->corruption() != nullptr && (*r)->corruption()->torn_tail;
  return d;
}

size_t UpSamples(const Decoded& d) {
  size_t n = 0;
  for (const RefSample& s : d.samples) {
    auto it = d.series.find(s.ref);
    if (it != d.series.end() && it->second.MetricName() == "up") ++n;
  }
  return n;
}

TEST(PrometheusWalTest, ReadsTheWalOfARealPrometheus) {
  const std::string bin = PrometheusBinary();
  if (::access(bin.c_str(), X_OK) != 0) {
    GTEST_SKIP() << "no Prometheus binary at " << bin << " (set VIGIL_PROMETHEUS_BIN)";
  }
  fs::TempDir tmp;
  ASSERT_FALSE(tmp.path().empty());
  int port = 0;
  Child prom;
  ASSERT_TRUE(StartSelfScraping(&prom, bin, tmp.path(),
                                "  scrape_interval: 1s\n  evaluation_interval: 1s\n", &port));
  const std::string addr = testing::LoopbackAddress(port);

  // Poll the live WAL until a few scrapes are in it (a torn tail is expected while the
  // active page is being written).
  const std::string wal = tmp.Sub("data/wal");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  size_t up = 0;
  while (std::chrono::steady_clock::now() < deadline && prom.Running()) {
    if (fs::DefaultFileSystem()->IsDirectory(wal)) {
      Decoded live = DecodeWal(wal);
      if (live.err.ok() || live.torn) up = UpSamples(live);
      if (up >= 4) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  ASSERT_GE(up, 4u)
      << "Prometheus did not scrape itself in time; see its log: "
      << fs::ReadFileToString(fs::DefaultFileSystem(), tmp.Sub("prometheus.log")).value_or("");
  const int status = prom.Stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "exit status " << status;

  // After a clean shutdown the whole WAL decodes without error.
  Decoded d = DecodeWal(wal);
  ASSERT_TRUE(d.err.ok()) << d.err.ToString();
  EXPECT_GT(d.series.size(), 100u);  // Prometheus exposes hundreds of its own series
  EXPECT_GE(UpSamples(d), 4u);
  size_t unknown_refs = 0;
  std::map<uint64_t, int64_t> last_t;
  for (const RefSample& s : d.samples) {
    if (d.series.find(s.ref) == d.series.end()) ++unknown_refs;
    auto [it, inserted] = last_t.emplace(s.ref, s.t);
    if (!inserted) {
      EXPECT_GT(s.t, it->second) << "series " << s.ref;
      it->second = s.t;
    }
    auto sit = d.series.find(s.ref);
    if (sit != d.series.end() && sit->second.MetricName() == "up") {
      EXPECT_EQ(s.v, 1.0);
      EXPECT_EQ(sit->second.Get("job"), "self");
      EXPECT_EQ(sit->second.Get("instance"), addr);
    }
  }
  EXPECT_EQ(unknown_refs, 0u);

  // Prometheus compressed its records with snappy (flag bit 3 on fragment types).
  {
    auto seg = fs::ReadFileToString(fs::DefaultFileSystem(), wal + "/00000000");
    ASSERT_TRUE(seg.has_value());
    size_t snappy = 0, plain = 0;
    for (size_t pos = 0; pos + kFragmentHeaderSize <= seg->size();) {
      const uint8_t type = uint8_t((*seg)[pos]);
      if (type == 0) {
        pos = (pos / kPageSize + 1) * kPageSize;
        continue;
      }
      ((type & kSnappyFlag) != 0 ? snappy : plain) += 1;
      pos += kFragmentHeaderSize + DecodeBE16(seg->data() + pos + 1);
    }
    EXPECT_GT(snappy, 0u) << "plain fragments: " << plain;
  }

  // Vigil's writer continues the Prometheus WAL (new segment), and it all reads back.
  {
    auto w = Writer::Open(wal, {});
    ASSERT_TRUE(w.has_value()) << w.error().ToString();
    EXPECT_FALSE((*w)->open_report().repaired);
    std::string rec;
    EncodeSamples(std::vector<RefSample>{{d.samples.back().ref, d.samples.back().t + 1000, 42}},
                  &rec);
    ASSERT_TRUE((*w)->Log(rec).ok());
    ASSERT_TRUE((*w)->Close().ok());
  }
  Decoded again = DecodeWal(wal);
  ASSERT_TRUE(again.err.ok()) << again.err.ToString();
  EXPECT_EQ(again.samples.size(), d.samples.size() + 1);
  EXPECT_EQ(again.samples.back().v, 42.0);
}

}  // namespace
}  // namespace vigil::tsdb::wal
