// Runs the built `vigil fleet --backfill` (VIGIL_BIN, set by vigil_add_test) against an
// in-process remote-write receiver and checks what arrives, the JSON summary, and the errors.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "cmd/run_vigil.h"
#include "net/http_server.h"
#include "remote/write_handler.h"
#include "storage/memory_storage.h"

namespace vigil {
namespace {

using testing::RunResult;

RunResult RunVigil(const std::string& args) {
  return testing::RunVigil(args, "vigil_fleet_backfill_test");
}

class FleetBackfillTest : public ::testing::Test {
 protected:
  void SetUp() override {
    net::HttpServerOptions o;
    o.listen_address = "127.0.0.1:0";
    o.threads = 2;
    server_ = std::make_unique<net::HttpServer>(o);
    server_->Handle("/api/v1/write", [this](const net::HttpRequest& r, net::HttpResponse* w) {
      handler_.ServeHttp(r, w);
    });
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override { server_->Stop(); }

  std::string Url(const std::string& path = "/api/v1/write") const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + path;
  }

  // Samples of series `name` on `instance`, in time order.
  std::vector<Sample> Get(const std::string& name, const std::string& instance) {
    std::vector<Sample> out;
    auto q = mem_.NewQuerier(INT64_MIN, INT64_MAX);
    if (!q.has_value()) return out;
    auto set = (*q)->Select(Context::Background(), true, nullptr,
                            {*Matcher::Make(MatchType::kEqual, "__name__", name),
                             *Matcher::Make(MatchType::kEqual, "instance", instance)});
    while (set->Next()) {
      auto it = set->At().Iterator();
      while (it->Next()) out.push_back({it->AtT(), it->AtV()});
    }
    return out;
  }

  storage::MemoryStorage mem_;
  remote::WriteHandler handler_{&mem_, RealClock::Default()};
  std::unique_ptr<net::HttpServer> server_;
};

TEST_F(FleetBackfillTest, WritesTheWindowAndPrintsASummary) {
  // 2 minutes ending 30 s into an odd minute, 5 s interval, two targets: the window starts in
  // an odd minute, so demo_intermittent_metric appears for the even minute and gets one
  // staleness marker per target when the next odd minute starts.
  int64_t end_ms = RealClock::Default()->NowMs() / 120000 * 120000 - 30000;
  RunResult r = RunVigil(
      "fleet --profile=compliance --targets=2 --series-per-target=0 --host=h --base-port=7000 "
      "--backfill=2m --backfill.end=" +
      std::to_string(end_ms / 1000) +
      " --scrape-interval=5s --backfill.job=demo --remote-write.url=" + Url() +
      " --remote-write.max-samples-per-send=100");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"start_ms\":" + std::to_string(end_ms - 120000) + ","), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("{\"instance\":\"h:7001\",\"offset_ms\":"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"stale_markers\":2,"), std::string::npos) << r.out;
  for (const char* inst : {"h:7000", "h:7001"}) {
    auto up = Get("up", inst);
    ASSERT_GE(up.size(), 24u) << inst;  // 2 minutes / 5 s (25 if the offset is 0)
    ASSERT_LE(up.size(), 25u) << inst;
    EXPECT_GE(up.front().t, end_ms - 120000);
    EXPECT_LE(up.back().t, end_ms);
    EXPECT_EQ(up.back().t - up.front().t, int64_t(up.size() - 1) * 5000);
    auto im = Get("demo_intermittent_metric", inst);
    ASSERT_EQ(im.size(), 13u) << inst;  // 12 scrapes of the even minute + the marker
    EXPECT_TRUE(IsStaleNaN(im.back().v));
    EXPECT_EQ(im.back().t / 60000 % 2, 1);
  }
  EXPECT_EQ(handler_.counters().invalid_requests.load(), 0u);
  EXPECT_GT(handler_.counters().requests.load(), 10u);  // 100 samples per request
}

TEST_F(FleetBackfillTest, ErrorsAreReported) {
  RunResult r = RunVigil("fleet --profile=compliance --series-per-target=0 --backfill=1m");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--backfill needs at least one --remote-write.url"), std::string::npos)
      << r.err;
  r = RunVigil("fleet --backfill=1m --scrape-interval=0s --remote-write.url=" + Url());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad --scrape-interval"), std::string::npos) << r.err;
  r = RunVigil("fleet --backfill=soon --remote-write.url=" + Url());
  EXPECT_EQ(r.exit_code, 2);
  // A receiver that answers 404 stops the backfill with its answer.
  r = RunVigil(
      "fleet --profile=compliance --targets=1 --series-per-target=0 --backfill=1m "
      "--remote-write.url=" +
      Url("/nope"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("HTTP 404"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace vigil
