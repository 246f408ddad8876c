// Api: the Prometheus-compatible HTTP API (/api/v1/...) and the lifecycle endpoints
// (/-/healthy, /-/ready, /-/reload) plus /metrics, over narrow interfaces: a
// storage::Queryable for series/labels, an api::QueryEngine + QueryParser for PromQL,
// TargetsRetriever, MetadataProvider, TsdbStatusProvider, StatusProvider, a reload callback
// and a storage::Appendable for the remote-write receiver. It never sees tsdb or scrape.
//
// Endpoints, parameters, validation, error texts, JSON shapes and status codes follow
// Prometheus' web/api/v1/api.go and web/web.go; docs/api.md lists them and the differences.
//
// Ownership: the Api does not own its dependencies; they must outlive it (and the server it
// is registered on). Any dependency may be null: its endpoints then answer an error or an
// empty result (see docs/api.md).
// Thread-safety: Serve() runs concurrently on the server's threads; SetReady() may be called
// from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/providers.h"
#include "api/query_engine.h"
#include "api/response.h"
#include "base/clock.h"
#include "net/http_server.h"
#include "remote/write_handler.h"
#include "storage/interface.h"

namespace re2 {
class RE2;
}

namespace vigil::api {

class JsonWriter;

struct ApiOptions {
  // "<app_name> is Healthy." / "<app_name> is Ready." (Prometheus: "Prometheus Server").
  std::string app_name = "Vigil Server";
  // --query.timeout: upper bound on every query's run time; a smaller `timeout` parameter wins.
  int64_t query_timeout_ms = 2 * 60 * 1000;
  // --web.enable-lifecycle: without it POST /-/reload answers 403.
  bool enable_lifecycle = false;
  // --web.enable-remote-write-receiver: without it POST /api/v1/write answers 404.
  bool enable_remote_write_receiver = false;
  // --web.cors.origin: regex (fully anchored) of allowed Origins; ".*" answers "*".
  std::string cors_origin = ".*";
  // For targets' globalUrl: our --web.listen-address, and the scheme and host[:port] of
  // --web.external-url. With an empty external_host, globalUrl is the scrape URL.
  std::string listen_address = "0.0.0.0:9090";
  std::string external_scheme = "http";
  std::string external_host;
  remote::WriteHandlerOptions remote_write;
};

struct ApiDeps {
  storage::Queryable* queryable = nullptr;
  QueryEngine* engine = nullptr;
  QueryParser* parser = nullptr;
  TargetsRetriever* targets = nullptr;
  MetadataProvider* metadata = nullptr;
  TsdbStatusProvider* tsdb = nullptr;
  StatusProvider* status = nullptr;
  // Remote-write receiver's storage (with options.enable_remote_write_receiver).
  storage::Appendable* appendable = nullptr;
  // POST /-/reload: reloads the configuration; an error answers 500.
  std::function<Status()> reload;
  // GET /metrics: the server's own metrics in the text exposition format.
  std::function<std::string()> metrics;
  // Source of "now" for default query times and the remote-write future bound.
  const Clock* clock = nullptr;  // null: RealClock
};

enum class ReadyState { kNotReady, kReady, kStopping };

class Api {
 public:
  Api(ApiOptions options, ApiDeps deps);
  ~Api();
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  // Registers "/api/v1/", "/-/healthy", "/-/ready", "/-/reload" and "/metrics" on `server`
  // (before server->Start()). The Api must outlive the server's handlers.
  void Register(net::HttpServer* server);

  // Until kReady, /api/v1/* (and /-/ready) answer 503 "Service Unavailable".
  void SetReady(ReadyState state);
  ReadyState ready() const { return ready_.load(std::memory_order_acquire); }

  // Handles one request to any of the registered paths (what Register()'s handlers call).
  void Serve(const net::HttpRequest& req, net::HttpResponse* resp);

  // The remote-write receiver, or null when disabled.
  const remote::WriteHandler* write_handler() const { return write_handler_.get(); }

 private:
  // Warnings and infos of one response (deduplicated, capped at 10 each like Prometheus).
  struct Annotations {
    std::vector<std::string> warnings;
    std::vector<std::string> infos;
  };
  // A JSON endpoint: writes exactly one JSON value (the "data") on success, or nothing (204).
  using ApiFunc = ApiError (Api::*)(const net::HttpRequest&, JsonWriter*, Annotations*);
  struct Route;

  void ServeApi(const net::HttpRequest& req, net::HttpResponse* resp);
  void RunJson(ApiFunc fn, const net::HttpRequest& req, net::HttpResponse* resp);
  bool CheckReady(net::HttpResponse* resp) const;
  void SetCors(const net::HttpRequest& req, net::HttpResponse* resp) const;

  ApiError Options(const net::HttpRequest&, JsonWriter*, Annotations*);
  ApiError Query(const net::HttpRequest&, JsonWriter*, Annotations*);
  ApiError QueryRange(const net::HttpRequest&, JsonWriter*, Annotations*);
  ApiError FormatQuery(const net::HttpRequest&, JsonWriter*, Annotations*);
  ApiError ParseQuery(const net::HttpRequest&, JsonWriter*, Annotations*);
  ApiError LabelNames(const net::HttpRequest&, JsonWriter*, Annotations*);
  ApiError LabelValues(const net::HttpRequest&, JsonWriter*, Annotations*);
  ApiError Series(const net::HttpRequest&, JsonWriter*, Annotations*);
  ApiError Targets(const net::HttpRequest&, JsonWriter*, Annotations*);
  ApiError Metadata(const net::HttpRequest&, JsonWriter*, Annotations*);
  ApiError StatusConfig(const net::HttpRequest&, JsonWriter*, Annotations*);
  ApiError StatusFlags(const net::HttpRequest&, JsonWriter*, Annotations*);
  ApiError StatusBuildInfo(const net::HttpRequest&, JsonWriter*, Annotations*);
  ApiError StatusRuntimeInfo(const net::HttpRequest&, JsonWriter*, Annotations*);
  ApiError StatusTsdb(const net::HttpRequest&, JsonWriter*, Annotations*);

  ApiError RunQuery(const net::HttpRequest& req, const QueryParams& params, int64_t limit,
                    int64_t timeout_ns, JsonWriter* w, Annotations* a);
  ApiError ParseMatcherSets(const std::vector<std::string_view>& selectors,
                            std::vector<std::vector<Matcher>>* out) const;
  std::string GlobalUrl(const std::string& scrape_url) const;
  static void AddWarning(Annotations* a, std::string w);

  ApiOptions options_;
  ApiDeps deps_;
  const Clock* clock_;
  std::unique_ptr<re2::RE2> cors_re_;  // null when cors_origin is ".*"
  std::unique_ptr<remote::WriteHandler> write_handler_;
  std::atomic<ReadyState> ready_{ReadyState::kNotReady};
};

// The global URL of a target (Prometheus' getGlobalURL): for a scrape URL on localhost, the
// scheme/host of the external URL when the port is ours, else only the external host name
// with the target's port. Other URLs are returned unchanged.
std::string GlobalUrlFor(std::string_view scrape_url, std::string_view listen_address,
                         std::string_view external_scheme, std::string_view external_host);

}  // namespace vigil::api
