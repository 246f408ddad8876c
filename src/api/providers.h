// The narrow interfaces through which the HTTP API sees the rest of the server: targets
// (scrape), metric metadata, TSDB statistics, and the status pages' config/flags/build and
// runtime information. cmd/ implements them over the real components; tests use fakes.
// The structs mirror the JSON Prometheus' /api/v1 returns (field names in comments).
//
// Thread-safety: implementations must be thread-safe; handlers call them concurrently.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "model/labels.h"

namespace vigil::api {

enum class TargetHealth { kUnknown, kUp, kDown };

// "unknown", "up", "down".
std::string_view TargetHealthName(TargetHealth h);

struct ActiveTarget {
  Labels discovered_labels;  // discoveredLabels: before relabelling
  Labels labels;             // labels: after relabelling
  std::string scrape_pool;   // scrapePool
  std::string scrape_url;    // scrapeUrl
  // globalUrl; empty: derived from scrape_url and ApiOptions' external URL as Prometheus does.
  std::string global_url;
  std::string last_error;             // lastError ("" when none)
  int64_t last_scrape_ns = 0;         // lastScrape, Unix ns; 0 = never
  double last_scrape_duration_s = 0;  // lastScrapeDuration
  TargetHealth health = TargetHealth::kUnknown;
  std::string scrape_interval;  // scrapeInterval, e.g. "15s"
  std::string scrape_timeout;   // scrapeTimeout
};

struct DroppedTarget {
  Labels discovered_labels;
  std::string scrape_pool;
};

class TargetsRetriever {
 public:
  virtual ~TargetsRetriever() = default;
  // Targets in any pool order; within a pool, in the order to show them.
  virtual std::vector<ActiveTarget> ActiveTargets() = 0;
  virtual std::vector<DroppedTarget> DroppedTargets() = 0;
  // Dropped targets per pool (also those not kept in DroppedTargets()).
  virtual std::map<std::string, int64_t> DroppedTargetCounts() = 0;
};

struct MetricMetadata {
  std::string metric_family;
  std::string type;  // "counter", "gauge", "histogram", "summary", "unknown", ...
  std::string help;
  std::string unit;
};

class MetadataProvider {
 public:
  virtual ~MetadataProvider() = default;
  // Metadata of all active targets (metric == "") or of one metric family, one entry per
  // target that has it (duplicates allowed; the API deduplicates).
  virtual std::vector<MetricMetadata> Metadata(std::string_view metric) = 0;
};

struct TsdbStat {
  std::string name;
  uint64_t value = 0;
};

// /api/v1/status/tsdb.
struct TsdbStatus {
  uint64_t num_series = 0;      // headStats.numSeries
  int64_t num_label_pairs = 0;  // headStats.numLabelPairs
  int64_t chunk_count = 0;      // headStats.chunkCount
  int64_t min_time = 0;         // headStats.minTime (ms)
  int64_t max_time = 0;         // headStats.maxTime (ms)
  std::vector<TsdbStat> series_count_by_metric_name;
  std::vector<TsdbStat> label_value_count_by_label_name;
  std::vector<TsdbStat> memory_in_bytes_by_label_name;
  std::vector<TsdbStat> series_count_by_label_value_pair;
};

class TsdbStatusProvider {
 public:
  virtual ~TsdbStatusProvider() = default;
  // Head cardinality statistics, each list cut to the top `limit` entries.
  // Errors are reported as errorType internal.
  virtual Result<TsdbStatus> Stats(size_t limit) = 0;
};

// /api/v1/status/buildinfo.
struct BuildInfo {
  std::string version;
  std::string revision;
  std::string branch;
  std::string build_user;
  std::string build_date;
  std::string go_version;  // goVersion: Vigil reports its compiler here
};

// /api/v1/status/runtimeinfo.
struct RuntimeInfo {
  int64_t start_time_ns = 0;  // startTime
  std::string cwd;            // CWD
  std::string hostname;
  int64_t server_time_ns = 0;  // serverTime
  bool reload_config_success = false;
  int64_t last_config_time_ns = 0;
  int64_t corruption_count = 0;
  int64_t goroutine_count = 0;  // threads
  int64_t gomaxprocs = 0;       // GOMAXPROCS: usable cores
  int64_t gomemlimit = 0;       // GOMEMLIMIT: memory limit in bytes
  std::string gogc;
  std::string godebug;
  std::string storage_retention;  // e.g. "15d"
};

class StatusProvider {
 public:
  virtual ~StatusProvider() = default;
  // The loaded configuration as YAML (/api/v1/status/config).
  virtual std::string ConfigYaml() = 0;
  // Command-line flags and their values, without the leading "--" (/api/v1/status/flags).
  virtual std::vector<std::pair<std::string, std::string>> Flags() = 0;
  virtual BuildInfo GetBuildInfo() = 0;
  // Errors are reported as errorType internal.
  virtual Result<RuntimeInfo> GetRuntimeInfo() = 0;
};

}  // namespace vigil::api
