#include "net/http_server.h"

#include <gtest/gtest.h>

#include "net/http_client.h"

namespace vigil::net {
namespace {

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions o;
    o.listen_address = "127.0.0.1:0";
    o.threads = 2;
    o.max_body_bytes = 1024;
    server_ = std::make_unique<HttpServer>(o);
    server_->Handle("/echo", [](const HttpRequest& r, HttpResponse* w) {
      w->body = r.method + " " + std::string(r.FormValue("q")) + " " +
                std::to_string(r.FormValues("m[]").size()) + " " + r.body;
    });
    server_->Handle("/prefix/", [](const HttpRequest& r, HttpResponse* w) { w->body = r.path; });
    server_->Handle("/big",
                    [](const HttpRequest&, HttpResponse* w) { w->body = std::string(5000, 'x'); });
    ASSERT_TRUE(server_->Start().ok());
  }
  std::string Url(std::string_view path) {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + std::string(path);
  }
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, QueryAndFormParameters) {
  auto r = HttpGet(Url("/echo?q=a%20b&m[]=1&m[]=2"));
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "GET a b 2 ");

  HttpClientRequest post;
  post.method = "POST";
  post.url = Url("/echo?m[]=0");
  post.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  post.body = "q=up%7Bjob%3D%22x%22%7D&m[]=1";
  auto p = HttpDo(post);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->body, "POST up{job=\"x\"} 2 q=up%7Bjob%3D%22x%22%7D&m[]=1");
}

TEST_F(HttpServerTest, PrefixRoutesAndNotFound) {
  auto r = HttpGet(Url("/prefix/a/b"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->body, "/prefix/a/b");
  auto nf = HttpGet(Url("/nope"));
  ASSERT_TRUE(nf.has_value());
  EXPECT_EQ(nf->status, 404);
}

TEST_F(HttpServerTest, BodyLimitIs413) {
  HttpClientRequest post;
  post.method = "POST";
  post.url = Url("/echo");
  post.body = std::string(4096, 'a');
  auto r = HttpDo(post);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 413);
}

TEST_F(HttpServerTest, GzipWhenAccepted) {
  HttpClientRequest get;
  get.url = Url("/big");
  get.headers = {{"Accept-Encoding", "gzip"}};
  auto r = HttpDo(get);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->Header("content-encoding"), "gzip");
  std::string plain;
  ASSERT_TRUE(Gunzip(r->body, 1 << 20, &plain).ok());
  EXPECT_EQ(plain, std::string(5000, 'x'));
}

TEST(HttpServerAddrTest, ParseHostPort) {
  std::string h;
  uint16_t p;
  ASSERT_TRUE(ParseHostPort(":9090", &h, &p).ok());
  EXPECT_EQ(h, "");
  EXPECT_EQ(p, 9090);
  ASSERT_TRUE(ParseHostPort("127.0.0.1:0", &h, &p).ok());
  EXPECT_FALSE(ParseHostPort("localhost", &h, &p).ok());
  EXPECT_FALSE(ParseHostPort("a:99999", &h, &p).ok());
}

TEST(HttpServerAddrTest, BindConflictIsIOError) {
  HttpServerOptions o;
  o.listen_address = "127.0.0.1:0";
  HttpServer a(o);
  ASSERT_TRUE(a.Start().ok());
  o.listen_address = "127.0.0.1:" + std::to_string(a.port());
  HttpServer b(o);
  Status s = b.Start();
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
}

}  // namespace
}  // namespace vigil::net
