// PostingsIndex: the head's inverted index. For every (label name, label value) pair seen
// in a live series it keeps a compressed bitmap (CRoaring) of the series ids carrying it,
// plus the bitmap of all live ids and, per label name, the list of its pairs (for
// LabelValues/LabelNames and regex matchers).
//
// Series ids grow with creation time and series of one target are created together, so
// target-level pairs (pod, instance, node) become runs of ids; RunOptimize() turns those
// into run containers (a few bytes per run).
//
// Matcher semantics follow Prometheus: a matcher that does not match "" intersects the
// union of the postings of the values it matches; a matcher that matches "" (a="",
// a!="x", a=~"x|", a!~"x") keeps series without the label and subtracts the union of the
// postings of the values it rejects. With no intersecting matcher the start set is all
// series.
//
// Thread-safety: none inside; the head holds its index lock (writer for Add/Remove/
// RunOptimize, reader for everything else).
#pragma once

#include <roaring/roaring.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/matcher.h"
#include "tsdb/head/label_store.h"
#include "tsdb/head/symbol_table.h"

namespace vigil::tsdb {

struct RoaringFree {
  void operator()(roaring_bitmap_t* b) const { roaring_bitmap_free(b); }
};
// An owned CRoaring bitmap.
using Bitmap = std::unique_ptr<roaring_bitmap_t, RoaringFree>;
inline Bitmap NewBitmap() { return Bitmap(roaring_bitmap_create()); }

// One entry of a "top N" statistic (as in Prometheus' /api/v1/status/tsdb).
struct IndexStat {
  std::string name;
  uint64_t value = 0;
};

struct PostingsStats {
  std::vector<IndexStat> series_count_by_metric_name;
  std::vector<IndexStat> label_value_count_by_label_name;
  std::vector<IndexStat> memory_in_bytes_by_label_name;
  std::vector<IndexStat> series_count_by_label_value_pair;
  uint64_t num_label_pairs = 0;
};

class PostingsIndex {
 public:
  explicit PostingsIndex(const SymbolTable* symbols);
  ~PostingsIndex();
  PostingsIndex(const PostingsIndex&) = delete;
  PostingsIndex& operator=(const PostingsIndex&) = delete;

  // Adds series `id` under each of its pairs and to all-postings.
  void Add(uint32_t id, const std::vector<SymPair>& pairs);
  // Removes series `id` (for head GC).
  void Remove(uint32_t id, const std::vector<SymPair>& pairs);

  // The ids of series matching all matchers (see the semantics above).
  Bitmap Select(const std::vector<Matcher>& matchers) const;
  // All live ids.
  const roaring_bitmap_t* All() const { return all_; }

  // Sorted values of label `name` among series in `filter` (all series when null).
  std::vector<std::string> LabelValues(std::string_view name, const roaring_bitmap_t* filter) const;
  // Sorted label names among series in `filter` (all series when null).
  std::vector<std::string> LabelNames(const roaring_bitmap_t* filter) const;

  // Compresses runs of ids; call periodically (the head does it every N new series).
  void RunOptimize();

  // Top-`limit` statistics for /api/v1/status/tsdb.
  PostingsStats Stats(size_t limit) const;

  size_t num_pairs() const { return pairs_.size(); }
  // Heap bytes of bitmaps (estimated from CRoaring's container statistics) and tables.
  size_t MemoryBytes() const;

 private:
  struct Pair {
    uint32_t name;
    uint32_t value;
    roaring_bitmap_t* bm;
  };
  struct Name {
    uint32_t name;
    std::vector<uint32_t> pairs;  // indexes into pairs_
  };
  // Open-addressing map from a 64-bit key to a uint32 index (+1; 0 = empty).
  class Map64 {
   public:
    Map64() : slots_(256) {}
    uint32_t Find(uint64_t key) const;  // index or UINT32_MAX
    void Insert(uint64_t key, uint32_t idx);
    size_t MemoryBytes() const { return slots_.capacity() * sizeof(Slot); }

   private:
    struct Slot {
      uint64_t key;
      uint32_t idx1;
    };
    std::vector<Slot> slots_;
    size_t size_ = 0;
  };
  static uint64_t PairKey(uint32_t name, uint32_t value) { return (uint64_t(name) << 32) | value; }
  uint32_t PairFor(uint32_t name, uint32_t value);  // creating
  const Name* FindName(uint32_t name_sym) const;
  // Union of the postings of the values of `name` for which pred(value) is true.
  template <typename Pred>
  Bitmap UnionWhere(const Name& name, Pred&& pred) const;
  static size_t BitmapBytes(const roaring_bitmap_t* b);

  const SymbolTable* symbols_;
  std::vector<Pair> pairs_;
  std::vector<Name> names_;
  Map64 pair_index_;  // PairKey -> pairs_ index
  Map64 name_index_;  // name symbol -> names_ index
  roaring_bitmap_t* all_;
};

}  // namespace vigil::tsdb
