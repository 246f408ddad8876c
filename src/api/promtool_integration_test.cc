// Integration test with a real API client: Prometheus' promtool (Debian's /usr/bin/promtool,
// or $VIGIL_PROMTOOL_BIN) queries our API on 127.0.0.1 with client_golang, which decodes the
// JSON strictly into its own types. Skipped when the binary is absent.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>

#include "api/api.h"
#include "api/fake_query_engine.h"
#include "net/http_server.h"
#include "storage/memory_storage.h"

namespace vigil::api {
namespace {

constexpr int64_t kNow = 1700000000000;

std::string Promtool() {
  const char* env = std::getenv("VIGIL_PROMTOOL_BIN");
  return env != nullptr ? env : "/usr/bin/promtool";
}

struct RunResult {
  int exit_code = -1;
  std::string output;
};

// Runs a command line whose arguments are all test-controlled (no user input).
RunResult RunCommand(const std::string& cmd) {
  RunResult r;
  FILE* f = popen((cmd + " 2>&1").c_str(), "r");
  if (f == nullptr) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), f)) > 0) r.output.append(buf.data(), n);
  int st = pclose(f);
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

class PromtoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(Promtool().c_str(), X_OK) != 0) GTEST_SKIP() << Promtool() << " not found";
    auto app = storage_.NewAppender();
    Labels a{{"__name__", "up"}, {"instance", "a:9100"}, {"job", "node"}};
    Labels b{{"__name__", "up"}, {"instance", "b:9100"}, {"job", "node"}};
    for (int64_t t : {kNow - 60000, kNow - 30000, kNow}) {
      ASSERT_TRUE(app->Append(0, a, t, 1).has_value());
      ASSERT_TRUE(app->Append(0, b, t, t == kNow ? 0.25 : 1e-7).has_value());
    }
    ASSERT_TRUE(app->Commit().ok());

    ApiDeps d;
    d.queryable = &storage_;
    d.engine = &engine_;
    d.parser = &engine_.parser;
    api_ = std::make_unique<Api>(ApiOptions{}, d);
    api_->SetReady(ReadyState::kReady);
    net::HttpServerOptions so;
    so.listen_address = "127.0.0.1:0";
    so.threads = 2;
    server_ = std::make_unique<net::HttpServer>(so);
    api_->Register(server_.get());
    ASSERT_TRUE(server_->Start().ok());
    url_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }

  storage::MemoryStorage storage_;
  FakeEngine engine_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<net::HttpServer> server_;
  std::string url_;
};

TEST_F(PromtoolTest, InstantQuery) {
  RunResult r = RunCommand(Promtool() + " query instant --time=1700000000 " + url_ + " up");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("up{instance=\"a:9100\", job=\"node\"} => 1 @[1700000000]"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("up{instance=\"b:9100\", job=\"node\"} => 0.25 @[1700000000]"),
            std::string::npos)
      << r.output;
}

TEST_F(PromtoolTest, ScalarQueryAtFractionalTime) {
  RunResult r = RunCommand(Promtool() + " query instant --time=1699999950.5 " + url_ + " 1e-7");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // promtool prints values with Go's 'f' format: the "0.0000001" JSON string was parsed.
  EXPECT_NE(r.output.find("scalar: 0.0000001 @[1699999950.5]"), std::string::npos) << r.output;
}

TEST_F(PromtoolTest, RangeQuery) {
  RunResult r = RunCommand(
      Promtool() + " query range --start=1699999940 --end=1700000000 --step=30s " + url_ + " up");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // The sample value "1e-07" in our JSON is printed back by promtool in 'f' format.
  EXPECT_NE(r.output.find("up{instance=\"b:9100\", job=\"node\"} =>\n0.0000001 @[1699999940]\n"
                          "0.0000001 @[1699999970]\n0.25 @[1700000000]"),
            std::string::npos)
      << r.output;
}

TEST_F(PromtoolTest, SeriesAndLabels) {
  const std::string window = " --start=1699999000 --end=1700001000 ";
  RunResult r = RunCommand(Promtool() + " query series --match=up" + window + url_);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("{__name__=\"up\", instance=\"a:9100\", job=\"node\"}"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("{__name__=\"up\", instance=\"b:9100\", job=\"node\"}"),
            std::string::npos)
      << r.output;
  r = RunCommand(Promtool() + " query labels" + window + url_ + " instance");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "a:9100\nb:9100\n");
}

TEST_F(PromtoolTest, ErrorsAreDecoded) {
  RunResult r = RunCommand(Promtool() + " query instant " + url_ + " error_exec");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("execution: boom"), std::string::npos) << r.output;
  r = RunCommand(Promtool() + " query range --start=0 --end=11001 --step=1s " + url_ + " up");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("bad_data: exceeded maximum resolution of 11,000 points"),
            std::string::npos)
      << r.output;
}

}  // namespace
}  // namespace vigil::api
