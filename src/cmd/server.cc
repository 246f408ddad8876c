#include "cmd/server.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <thread>

#include "api/api.h"
#include "api/json_writer.h"
#include "api/params.h"
#include "api/promql_parser.h"
#include "api/response.h"
#include "base/logging.h"
#include "base/memory.h"
#include "base/periodic.h"
#include "cmd/adapters.h"
#include "config/config.h"
#include "config/duration.h"
#include "net/http_server.h"
#include "promql/engine/engine.h"
#include "scrape/manager.h"
#include "tsdb/db/db.h"
#include "web/ui.h"

namespace vigil::cmd {
namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Resident set size and CPU time of this process, for process_* metrics.
void ProcessMetrics(std::vector<MetricFamily>* out, int64_t start_time_ns) {
  double rss = 0, vsz = 0;
  std::ifstream st("/proc/self/status");
  for (std::string line; std::getline(st, line);) {
    if (line.rfind("VmRSS:", 0) == 0) rss = std::stod(line.substr(6)) * 1024;
    if (line.rfind("VmSize:", 0) == 0) vsz = std::stod(line.substr(7)) * 1024;
  }
  std::ifstream sf("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(sf)), std::istreambuf_iterator<char>());
  double cpu = 0;
  size_t rp = stat.rfind(')');
  if (rp != std::string::npos) {
    std::istringstream in(stat.substr(rp + 2));
    std::string f;
    std::vector<std::string> fields;
    while (in >> f) fields.push_back(f);
    if (fields.size() > 12)
      cpu = (std::stod(fields[11]) + std::stod(fields[12])) / sysconf(_SC_CLK_TCK);
  }
  out->push_back(MetricFamily{
      "process_resident_memory_bytes",
      "Resident memory size in bytes.",
      "gauge",
      {}}.Add(rss));
  out->push_back(MetricFamily{
      "process_virtual_memory_bytes",
      "Virtual memory size in bytes.",
      "gauge",
      {}}.Add(vsz));
  out->push_back(MetricFamily{
      "process_cpu_seconds_total",
      "Total user and system CPU time spent in seconds.",
      "counter",
      {}}.Add(cpu));
  out->push_back(MetricFamily{
      "process_start_time_seconds",
      "Start time of the process since unix epoch in seconds.",
      "gauge",
      {}}.Add(double(start_time_ns) / 1e9));
}

void HeadMetrics(tsdb::Head* head, std::vector<MetricFamily>* out) {
  tsdb::HeadCounters c = head->Counters();
  auto counter = [&](const char* name, const char* help, uint64_t v) {
    out->push_back(MetricFamily{name, help, "counter", {}}.Add(double(v)));
  };
  auto gauge = [&](const char* name, const char* help, double v) {
    out->push_back(MetricFamily{name, help, "gauge", {}}.Add(v));
  };
  gauge("prometheus_tsdb_head_series", "Total number of series in the head block.",
        double(head->NumSeries()));
  gauge("prometheus_tsdb_head_min_time", "Minimum time bound of the head block.",
        double(head->MinTime()));
  gauge("prometheus_tsdb_head_max_time", "Maximum timestamp of the head block.",
        double(head->MaxTime()));
  counter("prometheus_tsdb_head_samples_appended_total", "Total number of appended samples.",
          c.samples_appended);
  counter("prometheus_tsdb_head_series_created_total", "Total number of series created in the head",
          c.series_created);
  counter("prometheus_tsdb_head_series_removed_total", "Total number of series removed in the head",
          c.series_removed);
  counter("prometheus_tsdb_head_chunks_created_total", "Total number of chunks created in the head",
          c.chunks_created);
  counter("prometheus_tsdb_out_of_order_samples_total",
          "Total number of out of order samples ingestion failed attempts.",
          c.out_of_order_samples);
  counter("prometheus_tsdb_out_of_bounds_samples_total",
          "Total number of out of bound samples ingestion failed attempts.",
          c.out_of_bounds_samples);
  counter("vigil_tsdb_duplicate_samples_total",
          "Samples rejected as duplicate sample for timestamp.", c.duplicate_samples);
  counter("vigil_tsdb_head_series_limit_rejections_total",
          "New series refused because --storage.tsdb.max-series was reached.",
          c.series_limit_rejections);
  counter("prometheus_tsdb_wal_corruptions_total", "Total number of WAL corruptions.",
          c.wal_corruptions);
  counter("vigil_tsdb_wal_fsyncs_total", "WAL fsyncs (with --storage.tsdb.wal-sync).",
          c.wal_fsyncs);
  counter("vigil_tsdb_wal_bytes_total", "Bytes written to the WAL.", c.wal_bytes);
  counter("vigil_tsdb_wal_commits_total", "Group-commit batches written to the WAL.",
          c.wal_commits);
  gauge("vigil_tsdb_wal_replay_duration_seconds", "Duration of the WAL replay at start.",
        double(c.replay_duration_ms) / 1000);
  counter("vigil_tsdb_wal_write_errors_total",
          "Group-commit batches the WAL failed to write (their appends failed).",
          c.wal_write_errors);
  counter("prometheus_tsdb_mmap_chunk_corruptions_total",
          "Total number of memory-mapped chunk corruptions.", c.mmap_chunk_corruptions);
  counter("prometheus_tsdb_head_truncations_total", "Total number of head truncations attempted.",
          c.truncations);
  counter("prometheus_tsdb_head_truncations_failed_total",
          "Total number of head truncations that failed.", c.truncations_failed);
  counter("prometheus_tsdb_head_chunks_removed_total", "Total number of chunks removed in the head",
          c.chunks_removed);
  counter("prometheus_tsdb_checkpoint_creations_total",
          "Total number of checkpoint creations attempted.", c.checkpoints);
  counter("prometheus_tsdb_checkpoint_creations_failed_total",
          "Total number of checkpoint creations that failed.", c.checkpoints_failed);
  counter("vigil_tsdb_head_samples_dropped_removed_series_total",
          "Pending samples dropped because their series was garbage-collected.",
          c.samples_dropped_removed_series);
  gauge("vigil_tsdb_wal_replay_samples", "Samples replayed from the WAL at start.",
        double(c.replay_samples));
  gauge("vigil_tsdb_wal_replay_mmapped_chunks",
        "Chunks attached from chunks_head/ at start instead of replayed.",
        double(c.replay_mmapped_chunks));
  tsdb::HeadMemory m = head->MemoryByStructure();
  MetricFamily mem{
      "vigil_head_memory_bytes", "Anonymous memory of the TSDB head by structure.", "gauge", {}};
  mem.Add(double(m.symbols), {{"structure", "symbols"}});
  mem.Add(double(m.labels), {{"structure", "labels"}});
  mem.Add(double(m.series_state), {{"structure", "series_state"}});
  mem.Add(double(m.postings), {{"structure", "postings"}});
  mem.Add(double(m.open_chunks), {{"structure", "open_chunks"}});
  mem.Add(double(m.series_hash), {{"structure", "series_hash"}});
  mem.Add(double(m.chunk_store), {{"structure", "chunk_store"}});
  mem.Add(double(m.wal_buffers), {{"structure", "wal_buffers"}});
  out->push_back(std::move(mem));
}

void DBMetrics(tsdb::DB* db, std::vector<MetricFamily>* out) {
  tsdb::DBCounters c = db->Counters();
  auto counter = [&](const char* name, const char* help, uint64_t v) {
    out->push_back(MetricFamily{name, help, "counter", {}}.Add(double(v)));
  };
  auto gauge = [&](const char* name, const char* help, double v) {
    out->push_back(MetricFamily{name, help, "gauge", {}}.Add(v));
  };
  gauge("prometheus_tsdb_blocks_loaded", "Number of currently loaded data blocks",
        double(c.blocks_loaded));
  counter("vigil_tsdb_block_load_failures_total",
          "Block directories skipped at start because they could not be opened.",
          c.block_load_failures);
  counter("prometheus_tsdb_compactions_total",
          "Total number of compactions that were executed for the partition.", c.compactions);
  counter("prometheus_tsdb_compactions_failed_total",
          "Total number of compactions that failed for the partition.", c.compactions_failed);
  counter("prometheus_tsdb_time_retentions_total",
          "The number of times that blocks were deleted because the maximum time limit was "
          "exceeded.",
          c.time_retentions);
  counter("prometheus_tsdb_size_retentions_total",
          "The number of times that blocks were deleted because the maximum number of bytes was "
          "exceeded.",
          c.size_retentions);
  gauge("prometheus_tsdb_storage_blocks_bytes",
        "The number of bytes that are currently used for local storage by all blocks.",
        double(c.blocks_bytes));
  gauge("prometheus_tsdb_lowest_timestamp",
        "Lowest timestamp value stored in the database. The unit is decided by the library "
        "consumer.",
        c.lowest_timestamp == INT64_MAX ? 0.0 : double(c.lowest_timestamp));
  gauge("prometheus_tsdb_retention_limit_bytes",
        "Max number of bytes to be retained in the tsdb blocks, configured 0 means disabled",
        double(db->options().retention_bytes));
  gauge("vigil_tsdb_last_compaction_duration_seconds",
        "Duration of the last compaction (head block or block merge).",
        double(c.last_compaction_duration_ms) / 1000);
  MetricFamily durations{"prometheus_tsdb_compaction_duration_seconds",
                         "Duration of compaction runs",
                         "histogram",
                         {}};
  db->compaction_duration().AppendTo(&durations);
  out->push_back(std::move(durations));
}

void JsonError(net::HttpResponse* resp, int code, const char* type, const std::string& msg) {
  resp->status = code;
  resp->content_type = "application/json";
  resp->body = std::string(R"({"status":"error","errorType":")") + type + R"(","error":)";
  api::AppendJsonString(&resp->body, msg);
  resp->body += '}';
}

// GET /api/v1/status/tsdb/blocks: the loaded blocks' meta.json, oldest first (Prometheus'
// experimental endpoint has the same shape).
void BlocksHandler(tsdb::DB* db, net::HttpResponse* resp) {
  std::string body = R"({"status":"success","data":{"blocks":[)";
  bool first = true;
  for (const auto& b : db->Blocks()) {
    if (!first) body += ',';
    first = false;
    body += tsdb::block::SerializeMeta(b->meta());
  }
  body += "]}}";
  resp->content_type = "application/json";
  resp->body = std::move(body);
}

// POST|PUT /api/v1/admin/tsdb/snapshot[?skip_head=true]: snapshots/<time>-<random>/ in the
// data directory, named like Prometheus' ("20171210T211224Z-2be650b6d019eb54").
void SnapshotHandler(tsdb::DB* db, const std::string& data_dir, const net::HttpRequest& req,
                     net::HttpResponse* resp) {
  const std::string_view skip = req.FormValue("skip_head");
  if (!skip.empty() && skip != "true" && skip != "false" && skip != "1" && skip != "0") {
    JsonError(resp, 400, "bad_data", "unable to parse boolean 'skip_head' argument");
    return;
  }
  const bool skip_head = skip == "true" || skip == "1";
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char ts[32];
  std::strftime(ts, sizeof ts, "%Y%m%dT%H%M%SZ", &tm);
  std::random_device rd;
  const std::string name = fmt::format("{}-{:016x}", ts, (uint64_t(rd()) << 32 | rd()) >> 1);
  const std::string dir = data_dir + "/snapshots/" + name;
  if (Status s = db->Snapshot(dir, !skip_head); !s.ok()) {
    JsonError(resp, 500, "internal", "create snapshot: " + s.ToString());
    return;
  }
  resp->content_type = "application/json";
  resp->body = R"({"status":"success","data":{"name":")" + name + R"("}})";
}

// POST|PUT /api/v1/admin/tsdb/delete_series?match[]=<selector>&start=<time>&end=<time>:
// Prometheus' deleteSeries. Absent start/end mean all time; every match[] is applied in turn.
// 204 No Content on success.
void DeleteSeriesHandler(tsdb::DB* db, api::QueryParser* parser, const net::HttpRequest& req,
                         net::HttpResponse* resp) {
  const std::vector<std::string_view> selectors = req.FormValues("match[]");
  if (selectors.empty()) {
    JsonError(resp, 400, "bad_data", "no match[] parameter provided");
    return;
  }
  int64_t t[2] = {api::kMinTimeMs, api::kMaxTimeMs};
  const char* names[2] = {"start", "end"};
  for (int i = 0; i < 2; ++i) {
    const std::string_view v = req.FormValue(names[i]);
    if (v.empty()) continue;
    Result<int64_t> ms = api::ParseTimeMs(v);
    if (!ms.has_value()) {
      api::WriteErrorResponse(
          api::ApiError::InvalidParam(names[i], fmt::format("invalid time value for '{}': {}",
                                                            names[i], ms.error().message())),
          resp);
      return;
    }
    t[i] = *ms;
  }
  for (std::string_view sel : selectors) {
    Result<std::vector<Matcher>> ms = parser->ParseMetricSelector(sel);
    if (!ms.has_value()) {
      api::WriteErrorResponse(api::ApiError::InvalidParam("match[]", ms.error().message()), resp);
      return;
    }
    if (Status s = db->Delete(t[0], t[1], *ms); !s.ok()) {
      JsonError(resp, 500, "internal", s.ToString());
      return;
    }
  }
  resp->status = 204;
  resp->body.clear();
}

// /api/v1/admin/tsdb/clean_tombstones: Prometheus' cleanTombstones (204).
void CleanTombstonesHandler(tsdb::DB* db, net::HttpResponse* resp) {
  if (Result<int> n = db->CleanTombstones(); !n.has_value()) {
    JsonError(resp, 500, "internal", n.error().ToString());
    return;
  }
  resp->status = 204;
  resp->body.clear();
}

}  // namespace

class Server::Impl {
 public:
  explicit Impl(ServerOptions o) : options(std::move(o)) {}

  Status Start();
  Status Reload();
  void Stop();

  ServerOptions options;
  int64_t start_time_ns = NowNs();
  MetricsRegistry metrics;
  std::unique_ptr<tsdb::DB> db;
  tsdb::Head* head = nullptr;  // db's
  std::unique_ptr<scrape::Manager> scrape;
  std::unique_ptr<promql::Engine> engine;
  std::unique_ptr<EngineAdapter> engine_adapter;
  api::PromqlQueryParser parser_adapter{promql::parser::ParseOptions::AllEnabled()};
  std::unique_ptr<TargetsAdapter> targets_adapter;
  std::unique_ptr<MetadataAdapter> metadata_adapter;
  std::unique_ptr<TsdbStatusAdapter> tsdb_adapter;
  StatusAdapter status_adapter;
  std::unique_ptr<api::Api> api;
  std::unique_ptr<net::HttpServer> http;
  // Gives freed heap pages back to the kernel (base/memory.h; see Start()).
  std::unique_ptr<Periodic> release_memory;
  Counter memory_releases_total, memory_release_us;

  Mutex config_mu;
  std::string config_yaml VIGIL_GUARDED_BY(config_mu);
  bool last_reload_ok VIGIL_GUARDED_BY(config_mu) = false;
  int64_t last_reload_ns VIGIL_GUARDED_BY(config_mu) = 0;
  Counter reloads_total, reload_failures_total;
  bool stopped = false;
};

Status Server::Impl::Reload() {
  auto cfg = config::LoadFile(options.config_file);
  if (!cfg.has_value()) {
    reload_failures_total.Inc();
    MutexLock l(&config_mu);
    last_reload_ok = false;
    return cfg.error().WithPrefix("couldn't load configuration (--config.file=\"" +
                                  options.config_file + "\")");
  }
  auto jobs = cfg->GetScrapeConfigs();
  if (!jobs.has_value()) {
    reload_failures_total.Inc();
    MutexLock l(&config_mu);
    last_reload_ok = false;
    return jobs.error();
  }
  if (Status s = scrape->ApplyConfig(*jobs); !s.ok()) {
    reload_failures_total.Inc();
    MutexLock l(&config_mu);
    last_reload_ok = false;
    return s.WithPrefix("error applying scrape configuration");
  }
  reloads_total.Inc();
  MutexLock l(&config_mu);
  config_yaml = cfg->ToYAML();
  last_reload_ok = true;
  last_reload_ns = NowNs();
  VIGIL_LOG_INFO("main", "Completed loading of configuration file", "filename={}",
                 LogQuote(options.config_file));
  return Status::OK();
}

Status Server::Impl::Start() {
  // Validate the configuration before touching storage, so a typo fails fast.
  auto cfg = config::LoadFile(options.config_file);
  if (!cfg.has_value()) {
    return cfg.error().WithPrefix("error loading config from \"" + options.config_file + "\"");
  }

  tsdb::DBOptions dbo;
  dbo.dir = options.tsdb_path;
  dbo.head.max_series = options.max_series;
  dbo.head.wal_sync_on_commit = options.wal_sync_on_commit;
  dbo.block_range_ms = options.min_block_duration_ms;
  dbo.max_block_duration_ms = options.max_block_duration_ms;
  if (dbo.max_block_duration_ms == 0) {
    // Prometheus: 10% of the retention time, at most 31d (the DB raises it to the min).
    dbo.max_block_duration_ms = 31LL * 24 * 3600 * 1000;
    if (options.retention_ms > 0) {
      dbo.max_block_duration_ms = std::min(dbo.max_block_duration_ms, options.retention_ms / 10);
    }
  }
  dbo.retention_ms = options.retention_ms;
  dbo.retention_bytes = options.retention_bytes;
  // Every minute like Prometheus; a quarter block range for small test ranges.
  dbo.compact_interval_ms = std::clamp<int64_t>(options.min_block_duration_ms / 4, 1000, 60 * 1000);
  VIGIL_LOG_INFO("main", "Opening storage", "path={}", LogQuote(options.tsdb_path));
  auto d = tsdb::DB::Open(dbo);
  if (!d.has_value()) return d.error().WithPrefix("opening storage failed");
  db = std::move(*d);
  head = db->head();
  VIGIL_LOG_INFO("main", "TSDB started", "blocks={} series={} replay_ms={}", db->Blocks().size(),
                 head->NumSeries(), head->Counters().replay_duration_ms);

  scrape::ManagerOptions so;
  so.shard = options.shard;
  so.cache_labels = false;  // the head honours series refs; a dead ref is relabeled again
  scrape = std::make_unique<scrape::Manager>(db.get(), so);
  VIGIL_RETURN_IF_ERROR(scrape->Start());

  promql::EngineOptions eo;
  eo.lookback_delta_ms = options.lookback_delta_ms;
  eo.max_samples = options.query_max_samples;
  eo.timeout_ms = options.query_timeout_ms;
  for (const auto& f : options.features) {
    if (f == "promql-delayed-name-removal") eo.enable_delayed_name_removal = true;
  }
  engine = std::make_unique<promql::Engine>(eo);
  engine_adapter = std::make_unique<EngineAdapter>(engine.get(), options.query_max_concurrency);
  targets_adapter = std::make_unique<TargetsAdapter>(scrape.get());
  metadata_adapter = std::make_unique<MetadataAdapter>(scrape.get());
  tsdb_adapter = std::make_unique<TsdbStatusAdapter>(head);
  status_adapter.flags = options.flag_values;
  status_adapter.start_time_ns = start_time_ns;
  status_adapter.retention =
      options.retention_ms > 0 ? config::FormatDuration(options.retention_ms) : "";
  if (options.retention_bytes > 0) {
    if (!status_adapter.retention.empty()) status_adapter.retention += " or ";
    status_adapter.retention += std::to_string(options.retention_bytes) + "B";
  }
  status_adapter.config_yaml = [this] {
    MutexLock l(&config_mu);
    return config_yaml;
  };
  status_adapter.reload_success = [this] {
    MutexLock l(&config_mu);
    return last_reload_ok;
  };
  status_adapter.last_config_time_ns = [this] {
    MutexLock l(&config_mu);
    return last_reload_ns;
  };

  metrics.Register([this](std::vector<MetricFamily>* out) {
    ProcessMetrics(out, start_time_ns);
    HeadMetrics(head, out);
    DBMetrics(db.get(), out);
    MutexLock l(&config_mu);
    out->push_back(MetricFamily{
        "prometheus_config_last_reload_successful",
        "Whether the last configuration reload attempt was successful.",
        "gauge",
        {}}.Add(last_reload_ok ? 1 : 0));
    out->push_back(MetricFamily{
        "prometheus_config_last_reload_success_timestamp_seconds",
        "Timestamp of the last successful configuration reload.",
        "gauge",
        {}}.Add(double(last_reload_ns) / 1e9));
    out->push_back(MetricFamily{
        "vigil_memory_releases_total",
        "Times freed heap memory was given back to the kernel.",
        "counter",
        {}}.Add(double(memory_releases_total.Get())));
    out->push_back(MetricFamily{
        "vigil_memory_release_seconds_total",
        "Time spent giving freed heap memory back to the kernel.",
        "counter",
        {}}.Add(double(memory_release_us.Get()) / 1e6));
  });
  scrape->RegisterMetrics(&metrics);

  api::ApiOptions ao;
  ao.app_name = "Vigil Server";
  ao.query_timeout_ms = options.query_timeout_ms;
  ao.enable_lifecycle = options.enable_lifecycle;
  ao.enable_remote_write_receiver = options.enable_remote_write_receiver;
  ao.listen_address = options.listen_address;
  api::ApiDeps deps;
  deps.queryable = db.get();
  deps.engine = engine_adapter.get();
  deps.parser = &parser_adapter;
  deps.targets = targets_adapter.get();
  deps.metadata = metadata_adapter.get();
  deps.tsdb = tsdb_adapter.get();
  deps.status = &status_adapter;
  deps.appendable = db.get();
  deps.reload = [this] { return Reload(); };
  deps.metrics = [this] { return metrics.Render(); };
  api = std::make_unique<api::Api>(ao, deps);

  net::HttpServerOptions hopts;
  hopts.listen_address = options.listen_address;
  hopts.threads = options.http_threads;
  http = std::make_unique<net::HttpServer>(hopts);
  api->Register(http.get());
  http->Handle(
      "/api/v1/status/tsdb/blocks",
      [this](const net::HttpRequest&, net::HttpResponse* resp) { BlocksHandler(db.get(), resp); });
  // Admin endpoints: only with --web.enable-admin-api, only POST or PUT.
  auto admin = [this](const char* path,
                      std::function<void(const net::HttpRequest&, net::HttpResponse*)> handler) {
    http->Handle(path, [this, handler = std::move(handler)](const net::HttpRequest& req,
                                                            net::HttpResponse* resp) {
      if (!options.enable_admin_api) {
        JsonError(resp, 503, "unavailable", "admin APIs disabled");
      } else if (req.method != "POST" && req.method != "PUT") {
        JsonError(resp, 405, "bad_data", "method not allowed");
      } else {
        handler(req, resp);
      }
    });
  };
  admin("/api/v1/admin/tsdb/snapshot",
        [this](const net::HttpRequest& req, net::HttpResponse* resp) {
          SnapshotHandler(db.get(), options.tsdb_path, req, resp);
        });
  admin("/api/v1/admin/tsdb/delete_series",
        [this](const net::HttpRequest& req, net::HttpResponse* resp) {
          DeleteSeriesHandler(db.get(), &parser_adapter, req, resp);
        });
  admin("/api/v1/admin/tsdb/clean_tombstones",
        [this](const net::HttpRequest&, net::HttpResponse* resp) {
          CleanTombstonesHandler(db.get(), resp);
        });
  web::RegisterUi(http.get());  // "/" and client routes; /api/v1/ is longer, so it wins
  VIGIL_RETURN_IF_ERROR(http->Start());
  VIGIL_LOG_INFO("web", "Start listening for connections", "address={}", options.listen_address);

  VIGIL_RETURN_IF_ERROR(Reload());
  // Freed heap pages go back to the kernel every 30 s, and sooner while many series are
  // being created (a first scrape of a large fleet frees a lot of small temporaries).
  auto release = [this, last_ns = int64_t(0), last_series = uint64_t(0)]() mutable {
    int64_t now = NowNs();
    uint64_t series = head->NumSeries();
    if (now - last_ns < 30'000'000'000 && series < last_series + 50'000) return;
    double secs = ReleaseFreeMemory();
    memory_releases_total.Inc();
    memory_release_us.Inc(uint64_t(secs * 1e6));
    last_ns = now;
    last_series = series;
  };
  release();  // the replay's temporaries
  release_memory = std::make_unique<Periodic>(std::chrono::seconds(5), release);
  api->SetReady(api::ReadyState::kReady);
  VIGIL_LOG_INFO("main", "Server is ready to receive web requests.");
  return Status::OK();
}

void Server::Impl::Stop() {
  if (stopped) return;
  stopped = true;
  if (api) api->SetReady(api::ReadyState::kStopping);
  if (release_memory) release_memory->Stop();
  if (scrape) scrape->Stop();
  if (http) http->Stop();
  if (db) {
    if (Status s = db->Close(); !s.ok()) {
      VIGIL_LOG_ERROR("main", "Error closing storage", "err={}", LogQuote(s.ToString()));
    }
  }
}

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Server::~Server() { Stop(); }
Status Server::Start() { return impl_->Start(); }
Status Server::Reload() { return impl_->Reload(); }
void Server::Stop() {
  if (impl_) impl_->Stop();
}
uint16_t Server::port() const { return impl_->http ? impl_->http->port() : 0; }

}  // namespace vigil::cmd
