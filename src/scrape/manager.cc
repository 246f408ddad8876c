#include "scrape/manager.h"

#include <fmt/format.h>

#include "base/logging.h"

namespace vigil::scrape {

Manager::Manager(storage::Appendable* appendable, ManagerOptions options)
    : appendable_(appendable),
      options_(std::move(options)),
      scraper_(ScraperOptions{.workers = options_.workers,
                              .offset_seed = options_.offset_seed,
                              .max_pending_bodies = options_.max_pending_bodies}),
      discovery_([this](const std::string& job,
                        std::vector<TargetGroup> groups) { OnGroups(job, std::move(groups)); },
                 options_.discovery_poll_ms, options_.clock) {
  if (options_.shard.has_value()) {
    shard_rules_ = relabel::ShardRelabelConfigs(options_.shard->first, options_.shard->second);
  }
}

Manager::~Manager() { Stop(); }

Status Manager::Start() {
  if (started_) return Status::OK();
  VIGIL_RETURN_IF_ERROR(scraper_.Start());
  discovery_.Start();
  started_ = true;
  return Status::OK();
}

void Manager::Stop() {
  discovery_.Stop();
  {
    MutexLock l(&mu_);
    for (auto& [job, pool] : pools_) pool->Stop(/*stale_markers=*/false);
  }
  scraper_.Stop();
}

Status Manager::ApplyConfig(const config::Config& cfg) {
  VIGIL_ASSIGN_OR_RETURN(auto jobs, cfg.GetScrapeConfigs());
  return ApplyConfig(jobs);
}

std::string Manager::SdFingerprint(const config::ScrapeConfig& cfg) {
  std::string fp;
  for (const auto& s : cfg.sd.static_configs) {
    fp += "s[";
    for (const auto& t : s.targets) fp += t + ",";
    fp += s.labels.ToString() + "]";
  }
  for (const auto& f : cfg.sd.file_sd_configs) {
    fp += "f[";
    for (const auto& p : f.files) fp += p + ",";
    fp += std::to_string(f.refresh_interval_ms) + "]";
  }
  for (const auto& h : cfg.sd.http_sd_configs) {
    fp += "h[" + h.url + "," + std::to_string(h.refresh_interval_ms);
    if (h.http.authorization.has_value()) fp += "," + h.http.authorization->credentials;
    fp += "]";
  }
  return fp;
}

std::vector<std::unique_ptr<Discoverer>> Manager::MakeDiscoverers(const config::ScrapeConfig& cfg) {
  std::vector<std::unique_ptr<Discoverer>> out;
  if (!cfg.sd.static_configs.empty()) {
    std::vector<TargetGroup> groups;
    for (size_t i = 0; i < cfg.sd.static_configs.size(); ++i) {
      const auto& s = cfg.sd.static_configs[i];
      TargetGroup g;
      g.source = std::to_string(i);
      for (const auto& t : s.targets) g.targets.push_back(Labels{{kAddressLabel, t}});
      g.labels = s.labels;
      groups.push_back(std::move(g));
    }
    out.push_back(std::make_unique<StaticDiscoverer>(std::move(groups)));
  }
  for (const auto& f : cfg.sd.file_sd_configs) {
    out.push_back(std::make_unique<FileDiscoverer>(f.files, f.refresh_interval_ms));
  }
  for (const auto& h : cfg.sd.http_sd_configs) {
    HttpSdOptions o;
    o.url = h.url;
    o.refresh_interval_ms = h.refresh_interval_ms;
    o.timeout_ms = int(std::clamp<int64_t>(h.refresh_interval_ms, 1000, 30000));
    if (h.http.authorization.has_value() && !h.http.authorization->credentials.empty()) {
      std::string type = h.http.authorization->type.empty() ? "Bearer" : h.http.authorization->type;
      o.headers.emplace_back("Authorization", type + " " + h.http.authorization->credentials);
    }
    out.push_back(std::make_unique<HttpDiscoverer>(std::move(o)));
  }
  for (const auto& other : cfg.sd.other) {
    VIGIL_LOG_WARN("scrape", "service discovery kind not supported, ignored", "job={} kind={}",
                   LogQuote(cfg.job_name), LogQuote(other.kind));
  }
  return out;
}

Status Manager::ApplyConfig(const std::vector<config::ScrapeConfig>& jobs) {
  MutexLock apply(&apply_mu_);
  std::map<std::string, PoolConfig> compiled;
  std::map<std::string, const config::ScrapeConfig*> by_name;
  for (const auto& j : jobs) {
    auto pc = CompilePoolConfig(j, shard_rules_, options_.cache_labels);
    if (!pc.has_value()) return pc.error().WithPrefix("scrape job " + j.job_name);
    if (compiled.count(j.job_name)) {
      return Status::InvalidArgument("found multiple scrape configs with job name " +
                                     relabel::GoQuote(j.job_name));
    }
    compiled.emplace(j.job_name, std::move(*pc));
    by_name[j.job_name] = &j;
  }
  PoolContext ctx{appendable_, &scraper_, &stats_, options_.clock};
  std::vector<std::string> removed;
  std::vector<std::pair<std::string, std::string>> set_sd;  // job, fingerprint
  {
    MutexLock l(&mu_);
    for (auto it = pools_.begin(); it != pools_.end();) {
      if (compiled.count(it->first)) {
        ++it;
        continue;
      }
      it->second->Stop(/*stale_markers=*/true);
      removed.push_back(it->first);
      sd_fingerprints_.erase(it->first);
      it = pools_.erase(it);
    }
    for (auto& [name, pc] : compiled) {
      std::string sd = SdFingerprint(*by_name[name]);
      auto it = pools_.find(name);
      if (it == pools_.end()) {
        pools_[name] = std::make_shared<ScrapePool>(std::move(pc), ctx);
        set_sd.emplace_back(name, sd);
        continue;
      }
      if (it->second->config().fingerprint != pc.fingerprint) {
        VIGIL_LOG_INFO("scrape", "reloading scrape pool", "job={}", LogQuote(name));
        it->second->Reload(std::move(pc));
      }
      if (sd_fingerprints_[name] != sd) set_sd.emplace_back(name, sd);
    }
    for (const auto& [name, sd] : set_sd) sd_fingerprints_[name] = sd;
  }
  // Outside mu_: SetJob runs the callback (OnGroups takes mu_).
  for (const auto& job : removed) discovery_.RemoveJob(job);
  for (const auto& [name, sd] : set_sd) {
    discovery_.SetJob(name, MakeDiscoverers(*by_name[name]));
  }
  return Status::OK();
}

void Manager::OnGroups(const std::string& job, std::vector<TargetGroup> groups) {
  std::shared_ptr<ScrapePool> pool;
  {
    MutexLock l(&mu_);
    auto it = pools_.find(job);
    if (it == pools_.end()) return;
    pool = it->second;
  }
  pool->Sync(std::move(groups));
}

std::vector<std::string> Manager::ScrapePools() const {
  MutexLock l(&mu_);
  std::vector<std::string> out;
  for (const auto& [name, p] : pools_) out.push_back(name);
  return out;
}

std::map<std::string, std::vector<std::shared_ptr<Target>>> Manager::TargetsActive() const {
  MutexLock l(&mu_);
  std::map<std::string, std::vector<std::shared_ptr<Target>>> out;
  for (const auto& [name, p] : pools_) out[name] = p->ActiveTargets();
  return out;
}

std::map<std::string, std::vector<DroppedTarget>> Manager::TargetsDropped() const {
  MutexLock l(&mu_);
  std::map<std::string, std::vector<DroppedTarget>> out;
  for (const auto& [name, p] : pools_) out[name] = p->DroppedTargets();
  return out;
}

std::map<std::string, size_t> Manager::DroppedCounts() const {
  MutexLock l(&mu_);
  std::map<std::string, size_t> out;
  for (const auto& [name, p] : pools_) out[name] = p->dropped_count();
  return out;
}

std::vector<std::shared_ptr<ScrapeLoop>> Manager::Loops(const std::string& job) const {
  auto p = Pool(job);
  return p ? p->Loops() : std::vector<std::shared_ptr<ScrapeLoop>>{};
}

std::shared_ptr<ScrapePool> Manager::Pool(const std::string& job) const {
  MutexLock l(&mu_);
  auto it = pools_.find(job);
  return it == pools_.end() ? nullptr : it->second;
}

void Manager::RefreshDiscovery() { discovery_.RefreshNow(); }

void Manager::ScrapeAllNow() {
  std::vector<std::shared_ptr<ScrapePool>> pools;
  {
    MutexLock l(&mu_);
    for (const auto& [n, p] : pools_) pools.push_back(p);
  }
  for (const auto& p : pools) {
    for (const auto& loop : p->Loops()) scraper_.ScrapeNow(loop);
  }
}

void Manager::RegisterMetrics(MetricsRegistry* registry) {
  registry->Register([this](std::vector<MetricFamily>* out) {
    const ScrapeStats& s = stats_;
    auto counter = [&](const char* name, const char* help, uint64_t v) {
      MetricFamily f{name, help, "counter", {}};
      f.Add(double(v));
      out->push_back(std::move(f));
    };
    counter("prometheus_target_scrapes_exceeded_sample_limit_total",
            "Total number of scrapes that hit the sample limit and were rejected.",
            s.exceeded_sample_limit.load());
    counter("prometheus_target_scrapes_exceeded_body_size_limit_total",
            "Total number of scrapes that hit the body size limit.",
            s.exceeded_body_size_limit.load());
    counter("prometheus_target_scrape_pool_exceeded_label_limits_total",
            "Total number of times scrape pools hit the label limits.",
            s.exceeded_label_limits.load());
    counter("prometheus_target_scrapes_sample_out_of_order_total",
            "Total number of samples rejected due to not being out of the expected order.",
            s.out_of_order.load());
    counter("prometheus_target_scrapes_sample_duplicate_timestamp_total",
            "Total number of samples rejected due to duplicate timestamps but different values.",
            s.duplicate_timestamp.load());
    counter("prometheus_target_scrapes_sample_out_of_bounds_total",
            "Total number of samples rejected due to timestamp falling outside of the time bounds.",
            s.out_of_bounds.load());
    counter("vigil_scrape_scrapes_total", "Scrapes run.", s.scrapes.load());
    counter("vigil_scrape_failed_scrapes_total", "Scrapes that failed.", s.failed_scrapes.load());
    counter("vigil_scrape_samples_appended_total", "Samples appended by scrapes.",
            s.samples_appended.load());
    counter("vigil_scrape_cache_hits_total", "Series lines found in the scrape cache.",
            s.cache_hits.load());
    counter("vigil_scrape_cache_misses_total", "Series lines not in the scrape cache.",
            s.cache_misses.load());
    ScraperStats ss = scraper_.stats();
    counter("vigil_scrape_skipped_ticks_total",
            "Scrape ticks skipped because the previous scrape of the target still ran.",
            ss.skipped_ticks);
    counter("vigil_scrape_deferred_ticks_total",
            "Scrapes that waited because parsing and appending fell behind (back-pressure).",
            ss.deferred_ticks);
    MetricFamily targets{
        "prometheus_sd_discovered_targets", "Current number of discovered targets.", "gauge", {}};
    for (const auto& [job, ts] : TargetsActive()) {
      targets.Add(double(ts.size()), {{"config", job}, {"name", "scrape"}});
    }
    out->push_back(std::move(targets));
  });
}

}  // namespace vigil::scrape
