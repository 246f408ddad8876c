#include "remote/write_handler.h"

#include <gtest/gtest.h>
#include <snappy.h>

#include <map>
#include <mutex>

#include "remote/testproto/remote_write.pb.h"
#include "storage/memory_storage.h"

namespace vigil::remote {
namespace {

// A storage that enforces per-series time order at Append() like the TSDB head does, and can
// be told to fail.
class OrderedStorage final : public storage::Appendable {
 public:
  struct Committed {
    std::map<Labels, std::vector<Sample>> series;
  };

  std::unique_ptr<storage::Appender> NewAppender() override { return std::make_unique<App>(this); }

  std::vector<Sample> Get(const Labels& l) {
    std::lock_guard<std::mutex> g(mu_);
    auto it = data_.find(l);
    return it == data_.end() ? std::vector<Sample>{} : it->second;
  }
  size_t NumSamples() {
    std::lock_guard<std::mutex> g(mu_);
    size_t n = 0;
    for (const auto& [l, s] : data_) n += s.size();
    return n;
  }
  void Seed(const Labels& l, Sample s) {
    std::lock_guard<std::mutex> g(mu_);
    data_[l].push_back(s);
  }

  Status append_error;  // returned by every Append when set
  Status commit_error;
  int rollbacks = 0;
  int commits = 0;

 private:
  class App final : public storage::Appender {
   public:
    explicit App(OrderedStorage* s) : s_(s) {}
    Result<storage::SeriesRef> Append(storage::SeriesRef, const Labels& l, int64_t t,
                                      double v) override {
      if (!s_->append_error.ok()) return s_->append_error;
      int64_t last = INT64_MIN;
      double last_v = 0;
      {
        std::lock_guard<std::mutex> g(s_->mu_);
        auto it = s_->data_.find(l);
        if (it != s_->data_.end() && !it->second.empty()) {
          last = it->second.back().t;
          last_v = it->second.back().v;
        }
      }
      auto p = pending_.find(l);
      if (p != pending_.end() && !p->second.empty()) {
        last = p->second.back().t;
        last_v = p->second.back().v;
      }
      if (t < last) return Status::OutOfOrder("out of order sample");
      if (t == last && v != last_v) return Status::AlreadyExists("duplicate sample for timestamp");
      if (t == last) return storage::SeriesRef(1);
      pending_[l].push_back({t, v});
      return storage::SeriesRef(1);
    }
    Status Commit() override {
      ++s_->commits;
      if (!s_->commit_error.ok()) return s_->commit_error;
      std::lock_guard<std::mutex> g(s_->mu_);
      for (auto& [l, ss] : pending_) {
        auto& dst = s_->data_[l];
        dst.insert(dst.end(), ss.begin(), ss.end());
      }
      return Status::OK();
    }
    Status Rollback() override {
      ++s_->rollbacks;
      pending_.clear();
      return Status::OK();
    }

   private:
    OrderedStorage* s_;
    std::map<Labels, std::vector<Sample>> pending_;
  };

  std::mutex mu_;
  std::map<Labels, std::vector<Sample>> data_;
};

using Pairs = std::vector<std::pair<std::string, std::string>>;
using Points = std::vector<std::pair<int64_t, double>>;

Points Pts(const std::vector<Sample>& ss) {
  Points p;
  for (const auto& s : ss) p.emplace_back(s.t, s.v);
  return p;
}

void AddSeries(prometheus::WriteRequest* req, const Pairs& labels,
               const std::vector<Sample>& samples) {
  auto* ts = req->add_timeseries();
  for (const auto& [n, v] : labels) {
    auto* l = ts->add_labels();
    l->set_name(n);
    l->set_value(v);
  }
  for (const auto& s : samples) {
    auto* p = ts->add_samples();
    p->set_timestamp(s.t);
    p->set_value(s.v);
  }
}

std::string Compress(const prometheus::WriteRequest& req) {
  std::string out;
  snappy::Compress(req.SerializeAsString().data(), req.ByteSizeLong(), &out);
  return out;
}

net::HttpRequest Post(std::string body) {
  net::HttpRequest r;
  r.method = "POST";
  r.path = "/api/v1/write";
  r.headers = {{"Content-Type", "application/x-protobuf"},
               {"Content-Encoding", "snappy"},
               {"X-Prometheus-Remote-Write-Version", "0.1.0"}};
  r.body = std::move(body);
  return r;
}

class WriteHandlerTest : public ::testing::Test {
 protected:
  WriteHandlerTest() : clock_(1'000'000), handler_(&storage_, &clock_) {}

  net::HttpResponse Serve(const net::HttpRequest& r) {
    net::HttpResponse resp;
    handler_.ServeHttp(r, &resp);
    return resp;
  }

  OrderedStorage storage_;
  ManualClock clock_;
  WriteHandler handler_;
};

const Labels kUp{{"__name__", "up"}, {"job", "a"}};
const Labels kUpB{{"__name__", "up"}, {"job", "b"}};

TEST_F(WriteHandlerTest, AppendsAllSamplesAndAnswers204) {
  prometheus::WriteRequest req;
  AddSeries(&req, {{"__name__", "up"}, {"job", "a"}}, {{1000, 1}, {2000, 0}});
  AddSeries(&req, {{"__name__", "up"}, {"job", "b"}}, {{1000, 1}});
  auto* m = req.add_metadata();
  m->set_metric_family_name("up");
  net::HttpResponse resp = Serve(Post(Compress(req)));
  EXPECT_EQ(resp.status, 204) << resp.body;
  EXPECT_TRUE(resp.body.empty());
  EXPECT_EQ(Pts(storage_.Get(kUp)), (Points{{1000, 1}, {2000, 0}}));
  EXPECT_EQ(Pts(storage_.Get(kUpB)), (Points{{1000, 1}}));
  EXPECT_EQ(handler_.counters().samples_appended.load(), 3u);
}

TEST_F(WriteHandlerTest, EmptyLabelValuesAreDropped) {
  prometheus::WriteRequest req;
  AddSeries(&req, {{"__name__", "up"}, {"env", ""}, {"job", "a"}}, {{1000, 1}});
  EXPECT_EQ(Serve(Post(Compress(req))).status, 204);
  EXPECT_EQ(storage_.Get(kUp).size(), 1u);
}

TEST_F(WriteHandlerTest, WorksWithMemoryStorage) {
  storage::MemoryStorage mem;
  WriteHandler h(&mem, &clock_);
  prometheus::WriteRequest req;
  AddSeries(&req, {{"__name__", "up"}, {"job", "a"}}, {{1000, 1}});
  WriteStats st;
  ASSERT_TRUE(h.Write(Compress(req), &st).ok());
  EXPECT_EQ(st.appended, 1u);
  EXPECT_EQ(mem.NumSeries(), 1u);
}

struct BadSeriesCase {
  const char* name;
  Pairs labels;
  const char* error;
};

TEST_F(WriteHandlerTest, InvalidSeriesRejectTheWholeRequest) {
  const BadSeriesCase cases[] = {
      {"unsorted", {{"job", "a"}, {"__name__", "up"}}, "labels not sorted by name"},
      {"duplicate", {{"__name__", "up"}, {"job", "a"}, {"job", "b"}}, "duplicate label name"},
      {"empty name", {{"", "x"}, {"__name__", "up"}}, "empty label name"},
      {"no metric name", {{"job", "a"}}, "without a metric name"},
      {"empty metric name", {{"__name__", ""}, {"job", "a"}}, "without a metric name"},
      {"no labels", {}, "without a metric name"},
      {"invalid UTF-8 value", {{"__name__", "up"}, {"job", "\xff"}}, "not valid UTF-8"},
      {"invalid UTF-8 name", {{"__name__", "up"}, {"j\xc3", "a"}}, "not valid UTF-8"},
  };
  for (const auto& c : cases) {
    prometheus::WriteRequest req;
    // A valid series first: it must not be appended either.
    AddSeries(&req, {{"__name__", "up"}, {"job", "b"}}, {{5000, 1}});
    AddSeries(&req, c.labels, {{5000, 1}});
    net::HttpResponse resp = Serve(Post(Compress(req)));
    EXPECT_EQ(resp.status, 400) << c.name;
    EXPECT_NE(resp.body.find(c.error), std::string::npos) << c.name << ": " << resp.body;
    EXPECT_EQ(resp.content_type, "text/plain; charset=utf-8");
    EXPECT_EQ(storage_.NumSamples(), 0u) << c.name;
  }
  EXPECT_EQ(storage_.commits, 0);
}

TEST_F(WriteHandlerTest, UTF8NamesAreAccepted) {
  prometheus::WriteRequest req;
  AddSeries(&req, {{"__name__", "http.requests"}, {"zone é", "ü"}}, {{1000, 1}});
  EXPECT_EQ(Serve(Post(Compress(req))).status, 204);
  EXPECT_EQ(storage_.NumSamples(), 1u);
}

TEST_F(WriteHandlerTest, OutOfOrderSamplesAreCountedAndTheRestCommitted) {
  storage_.Seed(kUp, {2000, 5});
  prometheus::WriteRequest req;
  AddSeries(&req, {{"__name__", "up"}, {"job", "a"}}, {{1000, 1}, {2000, 6}, {3000, 7}});
  AddSeries(&req, {{"__name__", "up"}, {"job", "b"}}, {{1000, 1}});
  net::HttpResponse resp = Serve(Post(Compress(req)));
  EXPECT_EQ(resp.status, 400);
  EXPECT_NE(resp.body.find("2 of 4 samples were not appended"), std::string::npos) << resp.body;
  EXPECT_NE(resp.body.find("out of order sample: 1"), std::string::npos) << resp.body;
  EXPECT_NE(resp.body.find("duplicate sample for timestamp: 1"), std::string::npos) << resp.body;
  EXPECT_NE(resp.body.find("first: out of order sample for series {__name__=\"up\", job=\"a\"} "
                           "at timestamp 1000"),
            std::string::npos)
      << resp.body;
  EXPECT_EQ(Pts(storage_.Get(kUp)), (Points{{2000, 5}, {3000, 7}}));
  EXPECT_EQ(Pts(storage_.Get(kUpB)), (Points{{1000, 1}}));
  EXPECT_EQ(handler_.counters().samples_rejected.load(), 2u);
}

TEST_F(WriteHandlerTest, SamplesTooFarInTheFutureAreOutOfBounds) {
  prometheus::WriteRequest req;
  const int64_t now = clock_.NowMs();
  AddSeries(&req, {{"__name__", "up"}, {"job", "a"}},
            {{now + 10 * 60 * 1000, 1}, {now + 10 * 60 * 1000 + 1, 2}});
  WriteStats st;
  Status s = handler_.Write(Compress(req), &st);
  EXPECT_EQ(s.code(), StatusCode::kOutOfOrder);
  EXPECT_EQ(st.out_of_bounds, 1u);
  EXPECT_EQ(st.appended, 1u);
  EXPECT_NE(s.message().find("too far in the future"), std::string_view::npos) << s.ToString();
}

TEST_F(WriteHandlerTest, NativeHistogramsAreRefusedButFloatsKept) {
  prometheus::WriteRequest req;
  AddSeries(&req, {{"__name__", "up"}, {"job", "a"}}, {{1000, 1}});
  auto* h = req.add_timeseries();
  auto* l = h->add_labels();
  l->set_name("__name__");
  l->set_value("latency");
  h->add_histograms()->set_count_int(3);
  net::HttpResponse resp = Serve(Post(Compress(req)));
  EXPECT_EQ(resp.status, 400);
  EXPECT_NE(resp.body.find("native histograms not supported: 1"), std::string::npos) << resp.body;
  EXPECT_EQ(storage_.Get(kUp).size(), 1u);
}

TEST_F(WriteHandlerTest, StorageFailureRollsBackAnd500) {
  storage_.append_error = Status::IOError("disk full");
  prometheus::WriteRequest req;
  AddSeries(&req, {{"__name__", "up"}, {"job", "a"}}, {{1000, 1}});
  net::HttpResponse resp = Serve(Post(Compress(req)));
  EXPECT_EQ(resp.status, 500);
  EXPECT_NE(resp.body.find("disk full"), std::string::npos);
  EXPECT_EQ(storage_.rollbacks, 1);
  EXPECT_EQ(storage_.commits, 0);

  storage_.append_error = Status::Unavailable("head not ready");
  EXPECT_EQ(Serve(Post(Compress(req))).status, 503);

  storage_.append_error = Status::OK();
  storage_.commit_error = Status::IOError("fsync failed");
  resp = Serve(Post(Compress(req)));
  EXPECT_EQ(resp.status, 500);
  EXPECT_NE(resp.body.find("fsync failed"), std::string::npos);
}

TEST_F(WriteHandlerTest, BadBodiesAre400) {
  net::HttpResponse resp = Serve(Post(""));
  EXPECT_EQ(resp.status, 400);
  EXPECT_EQ(resp.body, "snappy: corrupt input\n");

  prometheus::WriteRequest req;
  AddSeries(&req, {{"__name__", "up"}, {"job", "a"}}, {{1000, 1}});
  std::string truncated = Compress(req);
  truncated.resize(truncated.size() - 3);
  resp = Serve(Post(truncated));
  EXPECT_EQ(resp.status, 400);
  EXPECT_EQ(resp.body, "snappy: corrupt input\n");

  std::string junk;
  std::string raw = "\x0a\x05\x0a\x03";  // a series cut short
  snappy::Compress(raw.data(), raw.size(), &junk);
  resp = Serve(Post(junk));
  EXPECT_EQ(resp.status, 400);
  EXPECT_NE(resp.body.find("proto: unexpected EOF"), std::string::npos) << resp.body;
  EXPECT_EQ(handler_.counters().invalid_requests.load(), 3u);
  EXPECT_EQ(storage_.NumSamples(), 0u);
}

TEST_F(WriteHandlerTest, DecodedSizeIsBounded) {
  WriteHandlerOptions o;
  o.max_decoded_bytes = 100;
  WriteHandler h(&storage_, &clock_, o);
  prometheus::WriteRequest req;
  AddSeries(&req, {{"__name__", std::string(200, 'a')}}, {{1000, 1}});
  net::HttpResponse resp;
  h.ServeHttp(Post(Compress(req)), &resp);
  EXPECT_EQ(resp.status, 413);
  EXPECT_NE(resp.body.find("exceeds the limit of 100 bytes"), std::string::npos) << resp.body;
}

TEST_F(WriteHandlerTest, HeadersAreCheckedLikePrometheus) {
  prometheus::WriteRequest req;
  AddSeries(&req, {{"__name__", "up"}, {"job", "a"}}, {{1000, 1}});
  const std::string body = Compress(req);

  net::HttpRequest r = Post(body);
  r.headers = {};  // 1.0 senders without headers are accepted
  EXPECT_EQ(Serve(r).status, 204);

  r = Post(body);
  r.headers = {{"Content-Type", "application/x-protobuf;proto=io.prometheus.write.v2.Request"}};
  net::HttpResponse resp = Serve(r);
  EXPECT_EQ(resp.status, 415);
  EXPECT_EQ(resp.body,
            "io.prometheus.write.v2.Request protobuf message is not accepted by this server; "
            "accepted [prometheus.WriteRequest]\n");

  r.headers = {{"Content-Type", "application/x-protobuf;proto=prometheus.WriteRequest"},
               {"Content-Encoding", "SNAPPY"}};
  EXPECT_EQ(Serve(r).status, 204);

  r.headers = {{"Content-Type", "application/json"}};
  resp = Serve(r);
  EXPECT_EQ(resp.status, 415);
  EXPECT_EQ(resp.body,
            "expected application/x-protobuf as the first (media) part, got application/json "
            "content-type\n");

  r.headers = {{"Content-Encoding", "gzip"}};
  resp = Serve(r);
  EXPECT_EQ(resp.status, 415);
  EXPECT_EQ(resp.body,
            "gzip encoding (compression) is not accepted by this server; only snappy is "
            "acceptable\n");

  r = Post(body);
  r.method = "GET";
  EXPECT_EQ(Serve(r).status, 405);
}

}  // namespace
}  // namespace vigil::remote
