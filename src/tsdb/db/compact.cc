#include "tsdb/db/compact.h"

#include <algorithm>
#include <utility>

namespace vigil::tsdb {
namespace {

int64_t AlignDown(int64_t t, int64_t width) {
  return t >= 0 ? width * (t / width) : width * ((t - width + 1) / width);
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
  if (ranges.size() < 2 || metas.size() < 2) return {};
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
        if (m.compaction.failed || m.stats.num_tombstones > 0) usable = false;
        if (k > 0 && m.min_time < metas[group[k - 1]].max_time) usable = false;  // overlap
      }
      const int64_t mint = metas[group.front()].min_time;
      const int64_t maxt = metas[group.back()].max_time;
      if (usable && (maxt - mint == tr || maxt <= high_time)) return group;
    }
  }
  return {};
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
  const bool usable = std::none_of(run.begin(), run.end(), [&](size_t i) {
    // TODO: merge runs with tombstones once Block::NewChunkSeriesSet leaves deleted data out.
    return metas[i].compaction.failed || metas[i].stats.num_tombstones > 0;
  });
  return usable ? run : std::vector<size_t>{};
}

}  // namespace vigil::tsdb
