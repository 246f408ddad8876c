#include "tsdb/head/postings.h"

#include <algorithm>
#include <queue>

namespace vigil::tsdb {
namespace {

uint64_t Mix(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdull;
  k ^= k >> 33;
  return k;
}

// Keeps the `limit` largest stats, sorted by value descending then name.
class TopN {
 public:
  explicit TopN(size_t limit) : limit_(limit) {}
  void Push(uint64_t value, const std::string_view name) {
    if (limit_ == 0) return;
    if (heap_.size() < limit_) {
      heap_.push(Entry{value, std::string(name)});
    } else if (value > heap_.top().value) {
      heap_.pop();
      heap_.push(Entry{value, std::string(name)});
    }
  }
  std::vector<IndexStat> Take() {
    std::vector<IndexStat> out;
    while (!heap_.empty()) {
      out.push_back(IndexStat{heap_.top().name, heap_.top().value});
      heap_.pop();
    }
    std::sort(out.begin(), out.end(), [](const IndexStat& a, const IndexStat& b) {
      return a.value != b.value ? a.value > b.value : a.name < b.name;
    });
    return out;
  }

 private:
  struct Entry {
    uint64_t value;
    std::string name;
    bool operator>(const Entry& o) const { return value > o.value; }
  };
  size_t limit_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap_;
};

}  // namespace

uint32_t PostingsIndex::Map64::Find(uint64_t key) const {
  size_t mask = slots_.size() - 1;
  for (size_t i = Mix(key) & mask;; i = (i + 1) & mask) {
    if (slots_[i].idx1 == 0) return UINT32_MAX;
    if (slots_[i].key == key) return slots_[i].idx1 - 1;
  }
}

void PostingsIndex::Map64::Insert(uint64_t key, uint32_t idx) {
  if ((size_ + 1) * 4 > slots_.size() * 3) {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.idx1 == 0) continue;
      size_t i = Mix(s.key) & mask;
      while (slots_[i].idx1 != 0) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }
  size_t mask = slots_.size() - 1;
  size_t i = Mix(key) & mask;
  while (slots_[i].idx1 != 0) i = (i + 1) & mask;
  slots_[i] = Slot{key, idx + 1};
  ++size_;
}

PostingsIndex::PostingsIndex(const SymbolTable* symbols)
    : symbols_(symbols), all_(roaring_bitmap_create()) {}

PostingsIndex::~PostingsIndex() {
  for (Pair& p : pairs_) roaring_bitmap_free(p.bm);
  roaring_bitmap_free(all_);
}

uint32_t PostingsIndex::PairFor(uint32_t name, uint32_t value) {
  uint64_t key = PairKey(name, value);
  uint32_t idx = pair_index_.Find(key);
  if (idx != UINT32_MAX) return idx;
  idx = uint32_t(pairs_.size());
  pairs_.push_back(Pair{name, value, roaring_bitmap_create()});
  pair_index_.Insert(key, idx);
  uint32_t n = name_index_.Find(name);
  if (n == UINT32_MAX) {
    n = uint32_t(names_.size());
    names_.push_back(Name{name, {}});
    name_index_.Insert(name, n);
  }
  names_[n].pairs.push_back(idx);
  return idx;
}

void PostingsIndex::Add(uint32_t id, const std::vector<SymPair>& pairs) {
  for (const auto& [n, v] : pairs) roaring_bitmap_add(pairs_[PairFor(n, v)].bm, id);
  roaring_bitmap_add(all_, id);
}

void PostingsIndex::Remove(uint32_t id, const std::vector<SymPair>& pairs) {
  for (const auto& [n, v] : pairs) {
    uint32_t idx = pair_index_.Find(PairKey(n, v));
    if (idx != UINT32_MAX) roaring_bitmap_remove(pairs_[idx].bm, id);
  }
  roaring_bitmap_remove(all_, id);
}

const PostingsIndex::Name* PostingsIndex::FindName(uint32_t name_sym) const {
  if (name_sym == SymbolTable::kNone) return nullptr;
  uint32_t n = name_index_.Find(name_sym);
  return n == UINT32_MAX ? nullptr : &names_[n];
}

template <typename Pred>
Bitmap PostingsIndex::UnionWhere(const Name& name, Pred&& pred) const {
  std::vector<const roaring_bitmap_t*> parts;
  for (uint32_t idx : name.pairs) {
    if (pred(symbols_->Get(pairs_[idx].value))) parts.push_back(pairs_[idx].bm);
  }
  if (parts.empty()) return NewBitmap();
  if (parts.size() == 1) return Bitmap(roaring_bitmap_copy(parts[0]));
  return Bitmap(roaring_bitmap_or_many(parts.size(), parts.data()));
}

Bitmap PostingsIndex::Select(const std::vector<Matcher>& matchers) const {
  std::vector<Bitmap> intersect, subtract;
  for (const Matcher& m : matchers) {
    const Name* name = FindName(symbols_->Find(m.name()));
    if (m.MatchesEmpty()) {
      // Keeps series lacking the label; subtract those whose value is rejected.
      if (name == nullptr) continue;
      if (m.type() == MatchType::kNotEqual) {
        uint32_t vs = symbols_->Find(m.value());
        uint32_t idx =
            vs == SymbolTable::kNone ? UINT32_MAX : pair_index_.Find(PairKey(name->name, vs));
        if (idx != UINT32_MAX) subtract.push_back(Bitmap(roaring_bitmap_copy(pairs_[idx].bm)));
        continue;
      }
      if (m.type() == MatchType::kRegexMatch && m.value() == ".*") continue;
      Bitmap b = UnionWhere(*name, [&](std::string_view v) { return !m.Matches(v); });
      if (!roaring_bitmap_is_empty(b.get())) subtract.push_back(std::move(b));
      continue;
    }
    if (name == nullptr) return NewBitmap();  // requires a value of an unknown label
    if (m.type() == MatchType::kEqual) {
      uint32_t vs = symbols_->Find(m.value());
      uint32_t idx =
          vs == SymbolTable::kNone ? UINT32_MAX : pair_index_.Find(PairKey(name->name, vs));
      if (idx == UINT32_MAX) return NewBitmap();
      intersect.push_back(Bitmap(roaring_bitmap_copy(pairs_[idx].bm)));
      continue;
    }
    if (m.type() == MatchType::kRegexMatch && !m.SetMatches().empty()) {
      std::vector<const roaring_bitmap_t*> parts;
      for (const std::string& v : m.SetMatches()) {
        uint32_t vs = symbols_->Find(v);
        if (vs == SymbolTable::kNone) continue;
        uint32_t idx = pair_index_.Find(PairKey(name->name, vs));
        if (idx != UINT32_MAX) parts.push_back(pairs_[idx].bm);
      }
      if (parts.empty()) return NewBitmap();
      intersect.push_back(Bitmap(roaring_bitmap_or_many(parts.size(), parts.data())));
      continue;
    }
    Bitmap b = UnionWhere(*name, [&](std::string_view v) { return m.Matches(v); });
    if (roaring_bitmap_is_empty(b.get())) return b;
    intersect.push_back(std::move(b));
  }
  Bitmap out;
  if (intersect.empty()) {
    out.reset(roaring_bitmap_copy(all_));
  } else {
    std::sort(intersect.begin(), intersect.end(), [](const Bitmap& a, const Bitmap& b) {
      return roaring_bitmap_get_cardinality(a.get()) < roaring_bitmap_get_cardinality(b.get());
    });
    out = std::move(intersect[0]);
    for (size_t i = 1; i < intersect.size() && !roaring_bitmap_is_empty(out.get()); ++i) {
      roaring_bitmap_and_inplace(out.get(), intersect[i].get());
    }
  }
  for (const Bitmap& s : subtract) {
    if (roaring_bitmap_is_empty(out.get())) break;
    roaring_bitmap_andnot_inplace(out.get(), s.get());
  }
  return out;
}

std::vector<std::string> PostingsIndex::LabelValues(std::string_view name,
                                                    const roaring_bitmap_t* filter) const {
  std::vector<std::string> out;
  const Name* n = FindName(symbols_->Find(name));
  if (n == nullptr) return out;
  for (uint32_t idx : n->pairs) {
    const roaring_bitmap_t* bm = pairs_[idx].bm;
    bool keep = filter ? roaring_bitmap_intersect(bm, filter) : !roaring_bitmap_is_empty(bm);
    if (keep) out.emplace_back(symbols_->Get(pairs_[idx].value));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> PostingsIndex::LabelNames(const roaring_bitmap_t* filter) const {
  std::vector<std::string> out;
  for (const Name& n : names_) {
    for (uint32_t idx : n.pairs) {
      const roaring_bitmap_t* bm = pairs_[idx].bm;
      bool keep = filter ? roaring_bitmap_intersect(bm, filter) : !roaring_bitmap_is_empty(bm);
      if (keep) {
        out.emplace_back(symbols_->Get(n.name));
        break;
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

void PostingsIndex::RunOptimize() {
  for (Pair& p : pairs_) {
    roaring_bitmap_run_optimize(p.bm);
    roaring_bitmap_shrink_to_fit(p.bm);
  }
  roaring_bitmap_run_optimize(all_);
  roaring_bitmap_shrink_to_fit(all_);
}

size_t PostingsIndex::BitmapBytes(const roaring_bitmap_t* b) {
  roaring_statistics_t st;
  roaring_bitmap_statistics(b, &st);
  // The bitmap struct, its key/container/typecode arrays and one header per container.
  return sizeof(roaring_bitmap_t) + size_t(b->high_low_container.allocation_size) * 11 +
         size_t(st.n_containers) * 16 + st.n_bytes_array_containers + st.n_bytes_run_containers +
         st.n_bytes_bitset_containers;
}

size_t PostingsIndex::MemoryBytes() const {
  size_t n = pairs_.capacity() * sizeof(Pair) + pair_index_.MemoryBytes() +
             name_index_.MemoryBytes() + names_.capacity() * sizeof(Name) + BitmapBytes(all_);
  for (const Pair& p : pairs_) n += BitmapBytes(p.bm);
  for (const Name& nm : names_) n += nm.pairs.capacity() * sizeof(uint32_t);
  return n;
}

PostingsStats PostingsIndex::Stats(size_t limit) const {
  PostingsStats st;
  TopN metrics(limit), values(limit), memory(limit), pairs(limit);
  uint32_t metric_name = symbols_->Find(kMetricName);
  for (const Name& n : names_) {
    std::string_view name = symbols_->Get(n.name);
    uint64_t nvalues = 0, bytes = 0;
    for (uint32_t idx : n.pairs) {
      uint64_t c = roaring_bitmap_get_cardinality(pairs_[idx].bm);
      if (c == 0) continue;
      ++nvalues;
      ++st.num_label_pairs;
      std::string_view value = symbols_->Get(pairs_[idx].value);
      bytes += value.size() * c;
      pairs.Push(c, std::string(name) + "=" + std::string(value));
      if (n.name == metric_name) metrics.Push(c, value);
    }
    if (nvalues == 0) continue;
    values.Push(nvalues, name);
    memory.Push(bytes, name);
  }
  st.series_count_by_metric_name = metrics.Take();
  st.label_value_count_by_label_name = values.Take();
  st.memory_in_bytes_by_label_name = memory.Take();
  st.series_count_by_label_value_pair = pairs.Take();
  return st;
}

}  // namespace vigil::tsdb
