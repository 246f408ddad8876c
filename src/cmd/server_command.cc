// `vigil server`: flags (Prometheus' names), signal handling, and the Server's lifetime.
#include <pthread.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <csignal>
#include <cstdio>

#include "base/logging.h"
#include "cmd/commands.h"
#include "cmd/server.h"
#include "config/duration.h"
#include "relabel/relabel.h"

namespace vigil::cmd {
namespace {

// Parses a Prometheus duration flag; on error prints it and returns false.
bool DurationFlag(const std::string& name, const std::string& v, int64_t* out) {
  auto d = config::ParseDuration(v);
  if (!d.has_value()) {
    std::fprintf(stderr, "vigil server: invalid --%s %s: %s\n", name.c_str(), v.c_str(),
                 std::string(d.error().message()).c_str());
    return false;
  }
  *out = *d;
  return true;
}

// Parses a Prometheus byte size ("512MB", "1GB", "100KiB"; units are powers of 1024 as in
// Prometheus' units.Base2Bytes). On error prints it and returns false.
bool BytesFlag(const std::string& name, const std::string& v, uint64_t* out) {
  size_t i = 0;
  while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i;
  const std::string unit = v.substr(i);
  static const std::pair<const char*, int> kUnits[] = {
      {"B", 0}, {"KB", 1},  {"MB", 2},  {"GB", 3},  {"TB", 4},  {"PB", 5},  {"EB", 6},
      {"", 0},  {"KiB", 1}, {"MiB", 2}, {"GiB", 3}, {"TiB", 4}, {"PiB", 5}, {"EiB", 6}};
  int shift = -1;
  for (const auto& [u, p] : kUnits) {
    if (unit == u) shift = p;
  }
  uint64_t n = 0;
  bool ok = i > 0 && i <= 18 && shift >= 0;
  if (ok) {
    n = std::stoull(v.substr(0, i));
    for (int k = 0; k < shift && ok; ++k) {
      ok = n <= (UINT64_MAX >> 10);
      n <<= 10;
    }
  }
  if (!ok) {
    std::fprintf(stderr, "vigil server: invalid --%s %s: want a byte size like 512MB\n",
                 name.c_str(), v.c_str());
    return false;
  }
  *out = n;
  return true;
}

}  // namespace

int RunServer(int argc, char** argv) {
  CLI::App app{"The Vigil server: scrapes targets, stores samples, answers PromQL.",
               "vigil server"};
  ServerOptions o;
  std::string retention = "15d", lookback = "5m", query_timeout = "2m", shard, log_level = "info";
  std::string retention_size, min_block = "2h", max_block;
  app.add_option("--config.file", o.config_file, "Prometheus configuration file path.")
      ->capture_default_str();
  app.add_option("--storage.tsdb.path", o.tsdb_path, "Base path for metrics storage.")
      ->capture_default_str();
  app.add_option("--web.listen-address", o.listen_address,
                 "Address to listen on for UI, API, and telemetry.")
      ->capture_default_str();
  app.add_option("--web.external-url", o.external_url,
                 "The URL under which Vigil is externally reachable.");
  app.add_flag("--web.enable-admin-api", o.enable_admin_api,
               "Enable API endpoints for admin control actions (/api/v1/admin/tsdb/snapshot, "
               "delete_series, clean_tombstones).");
  app.add_flag("--web.enable-lifecycle", o.enable_lifecycle,
               "Enable shutdown and reload via HTTP request.");
  app.add_flag("--web.enable-remote-write-receiver", o.enable_remote_write_receiver,
               "Enable the API endpoint accepting remote write requests (/api/v1/write).");
  app.add_option("--storage.tsdb.retention.time", retention,
                 "How long to retain samples in storage: blocks ending more than this before "
                 "the newest block's end are deleted (0: no time limit; 15d when no size limit "
                 "is set either).")
      ->capture_default_str();
  app.add_option("--storage.tsdb.retention.size", retention_size,
                 "Maximum number of bytes of blocks, WAL and head chunks; the oldest blocks are "
                 "deleted first. Units: B, KB, MB, GB, TB, PB, EB (powers of 1024). 0: no limit.");
  app.add_option("--storage.tsdb.min-block-duration", min_block,
                 "Time range of the blocks cut from the head (the head is compacted into a "
                 "block once it spans 1.5 times this).")
      ->capture_default_str();
  app.add_option("--storage.tsdb.max-block-duration", max_block,
                 "Maximum duration compacted blocks may span: adjacent blocks are merged into "
                 "blocks of 3, 9, 27, ... times the min block duration up to this (default: 10% "
                 "of the retention time, at most 31d).");
  app.add_option("--storage.tsdb.max-series", o.max_series,
                 "Maximum number of series in the head; new series beyond it are refused with "
                 "an error and counted (0: unlimited).")
      ->capture_default_str();
  app.add_flag("--storage.tsdb.wal-sync", o.wal_sync_on_commit,
               "fsync the WAL before acknowledging each commit (scrape or remote write).");
  app.add_option("--query.lookback-delta", lookback,
                 "The maximum lookback duration for retrieving metrics during expression "
                 "evaluations and federation.")
      ->capture_default_str();
  app.add_option("--query.max-samples", o.query_max_samples,
                 "Maximum number of samples a single query can load into memory.")
      ->capture_default_str();
  app.add_option("--query.timeout", query_timeout,
                 "Maximum time a query may take before being aborted.")
      ->capture_default_str();
  app.add_option("--query.max-concurrency", o.query_max_concurrency,
                 "Maximum number of queries executed concurrently.")
      ->capture_default_str();
  app.add_option("--shard", shard,
                 "Scrape only the targets whose __address__ hashes to shard I of N (I/N), like "
                 "hashmod + keep relabeling.");
  app.add_option("--enable-feature", o.features,
                 "Comma separated feature names to enable (promql-delayed-name-removal).")
      ->delimiter(',');
  app.add_option("--log.level", log_level, "Only log messages with the given severity or above.")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  LogLevel level;
  if (!ParseLogLevel(log_level, &level)) {
    std::fprintf(stderr, "vigil server: invalid --log.level %s\n", log_level.c_str());
    return 2;
  }
  SetLogLevel(level);
  if (!DurationFlag("storage.tsdb.retention.time", retention, &o.retention_ms) ||
      !DurationFlag("query.lookback-delta", lookback, &o.lookback_delta_ms) ||
      !DurationFlag("query.timeout", query_timeout, &o.query_timeout_ms) ||
      !DurationFlag("storage.tsdb.min-block-duration", min_block, &o.min_block_duration_ms)) {
    return 2;
  }
  if (!max_block.empty() &&
      !DurationFlag("storage.tsdb.max-block-duration", max_block, &o.max_block_duration_ms)) {
    return 2;
  }
  if (!retention_size.empty() &&
      !BytesFlag("storage.tsdb.retention.size", retention_size, &o.retention_bytes)) {
    return 2;
  }
  if (o.min_block_duration_ms <= 0) {
    std::fprintf(stderr, "vigil server: --storage.tsdb.min-block-duration must be positive\n");
    return 2;
  }
  // Prometheus: with neither limit set, the time limit is the default 15d.
  if (o.retention_ms == 0 && o.retention_bytes == 0) o.retention_ms = 15LL * 24 * 3600 * 1000;

  if (!shard.empty()) {
    auto s = relabel::ParseShard(shard);
    if (!s.has_value()) {
      std::fprintf(stderr, "vigil server: invalid --shard %s: %s\n", shard.c_str(),
                   std::string(s.error().message()).c_str());
      return 2;
    }
    o.shard = *s;
  }
  for (const auto* opt : app.get_options()) {
    if (opt->get_name() == "--help") continue;
    std::string name = opt->get_name().substr(2);
    std::string v = opt->as<std::string>();
    if (opt->get_type_size() == 0) v = opt->count() ? "true" : "false";
    if (v.empty() && !opt->get_default_str().empty()) v = opt->get_default_str();
    o.flag_values.emplace_back(name, v);
  }

  // Signals are handled by this thread only: block them before any thread starts.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  Server server(o);
  if (Status s = server.Start(); !s.ok()) {
    VIGIL_LOG_ERROR("main", "Error starting Vigil", "err={}", LogQuote(s.ToString()));
    server.Stop();
    return 1;
  }
  while (true) {
    int sig = 0;
    sigwait(&set, &sig);
    if (sig == SIGHUP) {
      if (Status s = server.Reload(); !s.ok()) {
        VIGIL_LOG_ERROR("main", "Error reloading config", "err={}", LogQuote(s.ToString()));
      }
      continue;
    }
    VIGIL_LOG_WARN("main", "Received shutdown signal, exiting gracefully...", "signal={}", sig);
    break;
  }
  server.Stop();
  VIGIL_LOG_INFO("main", "See you next time!");
  return 0;
}

}  // namespace vigil::cmd
