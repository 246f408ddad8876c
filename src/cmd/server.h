// Server: `vigil server` — the wiring of every component of one Prometheus-compatible
// server: configuration, TSDB (head with WAL + blocks), scrape manager, PromQL engine, HTTP API, UI
// and self-metrics. Only cmd/ knows every concrete type; the API sees narrow interfaces.
//
// Lifecycle: Start() opens storage (blocks, WAL replay), applies the configuration, starts
// scraping and serving, then marks the API ready. Reload() re-reads the configuration file
// and applies it; a bad file keeps the running configuration and returns the error.
// Stop() shuts down in reverse order. Thread-safety: Reload() may be called from any thread
// (SIGHUP handler thread, HTTP handler); Start/Stop from the owning thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/metrics.h"
#include "base/mutex.h"
#include "base/status.h"

namespace vigil::cmd {

struct ServerOptions {
  std::string config_file = "prometheus.yml";
  std::string tsdb_path = "data/";
  std::string listen_address = "0.0.0.0:9090";
  std::string external_url;
  bool enable_lifecycle = false;
  bool enable_admin_api = false;  // /api/v1/admin/tsdb/{snapshot,delete_series,clean_tombstones}
  bool enable_remote_write_receiver = false;
  int64_t retention_ms = 15LL * 24 * 3600 * 1000;   // 0: no time retention
  uint64_t retention_bytes = 0;                     // 0: no size retention
  int64_t min_block_duration_ms = 2 * 3600 * 1000;  // range of blocks cut from the head
  int64_t max_block_duration_ms = 0;                // 0: Prometheus' default (10% retention)
  uint64_t max_series = 0;                          // 0: unlimited
  bool wal_sync_on_commit = false;
  int64_t lookback_delta_ms = 5 * 60 * 1000;
  int64_t query_max_samples = 50'000'000;
  int64_t query_timeout_ms = 2 * 60 * 1000;
  int query_max_concurrency = 20;
  std::optional<std::pair<uint64_t, uint64_t>> shard;  // --shard=I/N
  std::vector<std::string> features;                   // --enable-feature
  int http_threads = 4;
  // Flags as given, for /api/v1/status/flags.
  std::vector<std::pair<std::string, std::string>> flag_values;
};

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Errors: the configuration is invalid, storage cannot be opened, the port is taken.
  Status Start();
  Status Reload();
  void Stop();

  // The HTTP port actually bound (for --web.listen-address with port 0).
  uint16_t port() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::cmd
