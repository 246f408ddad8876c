#include "scrape/scrape_loop.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "base/context.h"
#include "base/logging.h"
#include "model/value.h"
#include "textparse/content_type.h"

namespace vigil::scrape {
namespace {

constexpr int64_t kTimestampToleranceMs = 2;

// Go's "%.50s": at most 50 bytes.
std::string_view Trunc50(std::string_view s) { return s.substr(0, 50); }

}  // namespace

ScrapeLoop::ScrapeLoop(std::shared_ptr<Target> target, std::shared_ptr<const LoopOptions> options,
                       storage::Appendable* appendable, ScrapeStats* stats, const Clock* clock)
    : target_(std::move(target)),
      options_(std::move(options)),
      appendable_(appendable),
      stats_(stats),
      clock_(clock),
      cache_(std::make_unique<ScrapeCache>(options_->cache_labels)) {
  std::vector<std::string> names = {"up", "scrape_duration_seconds", "scrape_samples_scraped",
                                    "scrape_samples_post_metric_relabeling", "scrape_series_added"};
  if (options_->extra_scrape_metrics) {
    names.insert(names.end(),
                 {"scrape_timeout_seconds", "scrape_sample_limit", "scrape_body_size_bytes"});
  }
  for (const auto& n : names) {
    LabelsBuilder lb;
    for (const auto& [k, v] : target_->public_labels()) lb.Set(k, v);
    lb.Set(kMetricName, n);
    report_.push_back(ReportSeries{lb.Build(), 0});
  }
}

ScrapeLoop::~ScrapeLoop() = default;

int64_t ScrapeLoop::ScrapeTimestamp() {
  int64_t now = clock_->NowMs();
  int64_t interval = target_->interval_ms();
  if (aligned_t_ms_ == 0) {
    aligned_t_ms_ = now;
    return now;
  }
  int64_t tolerance = std::min<int64_t>(interval / 100, kTimestampToleranceMs);
  while (now - aligned_t_ms_ >= interval) aligned_t_ms_ += interval;
  if (now - aligned_t_ms_ <= tolerance) return aligned_t_ms_;
  return now;
}

void ScrapeLoop::SetForcedError(Status s) {
  MutexLock l(&mu_);
  forced_error_ = std::move(s);
}

Status ScrapeLoop::forced_error() const {
  MutexLock l(&mu_);
  return forced_error_;
}

std::unique_ptr<ScrapeCache> ScrapeLoop::TakeCache() { return std::move(cache_); }

void ScrapeLoop::AdoptCache(std::unique_ptr<ScrapeCache> cache, bool invalidate,
                            int64_t last_t_ms) {
  if (cache == nullptr) return;
  cache_ = std::move(cache);
  if (invalidate) cache_->InvalidateKeys();
  last_t_ms_ = last_t_ms;
}

std::map<std::string, MetricMetadata, std::less<>> ScrapeLoop::metadata() const {
  MutexLock l(&mu_);
  std::map<std::string, MetricMetadata, std::less<>> out;
  for (const auto& [k, e] : metadata_) out.emplace(k, e.meta);
  return out;
}

void ScrapeLoop::UpdateMetadata(const textparse::Parser& p, textparse::Entry e) {
  std::string_view name = p.MetricName();
  auto it = metadata_.find(name);
  if (it == metadata_.end()) {
    MutexLock l(&mu_);
    it = metadata_.emplace(std::string(name), MetaEntry{}).first;
  }
  MetaEntry& m = it->second;
  if (m.last_iter != meta_iter_) {
    m.last_iter = meta_iter_;
    ++meta_seen_;
  }
  switch (e) {
    case textparse::Entry::kType:
      if (m.meta.type != p.Type()) {
        MutexLock l(&mu_);
        m.meta.type = p.Type();
      }
      break;
    case textparse::Entry::kHelp:
      if (m.meta.help != p.Help()) {
        MutexLock l(&mu_);
        m.meta.help = std::string(p.Help());
      }
      break;
    case textparse::Entry::kUnit:
      if (m.meta.unit != p.Unit()) {
        MutexLock l(&mu_);
        m.meta.unit = std::string(p.Unit());
      }
      break;
    default:
      break;
  }
}

void ScrapeLoop::ExpireMetadata() {
  if (metadata_.size() > meta_seen_) {
    MutexLock l(&mu_);
    std::erase_if(metadata_, [&](const auto& kv) { return kv.second.last_iter != meta_iter_; });
  }
}

Status ScrapeLoop::MutateLabels(const textparse::Parser& p, Labels* out) {
  Labels lset = p.BuildLabels();
  const auto& tl = target_->public_labels();
  Labels res;
  if (tl.empty()) {
    res = std::move(lset);
  } else {
    LabelsBuilder lb(lset);
    if (options_->honor_labels) {
      for (const auto& [n, v] : tl) {
        if (!lset.Has(n)) lb.Set(n, v);
      }
    } else {
      std::vector<std::pair<std::string, std::string>> conflicts;
      for (const auto& [n, v] : tl) {
        std::string_view existing = lset.Get(n);
        if (!existing.empty()) conflicts.emplace_back(n, existing);
        lb.Set(n, v);
      }
      std::stable_sort(conflicts.begin(), conflicts.end(), [](const auto& a, const auto& b) {
        return a.first.size() < b.first.size();
      });
      for (const auto& [n, v] : conflicts) {
        std::string name = n;
        for (;;) {
          name = "exported_" + name;
          if (lb.Get(name).empty()) {
            lb.Set(name, v);
            break;
          }
        }
      }
    }
    res = lb.Build();
  }
  if (!options_->metric_relabel_configs.empty()) {
    auto r = relabel::Process(res, options_->metric_relabel_configs);
    if (!r.has_value()) {
      *out = Labels();
      return Status::OK();
    }
    res = std::move(*r);
    if (res.empty()) {
      *out = Labels();
      return Status::OK();
    }
  }
  std::string_view name = res.MetricName();
  if (name.empty()) return Status::InvalidArgument("missing metric name (__name__ label)");
  bool valid = relabel::IsValidMetricName(name, relabel::NameValidation::kUTF8);
  for (const auto& l : res) {
    valid = valid && relabel::IsValidLabelName(l.name, relabel::NameValidation::kUTF8);
  }
  if (!valid)
    return Status::InvalidArgument("invalid metric name or label names: " + res.ToString());
  const LoopOptions& o = *options_;
  if (o.label_limit > 0) {
    size_t n = res.size();
    if (n > o.label_limit) {
      stats_->exceeded_label_limits++;
      return Status::ResourceExhausted(
          fmt::format("label_limit exceeded (metric: {}, number of labels: {}, limit: {})",
                      Trunc50(name), n, o.label_limit));
    }
  }
  if (o.label_name_length_limit > 0 || o.label_value_length_limit > 0) {
    for (const auto& l : res) {
      if (o.label_name_length_limit > 0 && l.name.size() > o.label_name_length_limit) {
        stats_->exceeded_label_limits++;
        return Status::ResourceExhausted(fmt::format(
            "label_name_length_limit exceeded (metric: {}, label name: {}, length: {}, limit: {})",
            Trunc50(name), Trunc50(l.name), l.name.size(), o.label_name_length_limit));
      }
      if (o.label_value_length_limit > 0 && l.value.size() > o.label_value_length_limit) {
        stats_->exceeded_label_limits++;
        return Status::ResourceExhausted(fmt::format(
            "label_value_length_limit exceeded (metric: {}, label name: {}, value: {}, length: "
            "{}, limit: {})",
            Trunc50(name), Trunc50(l.name), relabel::GoQuote(Trunc50(l.value)), l.value.size(),
            o.label_value_length_limit));
      }
    }
  }
  *out = std::move(res);
  return Status::OK();
}

Status ScrapeLoop::AppendBody(storage::Appender* app, std::string_view body,
                              std::string_view content_type, int64_t t, AppendCounts* c) {
  auto choice = textparse::ChooseFormat(content_type, options_->fallback_format);
  if (!choice.has_value()) return choice.error();
  if (!choice->warning.empty()) {
    VIGIL_LOG_DEBUG("scrape", "content type fallback", "target={} warning={}",
                    LogQuote(target_->url()), LogQuote(choice->warning));
  }
  std::unique_ptr<textparse::Parser> parser = textparse::NewParser(choice->format, body);
  ScrapeCache& cache = *cache_;
  cache.Begin();
  ++meta_iter_;
  meta_seen_ = 0;
  const bool honor_ts = options_->honor_timestamps;
  const bool track_ts = options_->track_timestamps_staleness;
  const uint64_t sample_limit = options_->sample_limit;
  bool sample_limit_exceeded = false;
  uint64_t hits = 0, misses = 0, appended = 0;
  Status err;
  for (;;) {
    Result<textparse::Entry> next = parser->Next();
    if (!next.has_value()) {
      err = next.error();
      break;
    }
    textparse::Entry entry = *next;
    if (entry == textparse::Entry::kEof) break;
    if (entry != textparse::Entry::kSeries) {
      if (entry != textparse::Entry::kComment) UpdateMetadata(*parser, entry);
      continue;
    }
    ++c->total;
    SeriesKey key;
    uint32_t idx = cache.Find(parser->Series(), &key);
    bool is_new = false;
    Labels fresh;
    if (idx != ScrapeCache::kNone) {
      ++hits;
      if (cache.at(idx).dropped) continue;
    } else {
      ++misses;
      Status s = MutateLabels(*parser, &fresh);
      if (!s.ok()) {
        err = s;
        break;
      }
      if (fresh.empty()) {
        cache.AddDropped(key);
        continue;
      }
      uint64_t hash = fresh.Hash();
      idx = cache.AddSeries(key, fresh, hash);
      is_new = true;
    }
    ++c->added;
    if (sample_limit > 0 && c->added > sample_limit) sample_limit_exceeded = true;
    if (sample_limit_exceeded) continue;  // counting on; the scrape fails below
    std::optional<int64_t> ts = parser->Timestamp();
    int64_t st = (honor_ts && ts.has_value()) ? *ts : t;
    ScrapeCache::Entry& e = cache.at(idx);
    const Labels& lset = is_new ? fresh : cache.LabelsOf(idx);
    Result<storage::SeriesRef> r = app->Append(e.ref, lset, st, parser->Value());
    if (!r.has_value() && !is_new && lset.empty() &&
        r.error().code() == StatusCode::kInvalidArgument) {
      // Labels are not cached and the storage did not take the ref (it died, or the storage
      // ignores refs): rebuild this line's labels and retry once.
      Status s = MutateLabels(*parser, &fresh);
      if (s.ok() && !fresh.empty()) r = app->Append(0, fresh, st, parser->Value());
    }
    if (r.has_value()) {
      e.ref = *r;
      ++appended;
      if (is_new) ++c->series_added;
    } else {
      Status s = r.error();
      switch (s.code()) {
        case StatusCode::kOutOfOrder:
          stats_->out_of_order++;
          break;
        case StatusCode::kAlreadyExists:
          stats_->duplicate_timestamp++;
          break;
        case StatusCode::kOutOfBounds:
          stats_->out_of_bounds++;
          break;
        case StatusCode::kResourceExhausted:
          stats_->series_limit++;
          break;
        default:
          err = s;
          break;
      }
      if (!err.ok()) break;
    }
    if (!ts.has_value() || !honor_ts || track_ts) cache.Track(idx);
  }
  stats_->cache_hits += hits;
  stats_->cache_misses += misses;
  if (err.ok() && sample_limit_exceeded) {
    stats_->exceeded_sample_limit++;
    err = Status::ResourceExhausted("sample limit exceeded");
  }
  if (!err.ok()) {
    cache.Abort();
    return err;
  }
  AppendStale(app, t);
  cache.End(!body.empty());
  ExpireMetadata();
  stats_->samples_appended += appended;
  return Status::OK();
}

void ScrapeLoop::AppendStale(storage::Appender* app, int64_t t) {
  cache_->ForEachStale([&](const ScrapeCache::Entry& e, const Labels& labels) {
    // Errors (e.g. out of order after a newer sample) are expected and ignored. Without
    // cached labels a series whose ref died gets no marker: the head dropped it, so its last
    // sample is older than the head and beyond any lookback.
    app->Append(e.ref, labels, t, StaleNaN()).IgnoreError();
  });
}

void ScrapeLoop::AppendEmpty(storage::Appender* app, int64_t t) {
  cache_->Begin();
  AppendStale(app, t);
  cache_->End(false);
}

void ScrapeLoop::Report(storage::Appender* app, int64_t t, double duration_s, const AppendCounts& c,
                        size_t body_bytes, const Status& err) {
  double values[8] = {err.ok() ? 1.0 : 0.0,
                      duration_s,
                      double(c.total),
                      double(c.added),
                      double(c.series_added),
                      double(target_->timeout_ms()) / 1000.0,
                      double(options_->sample_limit),
                      double(body_bytes)};
  for (size_t i = 0; i < report_.size(); ++i) {
    auto r = app->Append(report_[i].ref, report_[i].labels, t, values[i]);
    if (r.has_value()) report_[i].ref = *r;
  }
}

void ScrapeLoop::ReportStale(storage::Appender* app, int64_t t) {
  for (auto& s : report_) app->Append(s.ref, s.labels, t, StaleNaN()).IgnoreError();
}

Status ScrapeLoop::Process(const FetchResult& fetch, int64_t t, int64_t start_ns) {
  std::unique_ptr<storage::Appender> app = appendable_->NewAppender();
  AppendCounts counts;
  Status scrape_err = fetch.error;
  if (scrape_err.ok()) {
    Status app_err = AppendBody(app.get(), fetch.body, fetch.content_type, t, &counts);
    if (!app_err.ok()) {
      app->Rollback().IgnoreError();
      app = appendable_->NewAppender();
      AppendEmpty(app.get(), t);
      scrape_err = app_err;
    }
  } else {
    AppendEmpty(app.get(), t);
  }
  if (fetch.body.size() > 0) last_body_bytes_.store(fetch.body.size(), std::memory_order_relaxed);
  double duration_s = double(Context::NowNs() - start_ns) / 1e9;
  Report(app.get(), t, duration_s, counts, scrape_err.ok() ? fetch.body.size() : 0, scrape_err);
  Status commit = app->Commit();
  if (!commit.ok()) {
    stats_->commit_errors++;
    VIGIL_LOG_WARN("scrape", "commit failed", "target={} err={}", LogQuote(target_->url()),
                   LogQuote(commit.ToString()));
    if (scrape_err.ok()) scrape_err = commit;
  }
  stats_->scrapes++;
  if (!scrape_err.ok()) stats_->failed_scrapes++;
  last_t_ms_ = t;
  TargetStatus st;
  st.health = scrape_err.ok() ? TargetHealth::kUp : TargetHealth::kDown;
  st.last_error = std::string(scrape_err.message());
  st.last_scrape_ms = t;
  st.last_scrape_duration_s = duration_s;
  st.last_samples = counts.total;
  target_->SetStatus(std::move(st));
  return scrape_err;
}

void ScrapeLoop::WriteStaleMarkers(int64_t t) {
  if (last_t_ms_ == 0) return;
  std::unique_ptr<storage::Appender> app = appendable_->NewAppender();
  AppendEmpty(app.get(), t);
  ReportStale(app.get(), t);
  Status s = app->Commit();
  if (!s.ok()) {
    VIGIL_LOG_WARN("scrape", "stale markers commit failed", "target={} err={}",
                   LogQuote(target_->url()), LogQuote(s.ToString()));
  }
}

}  // namespace vigil::scrape
