#include "tsdb/head/symbol_table.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "base/coding.h"

namespace vigil::tsdb {
namespace {

uint32_t Hash32(std::string_view s) { return uint32_t(XXH3_64bits(s.data(), s.size()) >> 32); }

std::string_view Decode(const char* p) {
  uint32_t n = 0;
  int shift = 0;
  while (true) {
    uint8_t b = uint8_t(*p++);
    n |= uint32_t(b & 0x7f) << shift;
    if (b < 0x80) break;
    shift += 7;
  }
  return std::string_view(p, n);
}

}  // namespace

SymbolTable::SymbolTable() : slots_(1024) {}

std::string_view SymbolTable::Get(uint32_t id) const { return Decode(strings_[id]); }

uint32_t SymbolTable::Find(std::string_view s) const {
  uint32_t h = Hash32(s);
  size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.id1 == 0) return kNone;
    if (slot.hash == h && Get(slot.id1 - 1) == s) return slot.id1 - 1;
  }
}

uint32_t SymbolTable::Intern(std::string_view s) {
  uint32_t h = Hash32(s);
  size_t mask = slots_.size() - 1;
  size_t i = h & mask;
  for (;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.id1 == 0) break;
    if (slot.hash == h && Get(slot.id1 - 1) == s) return slot.id1 - 1;
  }
  uint32_t id = size_;
  char len[10];
  size_t n = 0;
  for (uint64_t v = s.size();; v >>= 7) {
    if (v < 0x80) {
      len[n++] = char(v);
      break;
    }
    len[n++] = char(v | 0x80);
  }
  char* p = arena_.Alloc(n + s.size());
  std::memcpy(p, len, n);
  std::memcpy(p + n, s.data(), s.size());
  strings_.EnsureSize(size_t(id) + 1);
  strings_[id] = p;
  slots_[i] = Slot{h, id + 1};
  ++size_;
  if (size_t(size_) * 10 > slots_.size() * 7) Grow();
  return id;
}

void SymbolTable::Grow() {
  std::vector<Slot> old(slots_.size() * 2);
  old.swap(slots_);
  size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.id1 == 0) continue;
    size_t i = s.hash & mask;
    while (slots_[i].id1 != 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

size_t SymbolTable::MemoryBytes() const {
  return arena_.MemoryBytes() + size_t(size_) * sizeof(const char*) +
         slots_.capacity() * sizeof(Slot);
}

}  // namespace vigil::tsdb
