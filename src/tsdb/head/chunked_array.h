// ChunkedArray<T>: a growable array of trivially copyable T whose elements never move.
//
// Storage is a directory of fixed-size pages (2^kPageShift elements each). The directory
// and the pages are anonymous mmap()s, so untouched memory costs no RSS and growth never
// copies existing elements (no 2x spike when a 1M-element array grows). Elements start
// zero-filled; T must treat all-zero bytes as its empty state.
//
// Thread-safety: EnsureSize() must be serialised by the owner (one writer). Elements below a
// size that was published to readers (with release/acquire ordering, e.g. by a mutex or an
// atomic count) may be read concurrently with EnsureSize(): page pointers are published with
// release stores and read with acquire loads. Access to an element's contents is the owner's
// business (the head guards series state with striped locks).
#pragma once

#include <sys/mman.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <type_traits>

#include "base/logging.h"

namespace vigil::tsdb {

// Allocates `bytes` of zero-filled anonymous memory (lazily committed by the kernel).
// Aborts on failure: address space exhaustion is not recoverable here.
inline void* MapZeroed(size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    std::fprintf(stderr, "mmap of %zu bytes failed: %s\n", bytes, std::strerror(errno));
    std::abort();
  }
  return p;
}
inline void Unmap(void* p, size_t bytes) {
  if (p != nullptr) munmap(p, bytes);
}

template <typename T, int kPageShift = 16>
class ChunkedArray {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  static constexpr size_t kPageSize = size_t(1) << kPageShift;
  static constexpr size_t kMaxPages = size_t(1) << (32 - kPageShift);  // up to 2^32 elements

  ChunkedArray() : dir_(static_cast<T**>(MapZeroed(kMaxPages * sizeof(T*)))) {}
  ~ChunkedArray() {
    for (size_t i = 0; i < pages_.load(); ++i) Unmap(dir_[i], kPageSize * sizeof(T));
    Unmap(dir_, kMaxPages * sizeof(T*));
  }
  ChunkedArray(const ChunkedArray&) = delete;
  ChunkedArray& operator=(const ChunkedArray&) = delete;

  // Makes [0, n) addressable. New elements are zero. Single writer.
  void EnsureSize(size_t n) {
    VIGIL_CHECK(n <= kMaxPages * kPageSize);
    size_t pages = pages_.load(std::memory_order_relaxed);
    while (pages * kPageSize < n) {
      T* page = static_cast<T*>(MapZeroed(kPageSize * sizeof(T)));
      std::atomic_ref<T*>(dir_[pages]).store(page, std::memory_order_release);
      pages_.store(++pages, std::memory_order_relaxed);
    }
  }
  size_t capacity() const { return pages_.load(std::memory_order_relaxed) * kPageSize; }

  // Element i; i must be below a size published by EnsureSize().
  T& operator[](size_t i) const {
    T* page = std::atomic_ref<T*>(dir_[i >> kPageShift]).load(std::memory_order_acquire);
    return page[i & (kPageSize - 1)];
  }

  // Bytes of address space reserved for pages (RSS may be lower for untouched pages).
  size_t ReservedBytes() const { return capacity() * sizeof(T); }

 private:
  T** dir_;
  std::atomic<size_t> pages_{0};  // written by the single writer only
};

}  // namespace vigil::tsdb
