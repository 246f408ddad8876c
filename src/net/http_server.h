// HttpServer: a small HTTP/1.1 server on Boost.Beast for the API, the UI, /metrics, the
// simulated fleet and probes.
//
// Handlers are registered before Start() and run on the server's I/O threads; a handler
// must not block for long without checking its own deadline (queries carry a Context).
// Responses larger than 1 KiB are gzip-compressed when the client accepts gzip and the
// handler did not set Content-Encoding itself. Thread-safety: Handle() before Start() only;
// Start()/Stop() from one thread; handlers may run concurrently on several threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "base/status.h"

namespace vigil::net {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // raw request target: path + "?" + query
  std::string path;    // decoded path without the query
  std::string body;
  std::string remote_addr;
  std::vector<std::pair<std::string, std::string>> headers;
  // Query parameters followed by application/x-www-form-urlencoded body parameters,
  // decoded, in order (like Go's r.Form after ParseForm).
  std::vector<std::pair<std::string, std::string>> form;

  // Case-insensitive header lookup; "" if absent.
  std::string_view Header(std::string_view name) const;
  // First value of a form parameter, or "" if absent.
  std::string_view FormValue(std::string_view name) const;
  bool HasForm(std::string_view name) const;
  // All values of a (repeatable) form parameter, e.g. match[].
  std::vector<std::string_view> FormValues(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  void SetHeader(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
};

using Handler = std::function<void(const HttpRequest&, HttpResponse*)>;

struct HttpServerOptions {
  // "host:port", ":port" (all interfaces) or "host:0" for a free port.
  std::string listen_address = ":9090";
  int threads = 4;
  size_t max_body_bytes = 64 << 20;
  bool gzip_responses = true;
  // Requests that take longer than this to arrive are dropped.
  int read_timeout_ms = 30000;
};

class HttpServer {
 public:
  explicit HttpServer(HttpServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Registers a handler. A pattern ending in '/' matches every path under it; otherwise
  // the path must match exactly. The longest matching pattern wins. Unmatched: 404.
  void Handle(std::string pattern, Handler handler);

  // Binds and starts serving. Errors: InvalidArgument (bad address), IOError (bind failed).
  Status Start();
  // Stops accepting, closes connections and joins the threads. Idempotent.
  void Stop();
  // The bound port (useful with port 0). Valid after Start().
  uint16_t port() const { return port_; }

 private:
  class Impl;
  friend class Session;
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
};

// Splits "host:port" (":port" allowed); host "" means all interfaces.
Status ParseHostPort(std::string_view addr, std::string* host, uint16_t* port);
// Percent-decoding ('+' becomes ' ' when plus_as_space).
std::string UrlDecode(std::string_view s, bool plus_as_space);
std::string UrlEncode(std::string_view s);
// Parses "a=1&b=2" into pairs (decoded), appending to *out.
void ParseQueryString(std::string_view qs, std::vector<std::pair<std::string, std::string>>* out);
// gzip-compresses `in` (level 1..9).
std::string Gzip(std::string_view in, int level = 5);
// Decompresses gzip/zlib data; InvalidArgument on bad data, ResourceExhausted beyond max_bytes.
Status Gunzip(std::string_view in, size_t max_bytes, std::string* out);

}  // namespace vigil::net
