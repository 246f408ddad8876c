#include "storage/memory_storage.h"

#include <algorithm>
#include <set>

#include "storage/series.h"

namespace vigil::storage {

class MemoryAppender final : public Appender {
 public:
  explicit MemoryAppender(MemoryStorage* s) : s_(s) {}
  Result<SeriesRef> Append(SeriesRef, const Labels& labels, int64_t t, double v) override {
    if (labels.empty()) return Status::InvalidArgument("empty labelset");
    pending_.push_back({labels, {t, v}});
    return SeriesRef(1);
  }
  Status Commit() override {
    MutexLock l(&s_->mu_);
    for (auto& [labels, sample] : pending_) {
      auto& samples = s_->series_[labels];
      if (!samples.empty() && samples.back().t >= sample.t) {
        if (samples.back().t == sample.t) continue;  // keep the first, like a duplicate
        continue;                                    // out of order: dropped
      }
      samples.push_back(sample);
    }
    pending_.clear();
    return Status::OK();
  }
  Status Rollback() override {
    pending_.clear();
    return Status::OK();
  }

 private:
  MemoryStorage* s_;
  std::vector<std::pair<Labels, Sample>> pending_;
};

class MemoryQuerier final : public Querier {
 public:
  MemoryQuerier(MemoryStorage* s, int64_t mint, int64_t maxt) : s_(s), mint_(mint), maxt_(maxt) {}

  std::unique_ptr<SeriesSet> Select(const Context& ctx, bool, const SelectHints* hints,
                                    const std::vector<Matcher>& matchers) override {
    if (Status st = ctx.Err(); !st.ok()) return std::make_unique<ErrorSeriesSet>(st);
    int64_t mint = hints ? hints->start : mint_;
    int64_t maxt = hints ? hints->end : maxt_;
    std::vector<std::unique_ptr<Series>> out;
    MutexLock l(&s_->mu_);
    for (const auto& [labels, samples] : s_->series_) {
      if (!MatchesAll(matchers, labels)) continue;
      auto lo = std::lower_bound(samples.begin(), samples.end(), mint,
                                 [](const Sample& s, int64_t t) { return s.t < t; });
      auto hi = std::upper_bound(samples.begin(), samples.end(), maxt,
                                 [](int64_t t, const Sample& s) { return t < s.t; });
      if (lo >= hi) continue;
      out.push_back(std::make_unique<ListSeries>(labels, std::vector<Sample>(lo, hi)));
    }
    return std::make_unique<ListSeriesSet>(std::move(out));
  }

  Result<std::vector<std::string>> LabelValues(const Context&, std::string_view name,
                                               const std::vector<Matcher>& matchers,
                                               size_t limit) override {
    std::set<std::string> vals;
    MutexLock l(&s_->mu_);
    for (const auto& [labels, samples] : s_->series_) {
      if (!MatchesAll(matchers, labels) || !InRange(samples)) continue;
      auto v = labels.Get(name);
      if (!v.empty()) vals.emplace(v);
    }
    return Limit(std::vector<std::string>(vals.begin(), vals.end()), limit);
  }

  Result<std::vector<std::string>> LabelNames(const Context&, const std::vector<Matcher>& matchers,
                                              size_t limit) override {
    std::set<std::string> names;
    MutexLock l(&s_->mu_);
    for (const auto& [labels, samples] : s_->series_) {
      if (!MatchesAll(matchers, labels) || !InRange(samples)) continue;
      for (const auto& lv : labels) names.emplace(lv.name);
    }
    return Limit(std::vector<std::string>(names.begin(), names.end()), limit);
  }

 private:
  bool InRange(const std::vector<Sample>& s) const {
    return std::any_of(s.begin(), s.end(),
                       [&](const Sample& x) { return x.t >= mint_ && x.t <= maxt_; });
  }
  static std::vector<std::string> Limit(std::vector<std::string> v, size_t limit) {
    if (limit > 0 && v.size() > limit) v.resize(limit);
    return v;
  }
  MemoryStorage* s_;
  int64_t mint_, maxt_;
};

std::unique_ptr<Appender> MemoryStorage::NewAppender() {
  return std::make_unique<MemoryAppender>(this);
}

Result<std::unique_ptr<Querier>> MemoryStorage::NewQuerier(int64_t mint, int64_t maxt) {
  return std::unique_ptr<Querier>(std::make_unique<MemoryQuerier>(this, mint, maxt));
}

void MemoryStorage::Clear() {
  MutexLock l(&mu_);
  series_.clear();
}

size_t MemoryStorage::NumSeries() {
  MutexLock l(&mu_);
  return series_.size();
}

}  // namespace vigil::storage
