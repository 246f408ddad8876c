// HttpClient: blocking outbound HTTP over libcurl for simple request/response calls
// (tests, tools, http_sd, Alertmanager, remote write). The scraper uses its own libcurl
// multi loop. Thread-safe: each call uses its own easy handle.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "base/result.h"

namespace vigil::net {

struct HttpClientRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int timeout_ms = 10000;
  size_t max_response_bytes = 256 << 20;
};

struct HttpClientResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string Header(std::string_view lower_name) const;
};

// Performs the request. Errors: Unavailable (connect failed), DeadlineExceeded (timeout),
// ResourceExhausted (response too large), IOError (other transport errors). HTTP error
// statuses are not errors: check response.status.
Result<HttpClientResponse> HttpDo(const HttpClientRequest& req);
// GET shorthand.
Result<HttpClientResponse> HttpGet(const std::string& url, int timeout_ms = 10000);

}  // namespace vigil::net
