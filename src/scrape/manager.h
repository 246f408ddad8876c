// Manager: the scrape side of `vigil server` — one ScrapePool per scrape job, fed by the
// DiscoveryManager (static_configs, file_sd, http_sd), all loops run by one Scraper (libcurl
// multi I/O thread + workers), appending through a storage::Appendable.
//
// ApplyConfig() is the reload: unchanged jobs keep running untouched, changed jobs are
// reloaded (their loops keep their scrape caches), new jobs start, removed jobs stop with
// staleness markers. `--shard=I/N` is applied as Prometheus' sharding recipe (hashmod of
// __address__ into a temporary label, keep I) after every job's relabel_configs, so exactly
// one of N servers scrapes each target; sharded-out targets show as dropped.
//
// Thread-safety: all methods are thread-safe; Start/Stop from one thread.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/metrics.h"
#include "base/mutex.h"
#include "base/status.h"
#include "config/config.h"
#include "scrape/discovery.h"
#include "scrape/scrape_pool.h"
#include "scrape/scraper.h"
#include "storage/interface.h"

namespace vigil::scrape {

struct ManagerOptions {
  int workers = 2;                                     // parse/append threads
  size_t max_pending_bodies = 8;                       // see ScraperOptions
  std::optional<std::pair<uint64_t, uint64_t>> shard;  // --shard=I/N
  uint64_t offset_seed = 0;                            // spreads offsets per server
  bool cache_labels = true;                            // see LoopOptions::cache_labels
  int64_t discovery_poll_ms = 1000;                    // file_sd change polling
  const Clock* clock = RealClock::Default();
};

class Manager {
 public:
  Manager(storage::Appendable* appendable, ManagerOptions options = {});
  ~Manager();
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  // Starts the scraper and discovery threads.
  Status Start();
  // Applies the scrape configs (already defaulted/validated by config::Load). Nothing is
  // applied if any job fails to compile (InvalidArgument).
  Status ApplyConfig(const std::vector<config::ScrapeConfig>& jobs);
  Status ApplyConfig(const config::Config& cfg);
  // Stops scraping (no staleness markers: a restart continues the series). Idempotent.
  void Stop();

  // For /api/v1/scrape_pools, /api/v1/targets, /api/v1/targets/metadata.
  std::vector<std::string> ScrapePools() const;
  std::map<std::string, std::vector<std::shared_ptr<Target>>> TargetsActive() const;
  std::map<std::string, std::vector<DroppedTarget>> TargetsDropped() const;
  std::map<std::string, size_t> DroppedCounts() const;
  std::vector<std::shared_ptr<ScrapeLoop>> Loops(const std::string& job) const;
  std::shared_ptr<ScrapePool> Pool(const std::string& job) const;

  // Re-runs discovery now (tests) and scrapes every loop once as soon as possible.
  void RefreshDiscovery();
  void ScrapeAllNow();

  const ScrapeStats& stats() const { return stats_; }
  ScraperStats scraper_stats() const { return scraper_.stats(); }
  // Adds the prometheus_target_* / prometheus_sd_* self-monitoring families.
  void RegisterMetrics(MetricsRegistry* registry);

 private:
  void OnGroups(const std::string& job, std::vector<TargetGroup> groups);
  static std::string SdFingerprint(const config::ScrapeConfig& cfg);
  std::vector<std::unique_ptr<Discoverer>> MakeDiscoverers(const config::ScrapeConfig& cfg);

  storage::Appendable* appendable_;
  ManagerOptions options_;
  ScrapeStats stats_;
  Scraper scraper_;
  DiscoveryManager discovery_;
  std::vector<relabel::Config> shard_rules_;

  Mutex apply_mu_;  // serialises ApplyConfig
  mutable Mutex mu_;
  std::map<std::string, std::shared_ptr<ScrapePool>> pools_ VIGIL_GUARDED_BY(mu_);
  std::map<std::string, std::string> sd_fingerprints_ VIGIL_GUARDED_BY(mu_);
  bool started_ = false;
};

}  // namespace vigil::scrape
