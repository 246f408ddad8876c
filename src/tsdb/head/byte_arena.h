// ByteArena: bump allocation of byte strings in 64 KiB pages that never move.
//
// Used for interned label strings and packed label sets. Nothing is freed individually;
// the whole arena is dropped (or rebuilt by head GC) at once. Allocations larger than a
// quarter page get a page of their own so that big strings waste nothing.
// Thread-safety: not thread-safe; the owner serialises Alloc(). Bytes already returned
// stay valid and unchanged until the arena is destroyed.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <vector>

namespace vigil::tsdb {

class ByteArena {
 public:
  static constexpr size_t kPageSize = 64 << 10;

  // Returns n writable bytes, valid until the arena is destroyed.
  char* Alloc(size_t n) {
    if (n > kPageSize / 4) {
      pages_.push_back(std::make_unique_for_overwrite<char[]>(n));
      reserved_ += n;
      used_ += n;
      return pages_.back().get();
    }
    if (cur_ == nullptr || left_ < n) {
      pages_.push_back(std::make_unique_for_overwrite<char[]>(kPageSize));
      cur_ = pages_.back().get();
      left_ = kPageSize;
      reserved_ += kPageSize;
    }
    char* p = cur_;
    cur_ += n;
    left_ -= n;
    used_ += n;
    return p;
  }
  char* Copy(const void* data, size_t n) {
    char* p = Alloc(n);
    std::memcpy(p, data, n);
    return p;
  }

  size_t UsedBytes() const { return used_; }
  // Bytes held by pages plus the page table.
  size_t MemoryBytes() const { return reserved_ + pages_.capacity() * sizeof(pages_[0]); }

 private:
  std::vector<std::unique_ptr<char[]>> pages_;
  char* cur_ = nullptr;
  size_t left_ = 0;
  size_t reserved_ = 0;
  size_t used_ = 0;
};

}  // namespace vigil::tsdb
