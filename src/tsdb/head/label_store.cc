#include "tsdb/head/label_store.h"

#include <algorithm>
#include <cstring>

namespace vigil::tsdb {
namespace {

void PutUvarint(std::vector<uint8_t>* b, uint32_t v) {
  while (v >= 0x80) {
    b->push_back(uint8_t(v | 0x80));
    v >>= 7;
  }
  b->push_back(uint8_t(v));
}

}  // namespace

void LabelStore::DecodeFull(const uint8_t* p, std::vector<SymPair>* out) const {
  out->clear();
  uint32_t h = ReadUvarint(&p);
  for (uint32_t i = 0, n = h >> 1; i < n; ++i) {
    uint32_t name = ReadUvarint(&p);
    uint32_t value = ReadUvarint(&p);
    out->emplace_back(name, value);
  }
}

uint32_t LabelStore::Add(const std::vector<SymPair>& pairs, uint32_t* base) {
  // Full encoding.
  buf_.clear();
  PutUvarint(&buf_, uint32_t(pairs.size()) << 1);
  for (const auto& [n, v] : pairs) {
    PutUvarint(&buf_, n);
    PutUvarint(&buf_, v);
  }
  size_t full_size = buf_.size();
  bool derived = false;
  // Derived encoding against the hint, if it could pay off. Pairs are sorted by name string
  // in both sets, but the sort key is not available here, so match names by symbol with a
  // two-pointer walk over the base that tolerates gaps: both lists use the same order, so
  // equal names appear in the same relative order.
  if (*base != kNoBase && *base < next_ && full_size > 8) {
    DecodeFull(At(*base), &base_scratch_);
    const auto& b = base_scratch_;
    std::vector<uint8_t> sets, dels;
    uint32_t nset = 0, ndel = 0;
    size_t bi = 0;
    for (const auto& [n, v] : pairs) {
      // Find n in the base from bi on; names missing in between are deletions.
      size_t j = bi;
      while (j < b.size() && b[j].first != n) ++j;
      if (j == b.size()) {  // not in base: a set pair
        PutUvarint(&sets, n);
        PutUvarint(&sets, v);
        ++nset;
        continue;
      }
      for (; bi < j; ++bi) {
        PutUvarint(&dels, b[bi].first);
        ++ndel;
      }
      if (b[j].second != v) {
        PutUvarint(&sets, n);
        PutUvarint(&sets, v);
        ++nset;
      }
      bi = j + 1;
    }
    for (; bi < b.size(); ++bi) {
      PutUvarint(&dels, b[bi].first);
      ++ndel;
    }
    // Position of the record if written now, to compute the distance to the base.
    uint64_t pos = next_;
    std::vector<uint8_t> d;
    for (int attempt = 0; attempt < 2; ++attempt) {
      d.clear();
      PutUvarint(&d, uint32_t(((pos - *base) << 1) | 1));
      PutUvarint(&d, nset);
      d.insert(d.end(), sets.begin(), sets.end());
      PutUvarint(&d, ndel);
      d.insert(d.end(), dels.begin(), dels.end());
      uint64_t in_page = pos & (kPage - 1);
      if (in_page + d.size() <= kPage) break;
      pos = (pos | (kPage - 1)) + 1;  // the record will start on the next page
    }
    // The merge in Decode() needs base order == new order for common names; a set pair
    // that sorts before a kept base pair by string is fine, since Decode orders by string.
    if ((pos - *base) < (uint64_t(1) << 31) && d.size() * 3 < full_size * 2) {
      buf_.swap(d);
      derived = true;
    }
  }
  if (buf_.size() > kMaxRecordBytes) return kNoBase;
  uint64_t pos = next_;
  if ((pos & (kPage - 1)) + buf_.size() > kPage) pos = (pos | (kPage - 1)) + 1;
  if (pos + buf_.size() > (uint64_t(1) << 32)) return kNoBase;
  bytes_.EnsureSize(pos + buf_.size());
  std::memcpy(&bytes_[pos], buf_.data(), buf_.size());
  next_ = pos + buf_.size();
  used_ += buf_.size();
  uint32_t handle = uint32_t(pos);
  if (!derived) *base = handle;
  return handle;
}

}  // namespace vigil::tsdb
