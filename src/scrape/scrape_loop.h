// ScrapeLoop: everything that happens to one target's scrape after the HTTP response is in
// (Prometheus' scrapeLoop.append/report): parse the body with textparse, map each series
// line through the ScrapeCache (a steady scrape does no label work), add target labels
// (honor_labels or exported_*), apply metric_relabel_configs, enforce the limits with
// Prometheus' error texts, append every sample, the staleness markers of series that
// disappeared and the synthetic series (up, scrape_duration_seconds, scrape_samples_scraped,
// scrape_samples_post_metric_relabeling, scrape_series_added) through ONE storage::Appender
// committed once, and record the target's health.
//
// A failed scrape (transport error, HTTP status, bad body, a limit) appends staleness
// markers for every series of the previous scrape and reports up=0 with the error; a
// removed target gets end-of-run markers (WriteStaleMarkers) from the Scraper.
//
// Thread-safety: Process/WriteStaleMarkers/ScrapeTimestamp are called by one thread at a
// time (the Scraper guarantees one scrape in flight per loop). metadata() and the target's
// status are safe from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/mutex.h"
#include "base/status.h"
#include "relabel/relabel.h"
#include "scrape/scrape_cache.h"
#include "scrape/target.h"
#include "storage/interface.h"
#include "textparse/parser.h"

namespace vigil::scrape {

// HTTP client settings of a scrape config that the Scraper applies to each request.
struct HttpOptions {
  std::string basic_auth_username, basic_auth_password;
  std::string authorization_type;  // e.g. "Bearer"; empty: no Authorization header
  std::string authorization_credentials;
  std::string ca_file, cert_file, key_file, server_name;
  bool insecure_skip_verify = false;
  bool follow_redirects = true;
  std::vector<std::pair<std::string, std::string>> headers;
  friend bool operator==(const HttpOptions&, const HttpOptions&) = default;
};

// Per-job options shared (immutable) by all loops of a pool.
struct LoopOptions {
  bool honor_labels = false;
  bool honor_timestamps = true;
  bool track_timestamps_staleness = false;
  uint64_t sample_limit = 0;
  uint64_t label_limit = 0;
  uint64_t label_name_length_limit = 0;
  uint64_t label_value_length_limit = 0;
  int64_t body_size_limit_bytes = 0;  // uncompressed; 0 = unlimited
  bool enable_compression = true;
  std::string accept_header;  // empty: textparse::DefaultAcceptHeader()
  std::optional<textparse::Format> fallback_format;
  bool extra_scrape_metrics = false;
  std::vector<relabel::Config> metric_relabel_configs;
  // Keep label sets in the scrape cache (needed by storages that do not honour SeriesRefs).
  bool cache_labels = true;
  HttpOptions http;
};

// Counters across all loops (self-monitoring, the prometheus_target_* family).
struct ScrapeStats {
  std::atomic<uint64_t> scrapes{0}, failed_scrapes{0}, samples_appended{0},
      exceeded_sample_limit{0}, exceeded_body_size_limit{0}, exceeded_label_limits{0},
      out_of_order{0}, duplicate_timestamp{0}, out_of_bounds{0}, series_limit{0}, cache_hits{0},
      cache_misses{0}, commit_errors{0};
};

// The outcome of the HTTP part of a scrape.
struct FetchResult {
  Status error;                   // transport or HTTP error, Prometheus' wording
  std::string_view content_type;  // response Content-Type
  std::string_view body;          // uncompressed body
};

// HELP/TYPE/UNIT of one metric family, as last scraped.
struct MetricMetadata {
  textparse::MetricType type = textparse::MetricType::kUnknown;
  std::string help, unit;
};

class ScrapeLoop {
 public:
  ScrapeLoop(std::shared_ptr<Target> target, std::shared_ptr<const LoopOptions> options,
             storage::Appendable* appendable, ScrapeStats* stats,
             const Clock* clock = RealClock::Default());
  ~ScrapeLoop();

  const std::shared_ptr<Target>& target() const { return target_; }
  const LoopOptions& options() const { return *options_; }

  // The timestamp of a scrape starting now: the wall clock, aligned to the previous
  // scrape's timestamp + interval when within 2 ms (Prometheus' AlignScrapeTimestamps).
  int64_t ScrapeTimestamp();

  // Handles one scrape that started at t_ms (see ScrapeTimestamp) and at monotonic time
  // start_ns (for scrape_duration_seconds, which includes the append like Prometheus).
  // Returns the error the target is now reported with (OK when up).
  Status Process(const FetchResult& fetch, int64_t t_ms, int64_t start_ns);

  // End-of-run staleness: StaleNaN at t_ms for every series of the last scrape and for the
  // report series. Does nothing if the loop never scraped.
  void WriteStaleMarkers(int64_t t_ms);

  // A pool-level error (target_limit) that replaces scraping until cleared (OK).
  void SetForcedError(Status s);
  Status forced_error() const;

  // Moves the scrape cache to a loop replacing this one (config reload), so that staleness
  // continues across the reload. invalidate: the label mapping changed (forget keys).
  std::unique_ptr<ScrapeCache> TakeCache();
  void AdoptCache(std::unique_ptr<ScrapeCache> cache, bool invalidate, int64_t last_t_ms);
  int64_t last_scrape_ms() const { return last_t_ms_; }

  // Metadata of the families seen in the last scrapes (copy).
  std::map<std::string, MetricMetadata, std::less<>> metadata() const;
  // Body size of the last scrape (a reserve hint for the next one).
  size_t last_body_bytes() const { return last_body_bytes_.load(std::memory_order_relaxed); }

 private:
  struct AppendCounts {
    uint64_t total = 0, added = 0, series_added = 0;
  };
  Status AppendBody(storage::Appender* app, std::string_view body, std::string_view content_type,
                    int64_t t, AppendCounts* counts);
  void AppendEmpty(storage::Appender* app, int64_t t);
  void AppendStale(storage::Appender* app, int64_t t);
  // Final label set of a series line on a cache miss; empty if dropped. Error for limits.
  Status MutateLabels(const textparse::Parser& p, Labels* out);
  void Report(storage::Appender* app, int64_t t, double duration_s, const AppendCounts& c,
              size_t body_bytes, const Status& err);
  void ReportStale(storage::Appender* app, int64_t t);
  void UpdateMetadata(const textparse::Parser& p, textparse::Entry e);
  void ExpireMetadata();

  std::shared_ptr<Target> target_;
  std::shared_ptr<const LoopOptions> options_;
  storage::Appendable* appendable_;
  ScrapeStats* stats_;
  const Clock* clock_;
  std::unique_ptr<ScrapeCache> cache_;

  // Report series: labels built once, refs cached.
  struct ReportSeries {
    Labels labels;
    storage::SeriesRef ref = 0;
  };
  std::vector<ReportSeries> report_;

  int64_t last_t_ms_ = 0;     // timestamp of the last scrape (0: never)
  int64_t aligned_t_ms_ = 0;  // Prometheus' alignedScrapeTime
  std::atomic<size_t> last_body_bytes_{0};

  mutable Mutex mu_;
  Status forced_error_ VIGIL_GUARDED_BY(mu_);

  // Metadata: written by the loop thread under mu_, read by others under mu_; the loop
  // thread reads without the lock (it is the only writer).
  struct MetaEntry {
    MetricMetadata meta;
    uint64_t last_iter = 0;
  };
  std::map<std::string, MetaEntry, std::less<>> metadata_;
  uint64_t meta_iter_ = 0;
  size_t meta_seen_ = 0;
};

}  // namespace vigil::scrape
