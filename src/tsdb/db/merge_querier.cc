#include "tsdb/db/merge_querier.h"

#include <algorithm>
#include <string>
#include <utility>

#include "storage/series.h"
#include "tsdb/db/sorted_merge.h"

namespace vigil::tsdb {
namespace {

// Merges sample iterators by time; on equal timestamps the highest index wins and the
// others are skipped past it.
class MergeIterator final : public storage::SampleIterator {
 public:
  explicit MergeIterator(std::vector<std::unique_ptr<storage::SampleIterator>> its)
      : its_(std::move(its)), ok_(its_.size(), false) {}

  bool Next() override {
    if (done_) return false;
    if (!started_) {
      started_ = true;
      for (size_t i = 0; i < its_.size(); ++i) ok_[i] = its_[i]->Next();
    } else {
      for (size_t i = 0; i < its_.size(); ++i) {
        if (ok_[i] && its_[i]->AtT() == t_) ok_[i] = its_[i]->Next();
      }
    }
    return Pick();
  }

  bool Seek(int64_t t) override {
    if (done_) return false;
    if (started_ && cur_ >= 0 && t_ >= t) return true;
    started_ = true;
    for (size_t i = 0; i < its_.size(); ++i) {
      if (ok_[i] || cur_ < 0) ok_[i] = its_[i]->Seek(t);
    }
    return Pick();
  }

  int64_t AtT() const override { return t_; }
  double AtV() const override { return its_[size_t(cur_)]->AtV(); }
  Status Err() const override {
    for (const auto& it : its_) {
      if (Status s = it->Err(); !s.ok()) return s;
    }
    return Status::OK();
  }

 private:
  bool Pick() {
    cur_ = -1;
    for (size_t i = 0; i < its_.size(); ++i) {
      if (!ok_[i]) continue;
      int64_t t = its_[i]->AtT();
      if (cur_ < 0 || t <= t_) {  // `<=`: a later iterator wins a tie
        cur_ = int(i);
        t_ = t;
      }
    }
    if (cur_ < 0) done_ = true;
    return cur_ >= 0;
  }

  std::vector<std::unique_ptr<storage::SampleIterator>> its_;
  std::vector<bool> ok_;
  bool started_ = false, done_ = false;
  int cur_ = -1;
  int64_t t_ = 0;
};

// The children's current series with equal labels.
class MergedSeries final : public storage::Series {
 public:
  const Labels& labels() const override { return parts_.front()->labels(); }
  std::unique_ptr<storage::SampleIterator> Iterator() const override {
    if (parts_.size() == 1) return parts_.front()->Iterator();
    std::vector<std::unique_ptr<storage::SampleIterator>> its;
    its.reserve(parts_.size());
    for (const storage::Series* s : parts_) its.push_back(s->Iterator());
    return std::make_unique<MergeIterator>(std::move(its));
  }
  std::vector<const storage::Series*> parts_;
};

class MergeSeriesSet final : public storage::SeriesSet {
 public:
  explicit MergeSeriesSet(std::vector<std::unique_ptr<storage::SeriesSet>> sets)
      : merge_(std::move(sets)) {}

  bool Next() override {
    cur_.parts_.clear();
    if (!merge_.Next()) return false;
    for (size_t i = 0; i < merge_.size(); ++i) {
      if (merge_.current(i)) cur_.parts_.push_back(&merge_.set(i).At());
    }
    return true;
  }

  const storage::Series& At() const override { return cur_; }
  Status Err() const override { return merge_.Err(); }
  std::vector<std::string> Warnings() const override {
    std::vector<std::string> out;
    for (size_t i = 0; i < merge_.size(); ++i) {
      for (auto& w : merge_.set(i).Warnings()) {
        if (std::find(out.begin(), out.end(), w) == out.end()) out.push_back(std::move(w));
      }
    }
    return out;
  }

 private:
  SortedMerge<storage::SeriesSet> merge_;
  MergedSeries cur_;
};

// Sorted union of sorted string lists, cut at limit (0: none).
std::vector<std::string> UnionSorted(std::vector<std::vector<std::string>> lists, size_t limit) {
  std::vector<std::string> out;
  for (auto& l : lists) {
    std::vector<std::string> merged;
    merged.reserve(out.size() + l.size());
    std::set_union(std::make_move_iterator(out.begin()), std::make_move_iterator(out.end()),
                   std::make_move_iterator(l.begin()), std::make_move_iterator(l.end()),
                   std::back_inserter(merged));
    out = std::move(merged);
  }
  if (limit != 0 && out.size() > limit) out.resize(limit);
  return out;
}

class MergeQuerier final : public storage::Querier {
 public:
  explicit MergeQuerier(std::vector<std::unique_ptr<storage::Querier>> children)
      : children_(std::move(children)) {}

  std::unique_ptr<storage::SeriesSet> Select(const Context& ctx, bool sorted,
                                             const storage::SelectHints* hints,
                                             const std::vector<Matcher>& matchers) override {
    if (children_.size() == 1) return children_.front()->Select(ctx, sorted, hints, matchers);
    std::vector<std::unique_ptr<storage::SeriesSet>> sets;
    sets.reserve(children_.size());
    for (auto& c : children_) sets.push_back(c->Select(ctx, /*sorted=*/true, hints, matchers));
    return NewMergeSeriesSet(std::move(sets));
  }

  Result<std::vector<std::string>> LabelValues(const Context& ctx, std::string_view name,
                                               const std::vector<Matcher>& matchers,
                                               size_t limit) override {
    std::vector<std::vector<std::string>> lists;
    for (auto& c : children_) {
      VIGIL_ASSIGN_OR_RETURN(auto l, c->LabelValues(ctx, name, matchers, limit));
      lists.push_back(std::move(l));
    }
    return UnionSorted(std::move(lists), limit);
  }

  Result<std::vector<std::string>> LabelNames(const Context& ctx,
                                              const std::vector<Matcher>& matchers,
                                              size_t limit) override {
    std::vector<std::vector<std::string>> lists;
    for (auto& c : children_) {
      VIGIL_ASSIGN_OR_RETURN(auto l, c->LabelNames(ctx, matchers, limit));
      lists.push_back(std::move(l));
    }
    return UnionSorted(std::move(lists), limit);
  }

 private:
  std::vector<std::unique_ptr<storage::Querier>> children_;
};

}  // namespace

std::unique_ptr<storage::SeriesSet> NewMergeSeriesSet(
    std::vector<std::unique_ptr<storage::SeriesSet>> sets) {
  if (sets.empty()) return storage::EmptySeriesSet();
  if (sets.size() == 1) return std::move(sets.front());
  return std::make_unique<MergeSeriesSet>(std::move(sets));
}

std::unique_ptr<storage::Querier> NewMergeQuerier(
    std::vector<std::unique_ptr<storage::Querier>> children) {
  return std::make_unique<MergeQuerier>(std::move(children));
}

}  // namespace vigil::tsdb
