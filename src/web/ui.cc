#include "web/ui.h"

#include <algorithm>
#include <string>
#include <string_view>

#include "net/http_server.h"
#include "web/assets.h"

namespace vigil::web {
namespace {

constexpr std::string_view kImmutable = "public, max-age=31536000, immutable";
constexpr std::string_view kRevalidate = "no-cache";

bool HasExtension(std::string_view path) {
  size_t slash = path.rfind('/');
  std::string_view last = slash == std::string_view::npos ? path : path.substr(slash + 1);
  return last.find('.') != std::string_view::npos;
}

// True if the If-None-Match header lists `etag` (or is "*").
bool EtagMatches(std::string_view header, std::string_view etag) {
  if (header.empty() || etag.empty()) return false;
  if (header == "*") return true;
  size_t pos = 0;
  while (pos < header.size()) {
    size_t comma = header.find(',', pos);
    if (comma == std::string_view::npos) comma = header.size();
    std::string_view tag = header.substr(pos, comma - pos);
    while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
    while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == etag) return true;
    pos = comma + 1;
  }
  return false;
}

void Serve(const net::HttpRequest& req, net::HttpResponse* resp) {
  if (req.method != "GET" && req.method != "HEAD") {
    resp->status = 405;
    resp->SetHeader("Allow", "GET, HEAD");
    resp->body = "method not allowed\n";
    return;
  }
  std::string_view path = req.path;
  if (path.starts_with("/api/")) {
    resp->status = 404;
    resp->body = "not found\n";
    return;
  }
  const Asset* asset = nullptr;
  bool immutable = false;
  if (path == "/" || path.empty()) {
    asset = FindAsset("/index.html");
  } else {
    asset = FindAsset(path);
    if (asset != nullptr) {
      immutable = path.starts_with("/assets/");
    } else if (!HasExtension(path)) {
      asset = FindAsset("/index.html");  // a client-side route
    }
  }
  if (asset == nullptr) {
    resp->status = 404;
    resp->body = "not found\n";
    return;
  }
  resp->SetHeader("Cache-Control", std::string(immutable ? kImmutable : kRevalidate));
  resp->SetHeader("X-Content-Type-Options", "nosniff");
  if (!asset->etag.empty()) resp->SetHeader("ETag", std::string(asset->etag));
  if (EtagMatches(req.Header("If-None-Match"), asset->etag)) {
    resp->status = 304;
    resp->content_type = std::string(asset->content_type);
    return;
  }
  resp->content_type = std::string(asset->content_type);
  if (req.method == "GET") resp->body.assign(asset->data.data(), asset->data.size());
}

}  // namespace

const Asset* FindAsset(std::string_view path) {
  std::span<const Asset> all = AllAssets();
  auto it = std::lower_bound(all.begin(), all.end(), path,
                             [](const Asset& a, std::string_view p) { return a.path < p; });
  if (it == all.end() || it->path != path) return nullptr;
  return &*it;
}

void RegisterUi(net::HttpServer* server) { server->Handle("/", Serve); }

}  // namespace vigil::web
