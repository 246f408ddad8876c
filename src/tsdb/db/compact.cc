#include "tsdb/db/compact.h"

#include <algorithm>
#include <utility>

namespace vigil::tsdb {
namespace {

class ConcatChunkSeriesSet final : public chunks::ChunkSeriesSet {
 public:
  explicit ConcatChunkSeriesSet(std::vector<std::unique_ptr<chunks::ChunkSeriesSet>> sets)
      : sets_(std::move(sets)), ok_(sets_.size(), false), used_(sets_.size(), false) {}

  bool Next() override {
    if (!started_) {
      started_ = true;
      for (size_t i = 0; i < sets_.size(); ++i) ok_[i] = sets_[i]->Next();
    } else {
      for (size_t i = 0; i < sets_.size(); ++i) {
        if (used_[i]) ok_[i] = sets_[i]->Next();
      }
    }
    chunks_.clear();
    const Labels* min = nullptr;
    for (size_t i = 0; i < sets_.size(); ++i) {
      used_[i] = false;
      if (ok_[i] && (min == nullptr || Labels::Compare(sets_[i]->labels(), *min) < 0)) {
        min = &sets_[i]->labels();
      }
    }
    if (min == nullptr) return false;
    for (size_t i = 0; i < sets_.size(); ++i) {
      if (ok_[i] && Labels::Compare(sets_[i]->labels(), *min) == 0) {
        used_[i] = true;
        const auto& c = sets_[i]->chunks();
        chunks_.insert(chunks_.end(), c.begin(), c.end());
      }
    }
    for (size_t i = 0; i < sets_.size(); ++i) {
      if (used_[i]) {
        cur_ = sets_[i].get();
        break;
      }
    }
    return true;
  }
  const Labels& labels() const override { return cur_->labels(); }
  const std::vector<chunks::Meta>& chunks() const override { return chunks_; }
  Status Err() const override {
    for (const auto& s : sets_) {
      if (Status st = s->Err(); !st.ok()) return st;
    }
    return Status::OK();
  }

 private:
  std::vector<std::unique_ptr<chunks::ChunkSeriesSet>> sets_;
  std::vector<bool> ok_, used_;
  bool started_ = false;
  chunks::ChunkSeriesSet* cur_ = nullptr;
  std::vector<chunks::Meta> chunks_;
};

int64_t AlignDown(int64_t t, int64_t width) {
  return t >= 0 ? width * (t / width) : width * ((t - width + 1) / width);
}

// Prometheus' planner, after finding nothing to merge: the newest block (of the ones
// considered) that is at least the middle range long and has more than 5% as many
// tombstones as series, or a shorter one with at least one tombstone per series, is
// rewritten alone (dropping the deleted data). Only the newest short block is looked at.
std::vector<size_t> PlanTombstoneRewrite(const std::vector<block::BlockMeta>& metas, size_t n,
                                         const std::vector<int64_t>& ranges) {
  for (size_t i = n; i-- > 0;) {
    const block::BlockMeta& m = metas[i];
    const block::BlockStats& st = m.stats;
    if (m.max_time - m.min_time < ranges[ranges.size() / 2]) {
      if (st.num_tombstones > 0 && st.num_tombstones >= st.num_series && !m.compaction.failed) {
        return {i};
      }
      break;
    }
    if (double(st.num_tombstones) / double(st.num_series + 1) > 0.05 && !m.compaction.failed) {
      return {i};
    }
  }
  return {};
}

}  // namespace

std::vector<int64_t> CompactionRanges(int64_t min_block_ms, int64_t max_block_ms) {
  std::vector<int64_t> out = {min_block_ms};
  for (int i = 1; i < 10; ++i) {
    if (out.back() > INT64_MAX / 3) break;
    const int64_t next = out.back() * 3;
    if (next > max_block_ms) break;
    out.push_back(next);
  }
  return out;
}

std::vector<size_t> PlanCompaction(const std::vector<block::BlockMeta>& metas,
                                   const std::vector<int64_t>& ranges) {
  if (ranges.empty() || metas.size() < 2) return {};
  if (ranges.size() < 2) return PlanTombstoneRewrite(metas, metas.size() - 1, ranges);
  const size_t n = metas.size() - 1;  // the newest block waits a full range
  const int64_t high_time = metas[n - 1].min_time;
  for (size_t r = 1; r < ranges.size(); ++r) {
    const int64_t tr = ranges[r];
    for (size_t i = 0; i < n;) {
      const int64_t t0 = AlignDown(metas[i].min_time, tr);
      if (metas[i].max_time > t0 + tr) {  // crosses the window: in no group
        ++i;
        continue;
      }
      std::vector<size_t> group;
      for (; i < n && metas[i].max_time <= t0 + tr; ++i) group.push_back(i);
      if (group.size() < 2) continue;
      bool usable = true;
      for (size_t k = 0; k < group.size() && usable; ++k) {
        const auto& m = metas[group[k]];
        if (m.compaction.failed) usable = false;
        if (k > 0 && m.min_time < metas[group[k - 1]].max_time) usable = false;  // overlap
      }
      const int64_t mint = metas[group.front()].min_time;
      const int64_t maxt = metas[group.back()].max_time;
      if (usable && (maxt - mint == tr || maxt <= high_time)) return group;
    }
  }
  return PlanTombstoneRewrite(metas, n, ranges);
}

std::unique_ptr<chunks::ChunkSeriesSet> NewConcatChunkSeriesSet(
    std::vector<std::unique_ptr<chunks::ChunkSeriesSet>> sets) {
  return std::make_unique<ConcatChunkSeriesSet>(std::move(sets));
}

}  // namespace vigil::tsdb
