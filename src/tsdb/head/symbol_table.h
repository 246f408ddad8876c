// SymbolTable: interns every label name and value of the head once and gives it a dense
// uint32 id.
//
// Layout: the bytes of each string live in a ByteArena as [uvarint length][bytes]; an id
// maps to that address through a ChunkedArray of pointers (8 B per symbol); a string maps
// to its id through an open-addressing table of {32-bit hash, id} slots (8 B per slot,
// load factor <= 0.7). Ids are handed out in first-seen order, so label names (which
// appear in the first series) get one-byte varint ids in packed label sets.
// Symbols are never removed one by one: head GC (a later step) rebuilds the table.
//
// Thread-safety: none inside. The head calls Intern() under its index writer lock and
// Find()/Get() under its reader or writer lock.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "tsdb/head/byte_arena.h"
#include "tsdb/head/chunked_array.h"

namespace vigil::tsdb {

class SymbolTable {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  SymbolTable();

  // The id of `s`, adding it if new.
  uint32_t Intern(std::string_view s);
  // The id of `s`, or kNone if it was never interned.
  uint32_t Find(std::string_view s) const;
  // The string of an id returned by Intern(); valid for the table's lifetime.
  std::string_view Get(uint32_t id) const;

  uint32_t size() const { return size_; }
  // Heap bytes: string arena, id->string pointers and the hash table.
  size_t MemoryBytes() const;
  // Bytes of string data alone (for stats).
  size_t StringBytes() const { return arena_.UsedBytes(); }

 private:
  struct Slot {
    uint32_t hash;  // high 32 bits of the 64-bit hash
    uint32_t id1;   // id + 1; 0 = empty
  };
  void Grow();

  ByteArena arena_;
  ChunkedArray<const char*, 14> strings_;
  std::vector<Slot> slots_;
  uint32_t size_ = 0;
};

}  // namespace vigil::tsdb
