// VerifyBlock: a full integrity check of a block directory for `vigil tool tsdb verify`.
// Reports every damage it finds with the file, the section and the byte offset:
//  * meta.json: parses, version 1, ULID valid and equal to the directory name, minTime <
//    maxTime, compaction level >= 1, statistics equal to what index and chunks hold;
//  * index: TOC, symbol table, every series entry, label index and postings list (CRC and
//    structure), postings agreeing with the series (IndexReader::Verify);
//  * chunks/: file headers and names, every chunk record's CRC (walking each file), every
//    chunk the index references: present, XOR-decodable, its first and last timestamps equal
//    to the index's mint and maxt, inside the block's [minTime, maxTime);
//  * tombstones: present, magic, version, CRC.
// Reads every byte of the block through read-only mappings; never modifies it. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fs/file_system.h"

namespace vigil::tsdb::block {

struct BlockProblem {
  std::string file;     // relative to the block: "meta.json", "index", "chunks/000001", ...
  std::string section;  // "series", "postings", "chunk", ... ("" when the file as a whole)
  int64_t offset = -1;  // byte offset in the file, -1 when not applicable
  std::string what;
  // "index: series at offset 1234: checksum mismatch"
  std::string ToString() const;
};

struct BlockVerifyResult {
  std::vector<BlockProblem> problems;            // empty: the block is intact
  uint64_t series = 0, chunks = 0, samples = 0;  // what was found readable
};

BlockVerifyResult VerifyBlock(const std::string& dir, fs::FileSystem* fs = nullptr,
                              size_t max_problems = 100);

}  // namespace vigil::tsdb::block
