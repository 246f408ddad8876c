// Tests of the HTTP API: golden JSON for every endpoint over storage::MemoryStorage and fake
// providers (testdata/api/golden.txt, one request + expected answer per case), plus C++
// tests for what a table cannot express (readiness, lifecycle, remote write, a real socket).
#include "api/api.h"

#include <gtest/gtest.h>
#include <snappy.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <thread>

#include "api/fake_query_engine.h"
#include "api/json_writer.h"
#include "api/params.h"
#include "base/coding.h"
#include "net/http_client.h"
#include "storage/memory_storage.h"

namespace vigil::api {
namespace {

constexpr int64_t kNow = 1700000000000;  // 2023-11-14T22:13:20Z

// ---------------------------------------------------------------------------------------
// Fake providers (the fake engine and parser are in api/fake_query_engine.h).

class FakeTargets final : public TargetsRetriever {
 public:
  std::vector<ActiveTarget> ActiveTargets() override {
    ActiveTarget node;
    node.discovered_labels = Labels{{"__address__", "localhost:9100"},
                                    {"__metrics_path__", "/metrics"},
                                    {"__scheme__", "http"},
                                    {"job", "node"}};
    node.labels = Labels{{"instance", "localhost:9100"}, {"job", "node"}};
    node.scrape_pool = "node";
    node.scrape_url = "http://localhost:9100/metrics";
    node.last_scrape_ns = 1435781451781000000;
    node.last_scrape_duration_s = 0.050688943;
    node.health = TargetHealth::kUp;
    node.scrape_interval = "15s";
    node.scrape_timeout = "10s";
    ActiveTarget self = node;
    self.discovered_labels = Labels{{"__address__", "127.0.0.1:9090"}, {"job", "prometheus"}};
    self.labels = Labels{{"instance", "127.0.0.1:9090"}, {"job", "prometheus"}};
    self.scrape_pool = "prometheus";
    self.scrape_url = "http://127.0.0.1:9090/metrics";
    self.health = TargetHealth::kDown;
    self.last_error = "Get \"http://127.0.0.1:9090/metrics\": context deadline exceeded";
    ActiveTarget never = node;
    never.labels = Labels{{"instance", "db:9100"}, {"job", "node"}};
    never.scrape_url = "http://db:9100/metrics";
    never.last_scrape_ns = 0;
    never.last_scrape_duration_s = 0;
    never.health = TargetHealth::kUnknown;
    // Pools out of order on purpose: the API sorts them.
    return {self, node, never};
  }
  std::vector<DroppedTarget> DroppedTargets() override {
    return {{Labels{{"__address__", "localhost:9091"}, {"job", "node"}}, "node"}};
  }
  std::map<std::string, int64_t> DroppedTargetCounts() override {
    return {{"node", 1}, {"prometheus", 0}};
  }
};

class FakeMetadata final : public MetadataProvider {
 public:
  std::vector<MetricMetadata> Metadata(std::string_view metric) override {
    std::vector<MetricMetadata> all = {
        {"up", "gauge", "Whether the target is up.", ""},
        {"http_requests_total", "counter", "Requests.", ""},
        {"up", "gauge", "Whether the target is up.", ""},  // a second target: deduplicated
        {"http_requests_total", "counter", "Requests served.", ""},
        {"go_gc_duration_seconds", "summary", "GC pauses.", "seconds"},
    };
    if (metric.empty()) return all;
    std::vector<MetricMetadata> out;
    for (auto& m : all) {
      if (m.metric_family == metric) out.push_back(m);
    }
    return out;
  }
};

class FakeTsdb final : public TsdbStatusProvider {
 public:
  Result<TsdbStatus> Stats(size_t limit) override {
    last_limit = limit;
    TsdbStatus s;
    s.num_series = 5;
    s.num_label_pairs = 12;
    s.chunk_count = 5;
    s.min_time = kNow - 60000;
    s.max_time = kNow;
    s.series_count_by_metric_name = {{"up", 2}, {"http_requests_total", 1}};
    s.label_value_count_by_label_name = {{"__name__", 4}, {"job", 2}};
    s.memory_in_bytes_by_label_name = {{"__name__", 52}};
    s.series_count_by_label_value_pair = {{"job=node", 2}};
    return s;
  }
  size_t last_limit = 0;
};

class FakeStatus final : public StatusProvider {
 public:
  std::string ConfigYaml() override {
    return "global:\n  scrape_interval: 15s\nscrape_configs:\n- job_name: node\n";
  }
  std::vector<std::pair<std::string, std::string>> Flags() override {
    return {{"web.listen-address", "0.0.0.0:9090"},
            {"config.file", "prometheus.yml"},
            {"query.timeout", "2m"}};
  }
  BuildInfo GetBuildInfo() override {
    return {"0.1.0", "abc123", "main", "vigil@build", "20231114-22:13:20", "gcc 12.2.0"};
  }
  Result<RuntimeInfo> GetRuntimeInfo() override {
    if (fail) return Status::Internal("cannot read /proc/self/status");
    RuntimeInfo r;
    r.start_time_ns = kNow * 1000000 - 3600000000000;
    r.cwd = "/var/lib/vigil";
    r.hostname = "host-1";
    r.server_time_ns = kNow * 1000000;
    r.reload_config_success = true;
    r.last_config_time_ns = kNow * 1000000 - 60000000000;
    r.corruption_count = 0;
    r.goroutine_count = 12;
    r.gomaxprocs = 2;
    r.gomemlimit = 4294967296;
    r.storage_retention = "15d";
    return r;
  }
  bool fail = false;
};

// ---------------------------------------------------------------------------------------
// Fixture: data in MemoryStorage, an Api over fakes.

void Add(storage::MemoryStorage* s, const Labels& l, std::vector<Sample> samples) {
  auto app = s->NewAppender();
  for (const Sample& x : samples) ASSERT_TRUE(app->Append(0, l, x.t, x.v).has_value());
  ASSERT_TRUE(app->Commit().ok());
}

class ApiTest : public ::testing::Test {
 protected:
  ApiTest() : clock_(kNow) {}

  void SetUp() override {
    Add(&storage_, Labels{{"__name__", "up"}, {"instance", "a:9100"}, {"job", "node"}},
        {{kNow - 60000, 1}, {kNow - 30000, 1}, {kNow, 1}});
    Add(&storage_, Labels{{"__name__", "up"}, {"instance", "b:9100"}, {"job", "node"}},
        {{kNow - 60000, 0}, {kNow - 30000, 1}});
    Add(&storage_,
        Labels{{"__name__", "http_requests_total"},
               {"code", "200"},
               {"handler", "/api/v1/query"},
               {"job", "api"}},
        {{kNow - 60000, 10}, {kNow - 30000, 20.5}, {kNow, 1e-7}});
    Add(&storage_, Labels{{"__name__", "weird"}, {"note", "<b>\"hi\"\n\x01 \xff"}},
        {{kNow, std::numeric_limits<double>::infinity()}});
    Add(&storage_, Labels{{"__name__", "go.gc.duration"}, {"service.name", "checkout"}},
        {{kNow - 60000, 0.25}});

    ApiOptions o;
    o.listen_address = "0.0.0.0:9090";
    o.external_host = "prom.example.com:9090";
    o.external_scheme = "https";
    api_ = MakeApi(o);
  }

  std::unique_ptr<Api> MakeApi(ApiOptions o) {
    ApiDeps d;
    d.queryable = &storage_;
    d.engine = &engine_;
    d.parser = &engine_.parser;
    d.targets = &targets_;
    d.metadata = &metadata_;
    d.tsdb = &tsdb_;
    d.status = &status_;
    d.appendable = &storage_;
    d.clock = &clock_;
    d.reload = [this] { return reload_status_; };
    d.metrics = [] { return std::string("# TYPE vigil_up gauge\nvigil_up 1\n"); };
    auto api = std::make_unique<Api>(std::move(o), std::move(d));
    api->SetReady(ReadyState::kReady);
    return api;
  }

  static net::HttpRequest Request(std::string method, std::string target, std::string body = "",
                                  std::vector<std::pair<std::string, std::string>> headers = {}) {
    net::HttpRequest r;
    r.method = std::move(method);
    r.target = std::move(target);
    size_t q = r.target.find('?');
    r.path = net::UrlDecode(std::string_view(r.target).substr(0, q), false);
    if (q != std::string::npos) {
      net::ParseQueryString(std::string_view(r.target).substr(q + 1), &r.form);
    }
    r.headers = std::move(headers);
    if (!body.empty() && r.method == "POST" && r.Header("Content-Type").empty()) {
      r.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    }
    if (r.Header("Content-Type") == "application/x-www-form-urlencoded") {
      net::ParseQueryString(body, &r.form);
    }
    r.body = std::move(body);
    return r;
  }

  net::HttpResponse Do(const net::HttpRequest& r, Api* api = nullptr) {
    net::HttpResponse resp;
    (api != nullptr ? api : api_.get())->Serve(r, &resp);
    return resp;
  }

  static std::string Header(const net::HttpResponse& r, std::string_view name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return "";
  }

  storage::MemoryStorage storage_;
  ManualClock clock_;
  FakeEngine engine_;
  FakeTargets targets_;
  FakeMetadata metadata_;
  FakeTsdb tsdb_;
  FakeStatus status_;
  Status reload_status_;
  std::unique_ptr<Api> api_;
};

// ---------------------------------------------------------------------------------------
// Golden cases from testdata/api/golden.txt:
//
//   === name
//   GET /api/v1/query?query=up            (the request line; the target is URL-encoded)
//   body: query=up&time=1                  (optional; POST form body)
//   header: Origin: http://x               (optional request headers)
//   --- 200                                (expected status)
//   expect-header: Allow: GET, OPTIONS     (optional expected response headers)
//   {"status":"success",...}              (expected body up to the next ===; trailing
//                                          newlines are not compared)

struct GoldenCase {
  std::string name;
  std::string method;
  std::string target;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  int status = 0;
  std::vector<std::pair<std::string, std::string>> expect_headers;
  std::string expect_body;
  int line = 0;
};

std::string TrimRight(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::pair<std::string, std::string> SplitHeader(const std::string& s) {
  size_t c = s.find(": ");
  return {s.substr(0, c), c == std::string::npos ? "" : s.substr(c + 2)};
}

std::vector<GoldenCase> LoadGolden(const std::string& path) {
  std::ifstream in(path);
  std::vector<GoldenCase> cases;
  std::string line;
  int n = 0;
  enum { kNone, kRequest, kBody } state = kNone;
  while (std::getline(in, line)) {
    ++n;
    if (line.rfind("=== ", 0) == 0) {
      cases.push_back({});
      cases.back().name = line.substr(4);
      cases.back().line = n;
      state = kRequest;
      continue;
    }
    if (cases.empty()) continue;  // header comments
    GoldenCase& c = cases.back();
    if (state == kRequest) {
      if (line.rfind("body: ", 0) == 0) {
        c.body = line.substr(6);
      } else if (line.rfind("header: ", 0) == 0) {
        c.headers.push_back(SplitHeader(line.substr(8)));
      } else if (line.rfind("--- ", 0) == 0) {
        c.status = std::stoi(line.substr(4));
        state = kBody;
      } else if (!line.empty()) {
        size_t sp = line.find(' ');
        c.method = line.substr(0, sp);
        c.target = line.substr(sp + 1);
      }
    } else if (state == kBody) {
      if (line.rfind("expect-header: ", 0) == 0 && c.expect_body.empty()) {
        c.expect_headers.push_back(SplitHeader(line.substr(15)));
      } else {
        c.expect_body += line;
        c.expect_body += '\n';
      }
    }
  }
  return cases;
}

std::string GoldenPath() {
  const char* dir = std::getenv("VIGIL_SOURCE_DIR");
  return std::string(dir != nullptr ? dir : ".") + "/testdata/api/golden.txt";
}

TEST_F(ApiTest, GoldenResponses) {
  std::vector<GoldenCase> cases = LoadGolden(GoldenPath());
  ASSERT_GT(cases.size(), 50u) << "golden file missing or short: " << GoldenPath();
  for (const GoldenCase& c : cases) {
    SCOPED_TRACE(c.name + " (golden.txt:" + std::to_string(c.line) + ")");
    net::HttpResponse resp = Do(Request(c.method, c.target, c.body, c.headers));
    EXPECT_EQ(resp.status, c.status);
    EXPECT_EQ(TrimRight(resp.body), TrimRight(c.expect_body));
    for (const auto& [k, v] : c.expect_headers) EXPECT_EQ(Header(resp, k), v) << k;
    if (resp.status == 200 && resp.body.front() == '{') {
      EXPECT_EQ(resp.content_type, "application/json");
    }
  }
}

// ---------------------------------------------------------------------------------------
// What the table cannot express.

TEST_F(ApiTest, QueryParametersReachTheEngine) {
  Do(Request("GET",
             "/api/v1/query_range?query=up&start=10&end=70.5&step=1m&lookback_delta=1m&"
             "stats=all"));
  EXPECT_EQ(engine_.last.start_ms, 10000);
  EXPECT_EQ(engine_.last.end_ms, 70500);
  EXPECT_EQ(engine_.last.step_ms, 60000);
  EXPECT_EQ(engine_.last.lookback_delta_ms, 60000);
  EXPECT_TRUE(engine_.last.per_step_stats);
  Do(Request("GET", "/api/v1/query?query=up"));
  EXPECT_EQ(engine_.last.start_ms, kNow);  // default time is the clock's now
  EXPECT_EQ(engine_.last.end_ms, kNow);
  EXPECT_EQ(engine_.last.step_ms, 0);
  Do(Request("GET", "/api/v1/query_range?query=up&start=0&end=1&step=0.0001"));
  EXPECT_EQ(engine_.last.step_ms, 1);  // sub-millisecond steps round up
}

TEST_F(ApiTest, QueryTimeoutParameterBoundsTheRun) {
  auto t0 = std::chrono::steady_clock::now();
  net::HttpResponse r = Do(Request("GET", "/api/v1/query?query=wait_deadline&timeout=0.05"));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body,
            R"({"status":"error","errorType":"timeout","error":"context deadline exceeded"})");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));

  ApiOptions o;
  o.query_timeout_ms = 20;  // --query.timeout applies without a parameter
  auto api = MakeApi(o);
  r = Do(Request("GET", "/api/v1/query?query=wait_deadline"), api.get());
  EXPECT_EQ(r.status, 503);
  r = Do(Request("GET", "/api/v1/query?query=wait_deadline&timeout=1h"), api.get());
  EXPECT_EQ(r.status, 503);  // the smaller bound wins
}

TEST_F(ApiTest, NotReadyAnswers503Everywhere) {
  api_->SetReady(ReadyState::kNotReady);
  for (const char* target : {"/api/v1/query?query=up", "/api/v1/labels", "/-/ready"}) {
    net::HttpResponse r = Do(Request("GET", target));
    EXPECT_EQ(r.status, 503) << target;
    EXPECT_EQ(r.body, "Service Unavailable") << target;
    EXPECT_EQ(Header(r, "X-Prometheus-Stopping"), "false") << target;
  }
  EXPECT_EQ(Do(Request("POST", "/api/v1/write", "x")).status, 503);
  EXPECT_EQ(Do(Request("GET", "/-/healthy")).status, 200);  // healthy is not gated
  api_->SetReady(ReadyState::kStopping);
  net::HttpResponse r = Do(Request("GET", "/api/v1/labels"));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(Header(r, "X-Prometheus-Stopping"), "true");
  api_->SetReady(ReadyState::kReady);
  EXPECT_EQ(Do(Request("GET", "/-/ready")).body, "Vigil Server is Ready.\n");
}

TEST_F(ApiTest, ReloadNeedsLifecycleAndReportsErrors) {
  EXPECT_EQ(Do(Request("POST", "/-/reload")).status, 403);
  ApiOptions o;
  o.enable_lifecycle = true;
  auto api = MakeApi(o);
  net::HttpResponse r = Do(Request("POST", "/-/reload"), api.get());
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(Do(Request("PUT", "/-/reload"), api.get()).status, 200);
  reload_status_ = Status::InvalidArgument("parsing YAML file prometheus.yml: bad");
  r = Do(Request("POST", "/-/reload"), api.get());
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, "failed to reload config: parsing YAML file prometheus.yml: bad\n");
  r = Do(Request("GET", "/-/reload"), api.get());
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.body, "Only POST or PUT requests allowed");
}

TEST_F(ApiTest, CorsOriginRegex) {
  ApiOptions o;
  o.cors_origin = "https://(grafana|ui)\\.example\\.com";
  auto api = MakeApi(o);
  net::HttpResponse r = Do(
      Request("GET", "/api/v1/labels", "", {{"Origin", "https://grafana.example.com"}}), api.get());
  EXPECT_EQ(Header(r, "Access-Control-Allow-Origin"), "https://grafana.example.com");
  EXPECT_EQ(Header(r, "Access-Control-Allow-Methods"), "GET, POST, OPTIONS");
  r = Do(Request("GET", "/api/v1/labels", "", {{"Origin", "https://evil.example.com"}}), api.get());
  EXPECT_EQ(Header(r, "Access-Control-Allow-Origin"), "");
  EXPECT_EQ(Header(r, "Vary"), "Origin");
}

TEST_F(ApiTest, RemoteWriteReceiverAppendsThroughTheApi) {
  EXPECT_EQ(Do(Request("POST", "/api/v1/write", "x")).status, 404);  // disabled by default
  ApiOptions o;
  o.enable_remote_write_receiver = true;
  auto api = MakeApi(o);
  ASSERT_NE(api->write_handler(), nullptr);
  // WriteRequest{timeseries: [{labels: [__name__=rw_metric], samples: [{1.5, kNow}]}]}
  auto ld = [](int field, std::string_view payload) {
    std::string s(1, char(field << 3 | 2));
    PutUvarint(&s, payload.size());
    s.append(payload);
    return s;
  };
  std::string sample(1, char(1 << 3 | 1));
  double v = 1.5;
  uint64_t bits;
  std::memcpy(&bits, &v, 8);
  for (int i = 0; i < 8; ++i) sample.push_back(char(bits >> (8 * i)));
  sample.push_back(char(2 << 3 | 0));
  PutUvarint(&sample, uint64_t(kNow));
  std::string msg = ld(1, ld(1, ld(1, "__name__") + ld(2, "rw_metric")) + ld(2, sample));
  std::string body;
  snappy::Compress(msg.data(), msg.size(), &body);
  net::HttpRequest req =
      Request("POST", "/api/v1/write", body,
              {{"Content-Type", "application/x-protobuf"}, {"Content-Encoding", "snappy"}});
  net::HttpResponse r = Do(req, api.get());
  EXPECT_EQ(r.status, 204) << r.body;
  r = Do(Request("GET", "/api/v1/query?query=rw_metric"), api.get());
  EXPECT_EQ(r.body, R"({"status":"success","data":{"resultType":"vector","result":[{"metric":)"
                    R"({"__name__":"rw_metric"},"value":[1700000000,"1.5"]}]}})");
  EXPECT_EQ(Do(Request("GET", "/api/v1/write"), api.get()).status, 405);
}

TEST_F(ApiTest, RuntimeInfoErrorIsInternal) {
  status_.fail = true;
  net::HttpResponse r = Do(Request("GET", "/api/v1/status/runtimeinfo"));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body,
            R"({"status":"error","errorType":"internal","error":"cannot read /proc/self/status"})");
}

TEST_F(ApiTest, TsdbLimitReachesProvider) {
  Do(Request("GET", "/api/v1/status/tsdb"));
  EXPECT_EQ(tsdb_.last_limit, 10u);
  Do(Request("GET", "/api/v1/status/tsdb?limit=10000"));
  EXPECT_EQ(tsdb_.last_limit, 10000u);
}

TEST_F(ApiTest, MissingDependenciesAnswerCleanly) {
  Api bare(ApiOptions{}, ApiDeps{});
  bare.SetReady(ReadyState::kReady);
  net::HttpResponse r;
  bare.Serve(Request("GET", "/api/v1/query?query=up"), &r);
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(
      r.body,
      R"({"status":"error","errorType":"unavailable","error":"no query engine is configured"})");
  r = net::HttpResponse();
  bare.Serve(Request("GET", "/api/v1/labels"), &r);
  EXPECT_EQ(r.body, R"({"status":"success","data":[]})");
  r = net::HttpResponse();
  bare.Serve(Request("GET", "/api/v1/targets"), &r);
  EXPECT_EQ(r.body, R"({"status":"success","data":{"activeTargets":[],"droppedTargets":[],)"
                    R"("droppedTargetCounts":{}}})");
  r = net::HttpResponse();
  bare.Serve(Request("GET", "/metrics"), &r);
  EXPECT_EQ(r.status, 404);
}

TEST(ApiErrorTest, StatusCodesMapToPrometheusErrorTypes) {
  const struct {
    Status status;
    const char* type;       // ApiError::FromStatus (Status::ErrorType)
    const char* exec_type;  // ApiError::FromExecStatus (returnAPIError)
    int http;               // code of exec_type
  } cases[] = {
      {Status::InvalidArgument("x"), "bad_data", "execution", 422},
      {Status::OutOfOrder("x"), "bad_data", "execution", 422},
      {Status::NotFound("x"), "not_found", "execution", 422},
      {Status::Cancelled("x"), "canceled", "canceled", 499},
      {Status::DeadlineExceeded("x"), "timeout", "timeout", 503},
      {Status::ResourceExhausted("x"), "execution", "execution", 422},
      {Status::Execution("x"), "execution", "execution", 422},
      {Status::IOError("x"), "internal", "internal", 500},
      {Status::Corruption("x"), "internal", "internal", 500},
      {Status::Internal("x"), "internal", "internal", 500},
      {Status::Unavailable("x"), "unavailable", "unavailable", 500},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ApiError::FromStatus(c.status).type, c.type) << c.status.ToString();
    EXPECT_EQ(ApiError::FromExecStatus(c.status).type, c.exec_type) << c.status.ToString();
    EXPECT_EQ(HttpStatusForErrorType(c.exec_type), c.http) << c.status.ToString();
    EXPECT_EQ(ApiError::FromStatus(c.status).message, "x");
  }
  EXPECT_TRUE(ApiError::FromStatus(Status::OK()).ok());
  EXPECT_EQ(HttpStatusForErrorType("bad_data"), 400);
  EXPECT_EQ(HttpStatusForErrorType("not_found"), 404);
  net::HttpResponse r;
  WriteErrorResponse(ApiError::BadData("a \"b\" <c>"), &r);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, R"({"status":"error","errorType":"bad_data","error":"a \"b\" \u003cc\u003e"})");
}

TEST(GlobalUrlTest, FollowsPrometheusRules) {
  const struct {
    const char* url;
    const char* want;
  } cases[] = {
      {"http://localhost:9090/metrics", "https://prom.example.com:9090/metrics"},
      {"http://127.0.0.1:9090/metrics?x=1", "https://prom.example.com:9090/metrics?x=1"},
      {"http://[::1]:9090/metrics", "https://prom.example.com:9090/metrics"},
      {"http://localhost:9100/metrics", "http://prom.example.com:9100/metrics"},
      {"http://localhost/metrics", "http://prom.example.com/metrics"},
      {"http://node1:9100/metrics", "http://node1:9100/metrics"},
      {"not a url", "not a url"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(GlobalUrlFor(c.url, "0.0.0.0:9090", "https", "prom.example.com:9090"), c.want)
        << c.url;
  }
  EXPECT_EQ(GlobalUrlFor("http://localhost:9090/metrics", ":9090", "http", ""),
            "http://localhost:9090/metrics");
}

// Over a real socket: registration, gzip by the server, and a JSON body a client can read.
TEST_F(ApiTest, ServesOverHttp) {
  net::HttpServerOptions so;
  so.listen_address = "127.0.0.1:0";
  so.threads = 2;
  net::HttpServer server(so);
  api_->Register(&server);
  ASSERT_TRUE(server.Start().ok());
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  auto r = net::HttpGet(base + "/api/v1/query?query=up&time=1699999950.5");
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->Header("content-type"), "application/json");
  EXPECT_NE(r->body.find(R"("value":[1699999950.500,"0"])"), std::string::npos) << r->body;

  net::HttpClientRequest post;
  post.method = "POST";
  post.url = base + "/api/v1/series";
  post.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  post.body = "match%5B%5D=up%7Binstance%3D%22a%3A9100%22%7D";
  auto p = net::HttpDo(post);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->body,
            R"({"status":"success","data":[{"__name__":"up","instance":"a:9100","job":"node"}]})");
  auto h = net::HttpGet(base + "/-/healthy");
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->body, "Vigil Server is Healthy.\n");
  auto m = net::HttpGet(base + "/metrics");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->body, "# TYPE vigil_up gauge\nvigil_up 1\n");
  server.Stop();
}

}  // namespace
}  // namespace vigil::api
