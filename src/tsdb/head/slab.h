// Slab: fixed-size cells for the head's open chunks (and other small per-series buffers),
// in size classes 32..1024 bytes spaced by ~1.5x so a growing chunk wastes ~17% on average.
// A cell is named by a 32-bit handle (class << 27 | index + 1); 0 is "no cell".
//
// Each class is a ChunkedArray-like set of pages of 4096 cells, from anonymous mmap (lazily
// committed). Freed cells form an intrusive free list (the first 4 bytes of a free cell
// hold the next free index), so the slab spends no memory on bookkeeping per cell.
//
// Thread-safety: Alloc/Free take a per-class mutex. Cell contents are not synchronised
// here: the head only touches a series' cell under that series' stripe lock, and a cell is
// reused only after its owner freed it under the same kind of lock. Data() is safe to call
// concurrently with Alloc() of other cells (pages never move).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "base/mutex.h"
#include "tsdb/head/chunked_array.h"

namespace vigil::tsdb {

class Slab {
 public:
  static constexpr int kNumClasses = 11;
  static constexpr std::array<uint32_t, kNumClasses> kClassBytes = {32,  48,  64,  96,  128, 192,
                                                                    256, 384, 512, 768, 1024};
  static constexpr uint32_t kMaxCellBytes = 1024;

  Slab() = default;
  ~Slab();
  Slab(const Slab&) = delete;
  Slab& operator=(const Slab&) = delete;

  // The smallest class holding `bytes` (<= kMaxCellBytes), or -1.
  static int ClassFor(size_t bytes) {
    for (int c = 0; c < kNumClasses; ++c) {
      if (kClassBytes[c] >= bytes) return c;
    }
    return -1;
  }
  static int ClassOf(uint32_t handle) { return int(handle >> 27); }
  static uint32_t CellBytes(uint32_t handle) { return kClassBytes[ClassOf(handle)]; }

  // A cell of class c (contents unspecified). Never fails (aborts on address-space
  // exhaustion, like any allocator).
  uint32_t Alloc(int c);
  void Free(uint32_t handle);
  uint8_t* Data(uint32_t handle) const {
    const Class& k = classes_[ClassOf(handle)];
    uint32_t idx = (handle & kIndexMask) - 1;
    uint8_t* page =
        std::atomic_ref<uint8_t*>(k.pages[idx >> kPageShift]).load(std::memory_order_acquire);
    return page + size_t(idx & (kCellsPerPage - 1)) * kClassBytes[ClassOf(handle)];
  }

  // Bytes of cells handed out and not freed.
  size_t UsedBytes() const { return used_bytes_.load(std::memory_order_relaxed); }
  // Bytes of all cells ever created (used + free list).
  size_t MemoryBytes() const { return reserved_bytes_.load(std::memory_order_relaxed); }

 private:
  static constexpr int kPageShift = 12;
  static constexpr uint32_t kCellsPerPage = 1u << kPageShift;
  static constexpr uint32_t kIndexMask = (1u << 27) - 1;
  static constexpr size_t kMaxPages = (size_t(1) << 27) / kCellsPerPage;
  struct Class {
    Mutex mu;
    uint8_t** pages = nullptr;  // kMaxPages entries, mmapped lazily
    uint32_t num_cells VIGIL_GUARDED_BY(mu) = 0;
    uint32_t free_head VIGIL_GUARDED_BY(mu) = 0;  // index + 1; 0 = empty
  };
  mutable std::array<Class, kNumClasses> classes_;
  std::atomic<size_t> used_bytes_{0};
  std::atomic<size_t> reserved_bytes_{0};
};

inline Slab::~Slab() {
  for (int c = 0; c < kNumClasses; ++c) {
    Class& k = classes_[c];
    if (k.pages == nullptr) continue;
    for (size_t p = 0; p < kMaxPages && k.pages[p] != nullptr; ++p) {
      Unmap(k.pages[p], size_t(kCellsPerPage) * kClassBytes[c]);
    }
    Unmap(k.pages, kMaxPages * sizeof(uint8_t*));
  }
}

inline uint32_t Slab::Alloc(int c) {
  Class& k = classes_[c];
  uint32_t bytes = kClassBytes[c];
  uint32_t handle;
  {
    MutexLock l(&k.mu);
    if (k.free_head != 0) {
      handle = (uint32_t(c) << 27) | k.free_head;
      uint32_t next;
      std::memcpy(&next, Data(handle), 4);
      k.free_head = next;
    } else {
      uint32_t idx = k.num_cells;
      VIGIL_CHECK(idx + 1 < kIndexMask);
      if (k.pages == nullptr) {
        k.pages = static_cast<uint8_t**>(MapZeroed(kMaxPages * sizeof(uint8_t*)));
      }
      if ((idx & (kCellsPerPage - 1)) == 0) {
        auto* page = static_cast<uint8_t*>(MapZeroed(size_t(kCellsPerPage) * bytes));
        std::atomic_ref<uint8_t*>(k.pages[idx >> kPageShift])
            .store(page, std::memory_order_release);
      }
      ++k.num_cells;
      reserved_bytes_.fetch_add(bytes, std::memory_order_relaxed);
      handle = (uint32_t(c) << 27) | (idx + 1);
    }
  }
  used_bytes_.fetch_add(bytes, std::memory_order_relaxed);
  return handle;
}

inline void Slab::Free(uint32_t handle) {
  if (handle == 0) return;
  int c = ClassOf(handle);
  Class& k = classes_[c];
  used_bytes_.fetch_sub(kClassBytes[c], std::memory_order_relaxed);
  MutexLock l(&k.mu);
  uint32_t next = k.free_head;
  std::memcpy(Data(handle), &next, 4);
  k.free_head = handle & kIndexMask;
}

}  // namespace vigil::tsdb
