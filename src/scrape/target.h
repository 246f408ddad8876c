// Target: one scrape target of a scrape pool (a URL plus its label set), TargetGroup (what
// service discovery produces), and Prometheus' target label logic that turns one into the
// other (PopulateLabels: defaults for job, __scheme__, __metrics_path__, __scrape_interval__,
// __scrape_timeout__, __param_*; relabel_configs; __meta_* dropped; instance defaulting to
// __address__).
//
// A Target's labels are immutable; its health (last scrape, last error, duration) is updated
// by its scrape loop and read by the API under a mutex. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/mutex.h"
#include "base/status.h"
#include "model/labels.h"
#include "relabel/relabel.h"

namespace vigil::scrape {

inline constexpr std::string_view kAddressLabel = "__address__";
inline constexpr std::string_view kSchemeLabel = "__scheme__";
inline constexpr std::string_view kMetricsPathLabel = "__metrics_path__";
inline constexpr std::string_view kScrapeIntervalLabel = "__scrape_interval__";
inline constexpr std::string_view kScrapeTimeoutLabel = "__scrape_timeout__";
inline constexpr std::string_view kParamLabelPrefix = "__param_";
inline constexpr std::string_view kMetaLabelPrefix = "__meta_";
inline constexpr std::string_view kReservedLabelPrefix = "__";
inline constexpr std::string_view kJobLabel = "job";
inline constexpr std::string_view kInstanceLabel = "instance";

// A group of targets from one source (a static_configs entry, one group of a file, one
// group of an http_sd answer). `source` identifies the group within its provider so that an
// update replaces the previous version of the same group.
struct TargetGroup {
  std::string source;
  std::vector<Labels> targets;  // each holds at least __address__
  Labels labels;                // common to all targets of the group
  friend bool operator==(const TargetGroup&, const TargetGroup&) = default;
};

// What PopulateLabels needs from the scrape config.
struct TargetDefaults {
  std::string job_name;
  int64_t scrape_interval_ms = 60000;
  int64_t scrape_timeout_ms = 10000;
  std::string metrics_path = "/metrics";
  std::string scheme = "http";
  std::map<std::string, std::vector<std::string>> params;
};

struct PopulateResult {
  Labels labels;      // final labels; empty when dropped or on error
  Labels discovered;  // labels before relabeling; empty on error
  Status error;       // why the target is invalid (then both are empty)
};

// Prometheus' PopulateLabels: target labels `target` merged over group labels `group`, the
// scrape defaults added where unset, relabel_configs applied, then validation (address,
// interval, timeout) and cleanup. Dropped by relabeling: labels empty, discovered set.
PopulateResult PopulateLabels(const Labels& target, const Labels& group,
                              const TargetDefaults& defaults,
                              std::span<const relabel::Config> relabel_configs);

enum class TargetHealth { kUnknown, kUp, kDown };
// "unknown", "up", "down" (the API's spelling).
std::string_view TargetHealthName(TargetHealth h);

struct TargetStatus {
  TargetHealth health = TargetHealth::kUnknown;
  std::string last_error;
  int64_t last_scrape_ms = 0;  // start of the last scrape (Unix ms); 0 = never
  double last_scrape_duration_s = 0;
  uint64_t last_samples = 0;  // samples scraped in the last scrape
};

class Target {
 public:
  Target(Labels labels, Labels discovered, std::map<std::string, std::vector<std::string>> params);

  // Final labels including the reserved ones (__address__, __scheme__, ...).
  const Labels& labels() const { return labels_; }
  // Labels as discovered, before relabeling (for /api/v1/targets).
  const Labels& discovered_labels() const { return discovered_; }
  // The labels without the reserved "__" ones: what samples get.
  const std::vector<std::pair<std::string, std::string>>& public_labels() const { return public_; }
  Labels PublicLabels() const;
  // scheme://address/path?params, params from the config overridden by __param_* labels.
  const std::string& url() const { return url_; }
  const std::string& address() const { return address_; }
  int64_t interval_ms() const { return interval_ms_; }
  int64_t timeout_ms() const { return timeout_ms_; }
  // Identity within a pool: label set + URL (FNV-1a over both, as Prometheus' Target.hash).
  uint64_t hash() const { return hash_; }

  TargetStatus status() const;
  void SetStatus(TargetStatus s);

 private:
  Labels labels_, discovered_;
  std::vector<std::pair<std::string, std::string>> public_;
  std::string url_, address_;
  int64_t interval_ms_ = 0, timeout_ms_ = 0;
  uint64_t hash_ = 0;
  mutable Mutex mu_;
  TargetStatus status_ VIGIL_GUARDED_BY(mu_);
};

// A target that service discovery found but relabeling dropped (kept for /api/v1/targets).
struct DroppedTarget {
  Labels discovered;
};

// Turns groups into targets. `active`: targets to scrape (deduplicated by hash), `dropped`:
// dropped by relabeling (at most `keep_dropped` of them if > 0), `errors`: invalid targets.
void TargetsFromGroups(std::span<const TargetGroup> groups, const TargetDefaults& defaults,
                       std::span<const relabel::Config> relabel_configs, size_t keep_dropped,
                       std::vector<std::shared_ptr<Target>>* active,
                       std::vector<DroppedTarget>* dropped, std::vector<Status>* errors);

// url.Values.Encode(): keys sorted, values in order, query-escaped ("a b" -> "a+b").
std::string EncodeQuery(const std::map<std::string, std::vector<std::string>>& params);

}  // namespace vigil::scrape
