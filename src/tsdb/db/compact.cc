#include "tsdb/db/compact.h"

#include <algorithm>
#include <utility>

namespace vigil::tsdb {
namespace {

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

std::vector<size_t> SelectOverlappingBlocks(const std::vector<block::BlockMeta>& metas) {
  std::vector<size_t> run;
  if (metas.size() < 2) return run;
  int64_t global_maxt = metas[0].max_time;
  for (size_t i = 1; i < metas.size(); ++i) {
    if (metas[i].min_time < global_maxt) {
      if (run.empty()) run.push_back(i - 1);
      run.push_back(i);
    } else if (!run.empty()) {
      break;
    }
    global_maxt = std::max(global_maxt, metas[i].max_time);
  }
  return run;
}

std::vector<size_t> PlanVerticalCompaction(const std::vector<block::BlockMeta>& metas) {
  std::vector<size_t> run = SelectOverlappingBlocks(metas);
  // Tombstones are no obstacle: Block::NewChunkSeriesSet leaves deleted data out, so the
  // merged block holds none of it (as Prometheus' compactor).
  const bool usable =
      std::none_of(run.begin(), run.end(), [&](size_t i) { return metas[i].compaction.failed; });
  return usable ? run : std::vector<size_t>{};
}

}  // namespace vigil::tsdb
