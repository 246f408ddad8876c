#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>
#include <string>

#include "net/http_client.h"
#include "net/http_server.h"
#include "web/assets.h"
#include "web/ui.h"

namespace vigil::web {
namespace {

TEST(AssetsTest, IndexIsEmbedded) {
  const Asset* index = FindAsset("/index.html");
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
  EXPECT_NE(index->data.find("<html"), std::string_view::npos);
  EXPECT_EQ(index->etag.size(), 18u);  // '"' + 16 hex digits + '"'
}

TEST(AssetsTest, TableIsSortedUniqueAndTyped) {
  std::set<std::string_view> seen;
  std::string_view prev;
  for (const Asset& a : AllAssets()) {
    EXPECT_TRUE(a.path.starts_with("/")) << a.path;
    EXPECT_LT(prev, a.path);
    EXPECT_FALSE(a.content_type.empty()) << a.path;
    EXPECT_TRUE(seen.insert(a.path).second) << a.path;
    EXPECT_EQ(FindAsset(a.path), &a);
    prev = a.path;
  }
  EXPECT_EQ(FindAsset("/no-such-file.js"), nullptr);
  EXPECT_EQ(FindAsset(""), nullptr);
  EXPECT_EQ(FindAsset("index.html"), nullptr);
}

// The embedded bytes are byte-exact copies of web/dist (when the UI was built).
TEST(AssetsTest, EmbeddedBytesMatchDist) {
  if (IsPlaceholder()) GTEST_SKIP() << "web/dist was not built; the placeholder is embedded";
  const char* src = std::getenv("VIGIL_SOURCE_DIR");
  std::filesystem::path dist = std::filesystem::path(src ? src : ".") / "web" / "dist";
  if (!std::filesystem::exists(dist / "index.html")) GTEST_SKIP() << "no " << dist;
  for (const Asset& a : AllAssets()) {
    std::ifstream in(dist / std::string(a.path.substr(1)), std::ios::binary);
    if (!in) GTEST_SKIP() << "web/dist was rebuilt since the embed step: " << a.path;
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.size(), a.data.size()) << a.path;
    EXPECT_TRUE(bytes == a.data) << a.path;
  }
}

class UiServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    net::HttpServerOptions o;
    o.listen_address = "127.0.0.1:0";
    o.threads = 2;
    server_ = std::make_unique<net::HttpServer>(o);
    server_->Handle("/api/v1/query",
                    [](const net::HttpRequest&, net::HttpResponse* w) { w->body = "api"; });
    RegisterUi(server_.get());
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override { server_->Stop(); }
  std::string Url(std::string_view path) {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + std::string(path);
  }
  std::unique_ptr<net::HttpServer> server_;
};

TEST_F(UiServerTest, RootAndClientRoutesServeIndex) {
  const Asset* index = FindAsset("/index.html");
  ASSERT_NE(index, nullptr);
  for (const char* path : {"/", "/index.html", "/explore?expr=up", "/d/network", "/targets"}) {
    auto r = net::HttpGet(Url(path));
    ASSERT_TRUE(r.has_value()) << r.error().ToString();
    EXPECT_EQ(r->status, 200) << path;
    EXPECT_EQ(r->Header("content-type"), "text/html; charset=utf-8") << path;
    EXPECT_EQ(r->Header("cache-control"), "no-cache") << path;
    EXPECT_EQ(r->Header("etag"), index->etag) << path;
    EXPECT_TRUE(r->body == index->data) << path;
  }
}

TEST_F(UiServerTest, HashedAssetsAreImmutable) {
  int checked = 0;
  for (const Asset& a : AllAssets()) {
    if (!a.path.starts_with("/assets/")) continue;
    auto r = net::HttpGet(Url(a.path));
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 200) << a.path;
    EXPECT_EQ(r->Header("cache-control"), "public, max-age=31536000, immutable");
    EXPECT_EQ(r->Header("content-type"), a.content_type);
    EXPECT_TRUE(r->body == a.data) << a.path;
    ++checked;
  }
  if (checked == 0 && !IsPlaceholder()) ADD_FAILURE() << "the built UI has no /assets/ files";
}

TEST_F(UiServerTest, RevalidationAnswers304) {
  const Asset* index = FindAsset("/index.html");
  ASSERT_NE(index, nullptr);
  net::HttpClientRequest req;
  req.url = Url("/");
  req.headers = {{"If-None-Match", "\"0000000000000000\", " + std::string(index->etag)}};
  auto r = net::HttpDo(req);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 304);
  EXPECT_TRUE(r->body.empty());
  req.headers = {{"If-None-Match", "\"0000000000000000\""}};
  auto full = net::HttpDo(req);
  ASSERT_TRUE(full.has_value());
  EXPECT_EQ(full->status, 200);
}

TEST_F(UiServerTest, UnknownFilesApiPathsAndMethods) {
  struct Case {
    const char* method;
    const char* path;
    int status;
    const char* body;
  };
  const Case cases[] = {
      {"GET", "/missing.js", 404, "not found\n"},
      {"GET", "/assets/missing-1234.css", 404, "not found\n"},
      {"GET", "/api/v1/no_such_endpoint", 404, "not found\n"},
      {"GET", "/api/v1/query", 200, "api"},  // the longer pattern wins over the UI
      {"POST", "/", 405, "method not allowed\n"},
      {"DELETE", "/explore", 405, "method not allowed\n"},
  };
  for (const Case& c : cases) {
    net::HttpClientRequest req;
    req.method = c.method;
    req.url = Url(c.path);
    auto r = net::HttpDo(req);
    ASSERT_TRUE(r.has_value()) << c.path;
    EXPECT_EQ(r->status, c.status) << c.method << " " << c.path;
    EXPECT_EQ(r->body, c.body) << c.method << " " << c.path;
  }
}

}  // namespace
}  // namespace vigil::web
