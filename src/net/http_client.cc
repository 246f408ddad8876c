#include "net/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>

namespace vigil::net {
namespace {

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Sink {
  HttpClientResponse* resp;
  size_t max;
  bool too_large = false;
};

size_t OnBody(char* p, size_t size, size_t n, void* ud) {
  auto* s = static_cast<Sink*>(ud);
  if (s->resp->body.size() + size * n > s->max) {
    s->too_large = true;
    return 0;
  }
  s->resp->body.append(p, size * n);
  return size * n;
}

size_t OnHeader(char* p, size_t size, size_t n, void* ud) {
  auto* s = static_cast<Sink*>(ud);
  std::string_view line(p, size * n);
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    std::string_view v = line.substr(colon + 1);
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' '))
      v.remove_suffix(1);
    s->resp->headers.emplace_back(std::move(name), std::string(v));
  }
  return size * n;
}

}  // namespace

std::string HttpClientResponse::Header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return v;
  }
  return "";
}

Result<HttpClientResponse> HttpDo(const HttpClientRequest& req) {
  GlobalInit();
  CURL* c = curl_easy_init();
  if (c == nullptr) return Status::Internal("curl_easy_init failed");
  HttpClientResponse resp;
  Sink sink{&resp, req.max_response_bytes};
  curl_slist* hdrs = nullptr;
  for (const auto& [k, v] : req.headers) hdrs = curl_slist_append(hdrs, (k + ": " + v).c_str());
  curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, long(req.timeout_ms));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &sink);
  if (!req.body.empty() || req.method == "POST" || req.method == "PUT") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(req.body.size()));
  }
  CURLcode rc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(hdrs);
  curl_easy_cleanup(c);
  if (sink.too_large) return Status::ResourceExhausted("response larger than the limit");
  if (rc == CURLE_OPERATION_TIMEDOUT) return Status::DeadlineExceeded(curl_easy_strerror(rc));
  if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST) {
    return Status::Unavailable(std::string(curl_easy_strerror(rc)) + ": " + req.url);
  }
  if (rc != CURLE_OK) return Status::IOError(std::string(curl_easy_strerror(rc)) + ": " + req.url);
  resp.status = int(status);
  return resp;
}

Result<HttpClientResponse> HttpGet(const std::string& url, int timeout_ms) {
  HttpClientRequest r;
  r.url = url;
  r.timeout_ms = timeout_ms;
  return HttpDo(r);
}

}  // namespace vigil::net
