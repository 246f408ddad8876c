#include "remote/write_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "net/http_server.h"

namespace vigil::remote {
namespace {

// A receiver on 127.0.0.1 that records every request and answers with `status_for(n)` for
// the n-th request (0-based).
class Receiver {
 public:
  explicit Receiver(std::function<int(int)> status_for) : status_for_(std::move(status_for)) {
    net::HttpServerOptions o;
    o.listen_address = "127.0.0.1:0";
    o.threads = 2;
    server_ = std::make_unique<net::HttpServer>(o);
    server_->Handle("/api/v1/write", [this](const net::HttpRequest& r, net::HttpResponse* w) {
      std::lock_guard<std::mutex> l(mu_);
      int n = int(requests_.size());
      requests_.push_back(r);
      w->status = status_for_(n);
      if (w->status >= 400) w->body = "rejected request " + std::to_string(n) + "\n";
    });
    EXPECT_TRUE(server_->Start().ok());
  }
  ~Receiver() { server_->Stop(); }

  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + "/api/v1/write";
  }
  std::vector<net::HttpRequest> requests() {
    std::lock_guard<std::mutex> l(mu_);
    return requests_;
  }

 private:
  std::function<int(int)> status_for_;
  std::unique_ptr<net::HttpServer> server_;
  std::mutex mu_;
  std::vector<net::HttpRequest> requests_;
};

WriteClientOptions Fast(const std::string& url, int retries = 5) {
  WriteClientOptions o;
  o.url = url;
  o.timeout_ms = 5000;
  o.max_retries = retries;
  o.min_backoff_ms = 1;
  o.max_backoff_ms = 4;
  return o;
}

TEST(WriteClientTest, PostsTheBodyWithTheRemoteWriteHeaders) {
  Receiver rx([](int) { return 204; });
  WriteClient c(Fast(rx.url()));
  std::string body("\x00\x01snappy bytes\xff", 16);
  ASSERT_TRUE(c.Store(body).ok());
  auto reqs = rx.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].body, body);
  EXPECT_EQ(reqs[0].Header("Content-Encoding"), "snappy");
  EXPECT_EQ(reqs[0].Header("Content-Type"), "application/x-protobuf");
  EXPECT_EQ(reqs[0].Header("X-Prometheus-Remote-Write-Version"), "0.1.0");
  EXPECT_EQ(reqs[0].Header("Expect"), "");
  EXPECT_EQ(c.stats().requests, 1u);
  EXPECT_EQ(c.stats().bytes, body.size());
}

TEST(WriteClientTest, RetriesServerErrorsAndTooManyRequests) {
  Receiver rx([](int n) { return n == 0 ? 500 : n == 1 ? 429 : n == 2 ? 503 : 200; });
  WriteClient c(Fast(rx.url()));
  ASSERT_TRUE(c.Store("x").ok());
  EXPECT_EQ(rx.requests().size(), 4u);
  EXPECT_EQ(c.stats().retries, 3u);
  EXPECT_EQ(c.stats().requests, 1u);
}

TEST(WriteClientTest, DoesNotRetryAClientError) {
  Receiver rx([](int) { return 400; });
  WriteClient c(Fast(rx.url()));
  Status s = c.Store("x");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("HTTP 400: rejected request 0"), std::string_view::npos)
      << s.ToString();
  EXPECT_NE(s.message().find(rx.url()), std::string_view::npos) << s.ToString();
  EXPECT_EQ(rx.requests().size(), 1u);
}

TEST(WriteClientTest, GivesUpAfterMaxRetries) {
  Receiver rx([](int) { return 503; });
  WriteClient c(Fast(rx.url(), 2));
  Status s = c.Store("x");
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("giving up after 2 retries"), std::string_view::npos) << s.ToString();
  EXPECT_EQ(rx.requests().size(), 3u);
}

TEST(WriteClientTest, ConnectionRefusedIsRetriedThenReported) {
  std::string url;
  {
    Receiver gone([](int) { return 204; });
    url = gone.url();
  }
  WriteClient c(Fast(url, 1));
  Status s = c.Store("x");
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_EQ(c.stats().retries, 1u);
}

TEST(WriteFanoutTest, EveryEndpointGetsEveryBodyInOrder) {
  Receiver a([](int) { return 204; });
  Receiver b([](int n) { return n % 7 == 3 ? 500 : 204; });  // retried, order kept
  WriteFanout f({Fast(a.url()), Fast(b.url())}, 1, 2);
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(f.Send(std::make_shared<const std::string>("body " + std::to_string(i))).ok());
  }
  ASSERT_TRUE(f.Flush().ok());
  for (Receiver* rx : {&a, &b}) {
    std::vector<std::string> got;
    for (const auto& r : rx->requests()) {
      if (got.empty() || got.back() != r.body) got.push_back(r.body);
    }
    ASSERT_EQ(got.size(), 40u);
    for (int i = 0; i < 40; ++i) EXPECT_EQ(got[size_t(i)], "body " + std::to_string(i));
  }
  EXPECT_EQ(f.stats(0).requests, 40u);
  EXPECT_EQ(f.stats(1).requests, 40u);
  EXPECT_GT(f.stats(1).retries, 0u);
}

TEST(WriteFanoutTest, ShardsSendInParallelAndKeepTheirOwnOrder) {
  Receiver a([](int) { return 204; });
  Receiver b([](int n) { return n % 5 == 2 ? 503 : 204; });
  WriteFanout f({Fast(a.url()), Fast(b.url())}, 3, 2);
  EXPECT_EQ(f.shards(), 3u);
  for (int i = 0; i < 60; ++i) {
    std::string body = "shard " + std::to_string(i % 3) + " body " + std::to_string(i);
    ASSERT_TRUE(f.Send(std::make_shared<const std::string>(body), size_t(i % 3)).ok());
  }
  ASSERT_TRUE(f.Flush().ok());
  for (Receiver* rx : {&a, &b}) {
    std::vector<std::vector<int>> per_shard(3);
    std::set<std::string> distinct;
    for (const auto& r : rx->requests()) {
      distinct.insert(r.body);
      int shard = r.body[6] - '0';
      int i = std::stoi(r.body.substr(r.body.rfind(' ') + 1));
      if (per_shard[size_t(shard)].empty() || per_shard[size_t(shard)].back() != i) {
        per_shard[size_t(shard)].push_back(i);
      }
    }
    EXPECT_EQ(distinct.size(), 60u);
    for (int sh = 0; sh < 3; ++sh) {
      const auto& got = per_shard[size_t(sh)];
      ASSERT_EQ(got.size(), 20u);
      for (size_t k = 0; k < got.size(); ++k) EXPECT_EQ(got[k], int(k) * 3 + sh);
    }
  }
}

TEST(WriteFanoutTest, StopsAtTheFirstFinalFailure) {
  Receiver ok([](int) { return 204; });
  Receiver bad([](int n) { return n == 3 ? 400 : 204; });
  WriteFanout f({Fast(ok.url()), Fast(bad.url())}, 1, 1);
  Status first;
  for (int i = 0; i < 20 && first.ok(); ++i) {
    first = f.Send(std::make_shared<const std::string>(std::to_string(i)));
  }
  Status s = f.Flush();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find(bad.url()), std::string_view::npos) << s.ToString();
  // The failing endpoint never got a body after the rejected one.
  EXPECT_EQ(bad.requests().size(), 4u);
  EXPECT_FALSE(f.Send(std::make_shared<const std::string>("late")).ok());
}

}  // namespace
}  // namespace vigil::remote
