// ScrapePool: the targets of one scrape job and their loops. Sync() turns the job's current
// target groups into targets (PopulateLabels + relabel_configs + the shard filter) and
// starts loops for new targets and stops (with end-of-run staleness markers) the loops of
// targets that went away; targets are identified by label set + URL, so an unchanged target
// keeps its loop. Reload() applies a changed scrape_config: kept targets get a new loop with
// the new options that inherits the old loop's scrape cache (staleness continues across the
// reload; keys are invalidated when the label mapping changed). target_limit: above it every
// loop of the pool reports Prometheus' error instead of scraping.
//
// PoolConfig is the compiled form of a config::ScrapeConfig (CompilePoolConfig).
//
// Thread-safety: all methods are thread-safe.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "base/mutex.h"
#include "base/result.h"
#include "config/config.h"
#include "scrape/scrape_loop.h"
#include "scrape/scraper.h"
#include "scrape/target.h"
#include "storage/interface.h"

namespace vigil::scrape {

struct PoolConfig {
  std::string job_name;
  TargetDefaults defaults;
  std::vector<relabel::Config> relabel_configs;  // the job's, plus the shard filter
  std::shared_ptr<const LoopOptions> loop;
  uint64_t target_limit = 0;
  size_t keep_dropped_targets = 0;
  // Everything that matters (a changed fingerprint means Reload), and the part that changes
  // the final labels of a scraped line (then scrape caches forget their keys).
  std::string fingerprint, label_fingerprint;
};

// Compiles a scrape config. `extra_relabel` (e.g. the --shard rules) runs after the job's
// relabel_configs. Errors: InvalidArgument (unreadable secret files, bad protocols).
Result<PoolConfig> CompilePoolConfig(const config::ScrapeConfig& cfg,
                                     std::span<const relabel::Config> extra_relabel,
                                     bool cache_labels);

struct PoolContext {
  storage::Appendable* appendable = nullptr;
  Scraper* scraper = nullptr;
  ScrapeStats* stats = nullptr;
  const Clock* clock = RealClock::Default();
};

class ScrapePool : public std::enable_shared_from_this<ScrapePool> {
 public:
  ScrapePool(PoolConfig cfg, PoolContext ctx);

  // Replaces the job's target groups.
  void Sync(std::vector<TargetGroup> groups);
  // Applies a new config of the same job (see above).
  void Reload(PoolConfig cfg);
  // Stops every loop; with stale_markers the series get end-of-run staleness markers.
  void Stop(bool stale_markers);

  const std::string& job_name() const { return job_name_; }
  std::vector<std::shared_ptr<Target>> ActiveTargets() const;
  std::vector<DroppedTarget> DroppedTargets() const;
  size_t dropped_count() const;
  std::vector<std::shared_ptr<ScrapeLoop>> Loops() const;
  PoolConfig config() const;

 private:
  void RebuildLocked() VIGIL_REQUIRES(mu_);

  const std::string job_name_;
  PoolContext ctx_;
  mutable Mutex mu_;
  PoolConfig cfg_ VIGIL_GUARDED_BY(mu_);
  std::vector<TargetGroup> groups_ VIGIL_GUARDED_BY(mu_);
  std::unordered_map<uint64_t, std::shared_ptr<ScrapeLoop>> loops_ VIGIL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<Target>> order_ VIGIL_GUARDED_BY(mu_);  // active, discovery order
  std::vector<DroppedTarget> dropped_ VIGIL_GUARDED_BY(mu_);
  size_t dropped_count_ VIGIL_GUARDED_BY(mu_) = 0;
  bool stopped_ VIGIL_GUARDED_BY(mu_) = false;
};

}  // namespace vigil::scrape
