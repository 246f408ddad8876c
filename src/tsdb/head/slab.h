// Slab: fixed-size cells for the head's open chunks and chunk-ref lists, in size classes
// 32..1024 bytes spaced by ~1.2x so a growing chunk wastes ~10% on average. A cell is named
// by a 32-bit handle (class << 27 | index + 1); 0 is "no cell".
//
// Each class keeps its cells dense: freeing a cell moves the class' last cell into the
// hole (through the Relocator, which updates the one reference to it) and unmaps pages
// that fall off the end. Without this, series that grow their open chunks in lockstep (all
// scraped at the same interval) would leave every smaller class full of free cells: a
// free-list slab measured ~300 B/series of dead cells at 1M series. The price is a 4-byte
// owner tag per cell. If the relocator cannot take the owner's lock right away, the hole
// is kept on a free list and reused by the next Alloc of that class.
//
// Pages (4096 cells) come from anonymous mmap and are committed lazily.
//
// Thread-safety: Alloc/Free take a per-class mutex and may call the Relocator with it
// held; the Relocator must not block on locks that a caller of Alloc/Free may hold while
// waiting for this mutex (the head uses try-lock on series stripes). Cell contents are
// not synchronised here: the head touches a cell only under its owner's stripe lock, and a
// cell is moved only under that lock too. Data() may be called concurrently with
// Alloc/Free for live handles.
#pragma once

#include <sys/mman.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "base/mutex.h"
#include "tsdb/head/chunked_array.h"

namespace vigil::tsdb {

class Slab {
 public:
  static constexpr int kNumClasses = 21;
  // clang-format off
  static constexpr std::array<uint32_t, kNumClasses> kClassBytes = {
      32,  40,  48,  56,  64,  80,  96,  112, 128, 160, 192,
      224, 256, 320, 384, 448, 512, 640, 768, 896, 1024};
  // clang-format on
  static constexpr uint32_t kMaxCellBytes = 1024;
  static constexpr uint32_t kFreeOwner = UINT32_MAX;

  // Moves cell `from` to `to` for `owner` (an opaque tag given to Alloc): copies the bytes
  // and updates the owner's reference. `held` is the caller's context passed to Free().
  // Returns false (nothing changed) if the owner cannot be locked right now.
  class Relocator {
   public:
    virtual ~Relocator() = default;
    virtual bool Relocate(uint32_t owner, uint32_t from, uint32_t to, uint32_t held) = 0;
  };

  explicit Slab(Relocator* relocator = nullptr) : relocator_(relocator) {}
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

  // A cell of class c owned by `owner` (contents unspecified). Aborts on address-space
  // exhaustion, like any allocator.
  uint32_t Alloc(int c, uint32_t owner);
  // Frees a cell; may relocate another cell of the class into it (see Relocator).
  void Free(uint32_t handle, uint32_t held);
  // Changes the owner tag of a live cell.
  void SetOwner(uint32_t handle, uint32_t owner) {
    int c = ClassOf(handle);
    MutexLock l(&classes_[c].mu);
    owners_[c][(handle & kIndexMask) - 1] = owner;
  }
  uint8_t* Data(uint32_t handle) const {
    const Class& k = classes_[ClassOf(handle)];
    uint32_t idx = (handle & kIndexMask) - 1;
    uint8_t* page =
        std::atomic_ref<uint8_t*>(k.pages[idx >> kPageShift]).load(std::memory_order_acquire);
    return page + size_t(idx & (kCellsPerPage - 1)) * kClassBytes[ClassOf(handle)];
  }

  // Bytes of cells handed out and not freed.
  size_t UsedBytes() const { return used_bytes_.load(std::memory_order_relaxed); }
  // Bytes of cells below each class' high-water mark (live cells + holes) plus owner tags:
  // what the slab keeps resident.
  size_t MemoryBytes() const { return resident_bytes_.load(std::memory_order_relaxed); }

 private:
  static constexpr int kPageShift = 12;
  static constexpr uint32_t kCellsPerPage = 1u << kPageShift;
  static constexpr uint32_t kIndexMask = (1u << 27) - 1;
  static constexpr size_t kMaxPages = (size_t(1) << 27) / kCellsPerPage;
  struct Class {
    Mutex mu;
    uint8_t** pages = nullptr;                    // kMaxPages entries, mmapped lazily
    uint32_t num_cells VIGIL_GUARDED_BY(mu) = 0;  // high-water mark (live + holes)
    uint32_t mapped_pages VIGIL_GUARDED_BY(mu) = 0;
    bool spare_released VIGIL_GUARDED_BY(mu) = false;  // last page returned with DONTNEED
    std::vector<uint32_t> holes VIGIL_GUARDED_BY(mu);  // maybe-stale free indexes
  };
  uint32_t Handle(int c, uint32_t idx) const { return (uint32_t(c) << 27) | (idx + 1); }
  void TrimLocked(int c, Class& k) VIGIL_REQUIRES(k.mu);

  Relocator* relocator_;
  mutable std::array<Class, kNumClasses> classes_;
  std::array<ChunkedArray<uint32_t, 16>, kNumClasses> owners_;  // per class, per cell
  std::atomic<size_t> used_bytes_{0};
  std::atomic<size_t> resident_bytes_{0};
};

inline Slab::~Slab() {
  for (int c = 0; c < kNumClasses; ++c) {
    Class& k = classes_[c];
    if (k.pages == nullptr) continue;
    for (size_t p = 0; p < kMaxPages; ++p) {
      if (k.pages[p] != nullptr) Unmap(k.pages[p], size_t(kCellsPerPage) * kClassBytes[c]);
    }
    Unmap(k.pages, kMaxPages * sizeof(uint8_t*));
  }
}

inline uint32_t Slab::Alloc(int c, uint32_t owner) {
  Class& k = classes_[c];
  uint32_t bytes = kClassBytes[c];
  MutexLock l(&k.mu);
  used_bytes_.fetch_add(bytes, std::memory_order_relaxed);
  while (!k.holes.empty()) {
    uint32_t idx = k.holes.back();
    k.holes.pop_back();
    if (idx < k.num_cells && owners_[c][idx] == kFreeOwner) {
      owners_[c][idx] = owner;
      return Handle(c, idx);
    }
  }
  uint32_t idx = k.num_cells;
  VIGIL_CHECK(idx + 1 < kIndexMask);
  if (k.pages == nullptr) {
    k.pages = static_cast<uint8_t**>(MapZeroed(kMaxPages * sizeof(uint8_t*)));
  }
  if (idx >= k.mapped_pages * kCellsPerPage) {
    auto* page = static_cast<uint8_t*>(MapZeroed(size_t(kCellsPerPage) * bytes));
    std::atomic_ref<uint8_t*>(k.pages[k.mapped_pages]).store(page, std::memory_order_release);
    ++k.mapped_pages;
  }
  if (idx >= (k.mapped_pages - 1) * kCellsPerPage) k.spare_released = false;
  owners_[c].EnsureSize(size_t(idx) + 1);
  owners_[c][idx] = owner;
  ++k.num_cells;
  resident_bytes_.fetch_add(bytes + 4, std::memory_order_relaxed);
  return Handle(c, idx);
}

inline void Slab::TrimLocked(int c, Class& k) {
  uint32_t bytes = kClassBytes[c];
  while (k.num_cells > 0 && owners_[c][k.num_cells - 1] == kFreeOwner) {
    --k.num_cells;
    resident_bytes_.fetch_sub(bytes + 4, std::memory_order_relaxed);
  }
  // Unmap pages past the high-water mark, keeping one spare page against thrashing.
  while (k.mapped_pages >= 2 && size_t(k.mapped_pages - 2) * kCellsPerPage >= k.num_cells) {
    --k.mapped_pages;
    uint8_t* page = k.pages[k.mapped_pages];
    std::atomic_ref<uint8_t*>(k.pages[k.mapped_pages]).store(nullptr, std::memory_order_release);
    Unmap(page, size_t(kCellsPerPage) * bytes);
    k.spare_released = false;
  }
  // The spare page holds only dead cells: give its memory back but keep the mapping (up to
  // 4 MiB per class; ~25 MiB over all classes once every class has grown and shrunk, which
  // series growing their open chunks in lockstep do all the time).
  if (k.mapped_pages >= 1 && size_t(k.mapped_pages - 1) * kCellsPerPage >= k.num_cells &&
      !k.spare_released) {
    madvise(k.pages[k.mapped_pages - 1], size_t(kCellsPerPage) * bytes, MADV_DONTNEED);
    k.spare_released = true;
  }
}

inline void Slab::Free(uint32_t handle, uint32_t held) {
  if (handle == 0) return;
  int c = ClassOf(handle);
  Class& k = classes_[c];
  uint32_t bytes = kClassBytes[c];
  used_bytes_.fetch_sub(bytes, std::memory_order_relaxed);
  MutexLock l(&k.mu);
  uint32_t idx = (handle & kIndexMask) - 1;
  owners_[c][idx] = kFreeOwner;
  TrimLocked(c, k);
  if (idx >= k.num_cells) return;  // it was the tail
  uint32_t last = k.num_cells - 1;
  uint32_t owner = owners_[c][last];
  if (relocator_ != nullptr && relocator_->Relocate(owner, Handle(c, last), handle, held)) {
    owners_[c][idx] = owner;
    owners_[c][last] = kFreeOwner;
    TrimLocked(c, k);
  } else {
    k.holes.push_back(idx);
  }
}

}  // namespace vigil::tsdb
