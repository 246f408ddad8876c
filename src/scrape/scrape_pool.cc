#include "scrape/scrape_pool.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>
#include <unordered_set>

#include "base/logging.h"
#include "textparse/content_type.h"

namespace vigil::scrape {
namespace {

Result<std::string> ReadSecretFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument("unable to read file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  size_t b = s.find_first_not_of(" \t\r\n");
  size_t e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

void AppendRelabel(std::string* out, std::span<const relabel::Config> rules) {
  for (const auto& r : rules) {
    *out += "[";
    for (const auto& s : r.source_labels) *out += s + "\x1f";
    *out += "|" + r.separator + "|" + r.regex.pattern() + "|" + std::to_string(r.modulus) + "|" +
            r.target_label + "|" + r.replacement + "|" +
            std::string(relabel::ActionName(r.action)) + "]";
  }
}

}  // namespace

Result<PoolConfig> CompilePoolConfig(const config::ScrapeConfig& cfg,
                                     std::span<const relabel::Config> extra_relabel,
                                     bool cache_labels) {
  PoolConfig pc;
  pc.job_name = cfg.job_name;
  pc.defaults.job_name = cfg.job_name;
  pc.defaults.scrape_interval_ms = cfg.scrape_interval_ms;
  pc.defaults.scrape_timeout_ms = cfg.scrape_timeout_ms;
  pc.defaults.metrics_path = cfg.metrics_path;
  pc.defaults.scheme = cfg.scheme;
  pc.defaults.params = cfg.params;
  pc.relabel_configs = cfg.relabel_configs;
  pc.relabel_configs.insert(pc.relabel_configs.end(), extra_relabel.begin(), extra_relabel.end());
  pc.target_limit = cfg.target_limit;
  pc.keep_dropped_targets = size_t(cfg.keep_dropped_targets);

  auto o = std::make_shared<LoopOptions>();
  o->honor_labels = cfg.honor_labels;
  o->honor_timestamps = cfg.honor_timestamps;
  o->track_timestamps_staleness = cfg.track_timestamps_staleness;
  o->sample_limit = cfg.sample_limit;
  o->label_limit = cfg.label_limit;
  o->label_name_length_limit = cfg.label_name_length_limit;
  o->label_value_length_limit = cfg.label_value_length_limit;
  o->body_size_limit_bytes = cfg.body_size_limit_bytes;
  o->enable_compression = cfg.enable_compression;
  o->extra_scrape_metrics = cfg.extra_scrape_metrics;
  o->metric_relabel_configs = cfg.metric_relabel_configs;
  o->cache_labels = cache_labels;
  std::vector<textparse::ScrapeProtocol> protocols;
  for (const auto& name : cfg.scrape_protocols) {
    auto p = textparse::ParseScrapeProtocol(name);
    if (!p.has_value()) {
      VIGIL_LOG_WARN("scrape", "scrape protocol not supported, skipped", "job={} protocol={}",
                     LogQuote(cfg.job_name), LogQuote(name));
      continue;
    }
    protocols.push_back(*p);
  }
  std::string escaping =
      cfg.metric_name_escaping_scheme.empty() ? "allow-utf-8" : cfg.metric_name_escaping_scheme;
  o->accept_header = protocols.empty()
                         ? textparse::AcceptHeader(textparse::kDefaultScrapeProtocols, escaping)
                         : textparse::AcceptHeader(protocols, escaping);
  if (!cfg.fallback_scrape_protocol.empty()) {
    auto p = textparse::ParseScrapeProtocol(cfg.fallback_scrape_protocol);
    if (!p.has_value()) return p.error().WithPrefix("fallback_scrape_protocol");
    o->fallback_format = textparse::ScrapeProtocolFormat(*p);
  }
  const config::HTTPClientConfig& h = cfg.http;
  if (h.basic_auth.has_value()) {
    o->http.basic_auth_username = h.basic_auth->username;
    o->http.basic_auth_password = h.basic_auth->password;
    if (!h.basic_auth->username_file.empty()) {
      VIGIL_ASSIGN_OR_RETURN(o->http.basic_auth_username,
                             ReadSecretFile(h.basic_auth->username_file));
    }
    if (!h.basic_auth->password_file.empty()) {
      VIGIL_ASSIGN_OR_RETURN(o->http.basic_auth_password,
                             ReadSecretFile(h.basic_auth->password_file));
    }
  }
  if (h.authorization.has_value()) {
    o->http.authorization_type =
        h.authorization->type.empty() ? std::string("Bearer") : h.authorization->type;
    o->http.authorization_credentials = h.authorization->credentials;
    if (!h.authorization->credentials_file.empty()) {
      VIGIL_ASSIGN_OR_RETURN(o->http.authorization_credentials,
                             ReadSecretFile(h.authorization->credentials_file));
    }
  }
  o->http.ca_file = h.tls_config.ca_file;
  o->http.cert_file = h.tls_config.cert_file;
  o->http.key_file = h.tls_config.key_file;
  o->http.server_name = h.tls_config.server_name;
  o->http.insecure_skip_verify = h.tls_config.insecure_skip_verify;
  o->http.follow_redirects = h.follow_redirects;
  for (const auto& [name, header] : h.http_headers) {
    for (const auto& v : header.values) o->http.headers.emplace_back(name, v);
    for (const auto& v : header.secrets) o->http.headers.emplace_back(name, v);
  }

  // Fingerprints.
  std::string lf = fmt::format("honor_labels={};", cfg.honor_labels);
  AppendRelabel(&lf, o->metric_relabel_configs);
  std::string fp = lf;
  fp += fmt::format("|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|", cfg.job_name,
                    cfg.scrape_interval_ms, cfg.scrape_timeout_ms, cfg.metrics_path, cfg.scheme,
                    cfg.honor_timestamps, cfg.track_timestamps_staleness, cfg.sample_limit,
                    cfg.label_limit, cfg.label_name_length_limit, cfg.label_value_length_limit,
                    cfg.body_size_limit_bytes, cfg.enable_compression, cfg.extra_scrape_metrics,
                    cfg.target_limit, cfg.keep_dropped_targets, o->accept_header,
                    cfg.fallback_scrape_protocol,
                    o->http.basic_auth_username + ":" + o->http.basic_auth_password,
                    o->http.authorization_type + " " + o->http.authorization_credentials);
  fp += o->http.ca_file + "|" + o->http.cert_file + "|" + o->http.key_file + "|" +
        o->http.server_name + "|" + (o->http.insecure_skip_verify ? "1" : "0") +
        (o->http.follow_redirects ? "1" : "0");
  for (const auto& [k, v] : o->http.headers) fp += "|" + k + "=" + v;
  for (const auto& [k, vs] : cfg.params) {
    fp += "|p:" + k;
    for (const auto& v : vs) fp += "=" + v;
  }
  AppendRelabel(&fp, pc.relabel_configs);
  pc.fingerprint = std::move(fp);
  pc.label_fingerprint = std::move(lf);
  pc.loop = std::move(o);
  return pc;
}

ScrapePool::ScrapePool(PoolConfig cfg, PoolContext ctx)
    : job_name_(cfg.job_name), ctx_(ctx), cfg_(std::move(cfg)) {}

void ScrapePool::Sync(std::vector<TargetGroup> groups) {
  MutexLock l(&mu_);
  if (stopped_) return;
  groups_ = std::move(groups);
  RebuildLocked();
}

void ScrapePool::RebuildLocked() {
  std::vector<std::shared_ptr<Target>> active;
  std::vector<DroppedTarget> dropped;
  std::vector<Status> errors;
  TargetsFromGroups(groups_, cfg_.defaults, cfg_.relabel_configs, 0, &active, &dropped, &errors);
  for (const auto& e : errors) {
    VIGIL_LOG_WARN("scrape", "invalid target", "job={} err={}", LogQuote(job_name_),
                   LogQuote(e.ToString()));
  }
  dropped_count_ = dropped.size();
  if (cfg_.keep_dropped_targets > 0 && dropped.size() > cfg_.keep_dropped_targets) {
    dropped.resize(cfg_.keep_dropped_targets);
  }
  dropped_ = std::move(dropped);

  Status forced;
  if (cfg_.target_limit > 0 && active.size() > cfg_.target_limit) {
    forced = Status::ResourceExhausted(
        fmt::format("target_limit exceeded (number of targets: {}, limit: {})", active.size(),
                    cfg_.target_limit));
  }
  std::unordered_map<uint64_t, std::shared_ptr<ScrapeLoop>> next;
  std::vector<std::shared_ptr<Target>> order;
  for (auto& t : active) {
    auto it = loops_.find(t->hash());
    if (it != loops_.end()) {
      order.push_back(it->second->target());
      next.emplace(t->hash(), it->second);
      loops_.erase(it);
      continue;
    }
    auto loop = std::make_shared<ScrapeLoop>(t, cfg_.loop, ctx_.appendable, ctx_.stats, ctx_.clock);
    loop->SetForcedError(forced);
    ctx_.scraper->Add(loop);
    order.push_back(t);
    next.emplace(t->hash(), std::move(loop));
  }
  // Targets that went away: end-of-run staleness.
  for (auto& [h, loop] : loops_) ctx_.scraper->Remove(loop, /*stale_markers=*/true);
  loops_ = std::move(next);
  order_ = std::move(order);
  for (auto& [h, loop] : loops_) loop->SetForcedError(forced);
}

void ScrapePool::Reload(PoolConfig cfg) {
  MutexLock l(&mu_);
  if (stopped_) return;
  bool invalidate = cfg.label_fingerprint != cfg_.label_fingerprint;
  cfg_ = std::move(cfg);
  // Kept targets get a loop with the new options; it takes over the old loop's cache once
  // the old loop is idle for good, and is scheduled then (unless replaced meanwhile).
  std::weak_ptr<ScrapePool> self = weak_from_this();
  for (auto& [hash, old_loop] : loops_) {
    auto fresh = std::make_shared<ScrapeLoop>(old_loop->target(), cfg_.loop, ctx_.appendable,
                                              ctx_.stats, ctx_.clock);
    uint64_t h = hash;
    Scraper* scraper = ctx_.scraper;
    std::shared_ptr<ScrapeLoop> old = old_loop;
    scraper->Remove(old, /*stale_markers=*/false, [self, h, old, fresh, invalidate, scraper] {
      auto pool = self.lock();
      if (pool == nullptr) return;
      MutexLock l(&pool->mu_);
      fresh->AdoptCache(old->TakeCache(), invalidate, old->last_scrape_ms());
      auto it = pool->loops_.find(h);
      if (pool->stopped_ || it == pool->loops_.end() || it->second != fresh) return;
      scraper->Add(fresh);
    });
    old_loop = fresh;
  }
  // The new relabel rules may change the target set; new loops not yet scheduled that go
  // away here are simply never added.
  RebuildLocked();
}

void ScrapePool::Stop(bool stale_markers) {
  MutexLock l(&mu_);
  if (stopped_) return;
  stopped_ = true;
  for (auto& [h, loop] : loops_) ctx_.scraper->Remove(loop, stale_markers);
  loops_.clear();
  order_.clear();
}

std::vector<std::shared_ptr<Target>> ScrapePool::ActiveTargets() const {
  MutexLock l(&mu_);
  return order_;
}

std::vector<DroppedTarget> ScrapePool::DroppedTargets() const {
  MutexLock l(&mu_);
  return dropped_;
}

size_t ScrapePool::dropped_count() const {
  MutexLock l(&mu_);
  return dropped_count_;
}

std::vector<std::shared_ptr<ScrapeLoop>> ScrapePool::Loops() const {
  MutexLock l(&mu_);
  std::vector<std::shared_ptr<ScrapeLoop>> out;
  for (const auto& [h, loop] : loops_) out.push_back(loop);
  return out;
}

PoolConfig ScrapePool::config() const {
  MutexLock l(&mu_);
  return cfg_;
}

}  // namespace vigil::scrape
