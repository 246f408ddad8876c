// IndexTable: an open-addressing hash set of uint32 indices into a caller's array, for maps
// whose key already lives in the element (the scrape cache's key -> entry and label-hash ->
// entry maps). 4 bytes per slot, load factor at most 1/2, linear probing, backward-shift
// deletion (no tombstones), so a table of n elements costs 8-16 bytes per element instead
// of the ~50 of a node-based std::unordered_map.
//
// The table stores no hashes: every call that may move elements takes `hash_of(index)`,
// which must return the same 64-bit hash the element was inserted with.
//
// Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace vigil::scrape {

class IndexTable {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  // The first stored index i with hash h for which match(i) is true, or kNone.
  template <typename Match>
  uint32_t Find(uint64_t h, Match&& match) const {
    if (slots_.empty()) return kNone;
    for (size_t p = h & mask_;; p = (p + 1) & mask_) {
      uint32_t i = slots_[p];
      if (i == kNone) return kNone;
      if (match(i)) return i;
    }
  }

  // Adds index i (hash h). Does not check for duplicates.
  template <typename HashOf>
  void Insert(uint64_t h, uint32_t i, HashOf&& hash_of) {
    if ((size_ + 1) * 2 > slots_.size()) Grow(hash_of);
    size_t p = h & mask_;
    while (slots_[p] != kNone) p = (p + 1) & mask_;
    slots_[p] = i;
    ++size_;
  }

  // Removes index i (inserted with hash h). Returns false if it is not stored.
  template <typename HashOf>
  bool Erase(uint64_t h, uint32_t i, HashOf&& hash_of) {
    if (slots_.empty()) return false;
    size_t p = h & mask_;
    while (slots_[p] != i) {
      if (slots_[p] == kNone) return false;
      p = (p + 1) & mask_;
    }
    // Backward shift: pull later elements of the probe run into the hole when their home
    // slot does not lie cyclically in (hole, their slot].
    size_t hole = p;
    for (size_t q = (p + 1) & mask_; slots_[q] != kNone; q = (q + 1) & mask_) {
      size_t home = hash_of(slots_[q]) & mask_;
      bool stays = hole <= q ? (hole < home && home <= q) : (hole < home || home <= q);
      if (stays) continue;
      slots_[hole] = slots_[q];
      hole = q;
    }
    slots_[hole] = kNone;
    --size_;
    return true;
  }

  void Clear() {
    slots_.clear();
    slots_.shrink_to_fit();
    mask_ = 0;
    size_ = 0;
  }
  size_t size() const { return size_; }
  size_t bytes() const { return slots_.capacity() * sizeof(uint32_t); }

 private:
  template <typename HashOf>
  void Grow(HashOf&& hash_of) {
    std::vector<uint32_t> old;
    old.swap(slots_);
    slots_.assign(old.empty() ? 16 : old.size() * 2, kNone);
    mask_ = slots_.size() - 1;
    for (uint32_t i : old) {
      if (i == kNone) continue;
      size_t p = hash_of(i) & mask_;
      while (slots_[p] != kNone) p = (p + 1) & mask_;
      slots_[p] = i;
    }
  }

  std::vector<uint32_t> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace vigil::scrape
