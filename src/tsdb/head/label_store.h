// LabelStore: the label sets of all head series, packed as varint symbol ids in an arena.
//
// A label set is stored once per series and addressed by a 32-bit handle (64 KiB page
// number << 16 | offset in page). Two record forms:
//   full:    uvarint (n << 1)      then n x (uvarint name_sym, uvarint value_sym), by name
//   derived: uvarint (d << 1 | 1)  where d = own handle - base handle (a full record), then
//            uvarint n_set, n_set x (name_sym, value_sym)   pairs added or overriding the base
//            uvarint n_del, n_del x name_sym                names of the base to drop
// Series scraped from one target share most labels (job, instance, namespace, pod, node,
// ...), so a series created right after a similar one is stored as a small diff against a
// recent full record ("base"): with Kubernetes-size label sets this halves the label bytes.
// Bases are always full records, so decoding is one merge, never a chain.
//
// Thread-safety: none inside; the head calls Add() under its index writer lock and
// Decode() under the reader or writer lock. Handles and bytes never move.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "tsdb/head/chunked_array.h"

namespace vigil::tsdb {

// (name symbol, value symbol), sorted by the name's string (Labels order).
using SymPair = std::pair<uint32_t, uint32_t>;

class LabelStore {
 public:
  static constexpr uint32_t kNoBase = UINT32_MAX;
  // Largest encoded record; bigger label sets are refused by the head.
  static constexpr size_t kMaxRecordBytes = 16 << 10;

  // Stores `pairs` (sorted by name string; pairs.size() > 0) and returns its handle.
  // `*base` is a hint: the handle of a full record the caller saw recently (kNoBase if
  // none). If storing a diff against it is much smaller, a derived record is written;
  // otherwise a full one is written and *base is set to it. Returns kNoBase if the
  // record would exceed kMaxRecordBytes.
  uint32_t Add(const std::vector<SymPair>& pairs, uint32_t* base);

  // Appends the pairs of `handle` to *out (cleared first), in stored (name) order.
  // `name_less(a, b)` orders name symbols by their strings; only used for derived records.
  template <typename NameLess>
  void Decode(uint32_t handle, std::vector<SymPair>* out, NameLess&& name_less) const;

  size_t UsedBytes() const { return used_; }
  size_t MemoryBytes() const { return bytes_.ReservedBytes(); }

 private:
  static constexpr size_t kPage = size_t(1) << 16;
  const uint8_t* At(uint32_t handle) const {
    return reinterpret_cast<const uint8_t*>(&bytes_[handle]);
  }
  static uint32_t ReadUvarint(const uint8_t** p) {
    uint32_t v = 0;
    int shift = 0;
    while (true) {
      uint8_t b = *(*p)++;
      v |= uint32_t(b & 0x7f) << shift;
      if (b < 0x80) return v;
      shift += 7;
    }
  }
  void DecodeFull(const uint8_t* p, std::vector<SymPair>* out) const;

  ChunkedArray<char, 16> bytes_;
  uint64_t next_ = 1;  // next free byte position; handle 0 is never used
  size_t used_ = 0;
  std::vector<uint8_t> buf_;           // scratch for encoding
  std::vector<SymPair> base_scratch_;  // scratch for diffing
};

template <typename NameLess>
void LabelStore::Decode(uint32_t handle, std::vector<SymPair>* out, NameLess&& name_less) const {
  out->clear();
  const uint8_t* p = At(handle);
  uint32_t h = ReadUvarint(&p);
  if ((h & 1) == 0) {
    out->reserve(h >> 1);
    for (uint32_t i = 0, n = h >> 1; i < n; ++i) {
      uint32_t name = ReadUvarint(&p);
      uint32_t value = ReadUvarint(&p);
      out->emplace_back(name, value);
    }
    return;
  }
  const uint8_t* base = At(handle - (h >> 1));
  uint32_t bh = ReadUvarint(&base);
  uint32_t nbase = bh >> 1;
  uint32_t nset = ReadUvarint(&p);
  const uint8_t* sets = p;
  for (uint32_t i = 0; i < nset; ++i) {
    ReadUvarint(&p);
    ReadUvarint(&p);
  }
  uint32_t ndel = ReadUvarint(&p);
  const uint8_t* dels = p;
  // Merge base pairs with the set pairs; set pairs win on equal names; deleted names go.
  uint32_t bi = 0, si = 0, di = 0;
  uint32_t bname = 0, bval = 0, sname = 0, sval = 0, dname = 0;
  auto next_base = [&] {
    if (bi < nbase) {
      bname = ReadUvarint(&base);
      bval = ReadUvarint(&base);
    }
  };
  auto next_set = [&] {
    if (si < nset) {
      sname = ReadUvarint(&sets);
      sval = ReadUvarint(&sets);
    }
  };
  auto next_del = [&] {
    if (di < ndel) dname = ReadUvarint(&dels);
  };
  next_base();
  next_set();
  next_del();
  while (bi < nbase || si < nset) {
    bool take_set;
    if (bi >= nbase) {
      take_set = true;
    } else if (si >= nset) {
      take_set = false;
    } else if (bname == sname) {
      ++bi;  // overridden
      next_base();
      continue;
    } else {
      take_set = name_less(sname, bname);
    }
    if (take_set) {
      out->emplace_back(sname, sval);
      ++si;
      next_set();
      continue;
    }
    // Base pair: drop if deleted (dels are in base order).
    if (di < ndel && dname == bname) {
      ++di;
      next_del();
    } else {
      out->emplace_back(bname, bval);
    }
    ++bi;
    next_base();
  }
}

}  // namespace vigil::tsdb
