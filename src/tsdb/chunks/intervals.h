// Deleted time intervals of a series (Prometheus' tombstones.Interval/Intervals) and the
// rewriting of a series' chunks without the samples inside them, shared by the head
// (Head::Delete), blocks (tsdb/block/tombstones.h) and compaction.
//
// An interval list is sorted by mint, disjoint and never has two adjacent intervals
// (AddInterval merges them), as Prometheus keeps it. Value types and pure functions;
// a ChunkRewriter is used by one thread at a time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "tsdb/chunks/chunk_series.h"

namespace vigil::tsdb::chunks {

// A deleted interval, both ends inclusive (ms).
struct Interval {
  int64_t mint = 0;
  int64_t maxt = 0;
  bool Covers(int64_t t) const { return t >= mint && t <= maxt; }
  friend bool operator==(const Interval&, const Interval&) = default;
};
using Intervals = std::vector<Interval>;

// Adds `iv` to the sorted, disjoint list `*ivs`, merging it with intervals it overlaps or
// touches (maxt + 1 == next mint).
void AddInterval(Intervals* ivs, Interval iv);
// True if t lies inside one of `ivs`.
bool IsDeleted(const Intervals& ivs, int64_t t);
// True if [mint, maxt] lies entirely inside one interval of `ivs` (Prometheus'
// Interval.IsSubrange: a chunk that is wholly deleted).
bool CoversRange(const Intervals& ivs, int64_t mint, int64_t maxt);
// True if some interval of `ivs` overlaps [mint, maxt].
bool Overlaps(const Intervals& ivs, int64_t mint, int64_t maxt);

// Removes the samples inside deleted intervals from a series' chunks: chunks no interval
// touches are kept as they are (bytes not copied), chunks wholly deleted are dropped, and
// the others are re-encoded (XOR) with the samples that remain, their mint/maxt set to the
// first/last remaining sample and their ref cleared. Re-encoded bytes are owned by the
// rewriter and stay valid until the next Apply() or its destruction.
class ChunkRewriter {
 public:
  // Rewrites *metas in place. Errors: InvalidArgument for a partly deleted chunk that is
  // not XOR; Corruption from decoding a chunk (*metas is then unspecified).
  Status Apply(const Intervals& deleted, std::vector<Meta>* metas);

 private:
  std::vector<std::string> bufs_;
};

}  // namespace vigil::tsdb::chunks
