// SeriesHash: label-set hash -> series id, an open-addressing table of 8-byte slots
// {upper 32 bits of the 64-bit label hash, id}. Collisions (equal 32-bit fragments) are
// resolved by the caller's label comparison. Linear probing, load factor <= 0.75, grows by
// doubling (rehash needs only the stored fragment, never the labels). Deletion uses
// backward-shift so no tombstones accumulate under churn.
//
// Thread-safety: none inside; the head guards it with its index lock.
#pragma once

#include <cstdint>
#include <vector>

namespace vigil::tsdb {

class SeriesHash {
 public:
  static constexpr uint32_t kNone = 0;  // series ids start at 1

  SeriesHash() : slots_(1024) {}

  // The id whose fragment matches `hash` and for which eq(id) is true, or kNone.
  template <typename Eq>
  uint32_t Find(uint64_t hash, Eq&& eq) const {
    uint32_t h = uint32_t(hash >> 32);
    size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.id == kNone) return kNone;
      if (s.hash == h && eq(s.id)) return s.id;
    }
  }

  // Inserts id (not present yet) under hash.
  void Insert(uint64_t hash, uint32_t id) {
    if ((size_ + 1) * 4 > slots_.size() * 3) Grow();
    Place(Slot{uint32_t(hash >> 32), id});
    ++size_;
  }

  // Removes the entry (hash, id) if present.
  void Erase(uint64_t hash, uint32_t id) {
    uint32_t h = uint32_t(hash >> 32);
    size_t mask = slots_.size() - 1;
    size_t i = h & mask;
    for (;; i = (i + 1) & mask) {
      if (slots_[i].id == kNone) return;
      if (slots_[i].id == id && slots_[i].hash == h) break;
    }
    // Backward-shift deletion.
    size_t j = i;
    while (true) {
      j = (j + 1) & mask;
      if (slots_[j].id == kNone) break;
      size_t home = slots_[j].hash & mask;
      // Move j into the hole at i if its home is not in (i, j] cyclically.
      bool in_range = i <= j ? (home > i && home <= j) : (home > i || home <= j);
      if (!in_range) {
        slots_[i] = slots_[j];
        i = j;
      }
    }
    slots_[i] = Slot{0, kNone};
    --size_;
  }

  size_t size() const { return size_; }
  size_t MemoryBytes() const { return slots_.capacity() * sizeof(Slot); }

 private:
  struct Slot {
    uint32_t hash;
    uint32_t id;
  };
  void Place(Slot s) {
    size_t mask = slots_.size() - 1;
    size_t i = s.hash & mask;
    while (slots_[i].id != kNone) i = (i + 1) & mask;
    slots_[i] = s;
  }
  void Grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    for (const Slot& s : old) {
      if (s.id != kNone) Place(s);
    }
  }

  std::vector<Slot> slots_;
  size_t size_ = 0;
};

}  // namespace vigil::tsdb
