// IndexWriter: streams a block's `index` file in Prometheus' format version 2, byte for byte
// as Prometheus 2.42 writes it (docs/format/index.md): symbol table, series, label indices,
// postings, label offset table, postings offset table, TOC, each with its CRC32C.
//
// Call order: AddSymbol() for every symbol in ascending byte order, then AddSeries() for every
// series in ascending label order, then Close(). Series entries go to the file as they come.
//
// Memory bound (what stays in RAM until Close):
//  * the symbols: their bytes + 4 B each (a series' names and values are looked up in them);
//  * the postings: per distinct (name, value) pair ~100 B of bookkeeping plus its series ids
//    as varint deltas (1–3 B per (series, label) entry), and 1–2 B per series for the
//    all-postings list;
//  * a write buffer of 1 MiB.
// So a block of 1M series with 15 labels each and 100K distinct pairs needs roughly
// symbols + 10 MB + 25–45 MB. Chunk data never passes through the writer.
//
// Thread-safety: none; one thread drives a writer. The file is complete only after Close()
// returned OK; on an error the caller deletes it (the block writer removes its whole
// temporary directory).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "fs/file_system.h"
#include "model/labels.h"
#include "tsdb/chunks/chunk_series.h"
#include "tsdb/index/format.h"

namespace vigil::tsdb::index {

class IndexWriter {
 public:
  // Creates (or truncates) the index file at `path`. IOError if it cannot be created.
  static Result<std::unique_ptr<IndexWriter>> Create(const std::string& path,
                                                     fs::FileSystem* fs = nullptr);
  ~IndexWriter();
  IndexWriter(const IndexWriter&) = delete;
  IndexWriter& operator=(const IndexWriter&) = delete;

  // Adds the next symbol. InvalidArgument unless `s` sorts strictly after the previous one,
  // or if a series was added already; ResourceExhausted past 4 GiB of symbol table.
  Status AddSymbol(std::string_view s);

  // Adds the next series with its chunks (their `ref`, `mint`, `maxt` are stored; bytes are
  // not read). Returns the series' ref (entry offset / 16). InvalidArgument when the labels
  // are empty, do not sort strictly after the previous series', use a name or value that was
  // not added as a symbol, or when a chunk has mint > maxt or starts before the previous
  // chunk's maxt. ResourceExhausted once the series section would pass 64 GiB.
  Result<SeriesRef> AddSeries(const Labels& labels, const std::vector<chunks::Meta>& chunks);

  // Writes label indices, postings, the offset tables and the TOC, fsyncs and closes the
  // file. Idempotent; after an error the writer is unusable.
  Status Close();

  uint64_t num_series() const { return num_series_; }
  uint64_t bytes_written() const { return pos_; }
  // Heap bytes held (symbols, postings, buffers): the bound described above.
  size_t MemoryBytes() const;

 private:
  // Series ids of one (name, value) pair, ascending, as uvarint deltas.
  struct PairPostings {
    uint64_t key;  // name ordinal << 32 | value ordinal
    uint32_t last = 0;
    uint32_t count = 0;
    std::string deltas;
  };
  struct NameCache {
    uint32_t name_ord = 0;
    std::string last_value;
    uint32_t last_value_ord = 0;
  };

  IndexWriter(std::unique_ptr<fs::WritableFile> file);
  Status Write(std::string_view data);
  Status Pad(uint64_t alignment);
  Status Flush();
  Status WriteSymbols();
  Status WriteLabelIndices(const std::vector<uint32_t>& order,
                           std::vector<std::pair<uint32_t, uint64_t>>* name_offsets);
  Status WritePostingsList(const std::string& deltas, uint32_t count);
  std::string_view SymbolAt(uint32_t ord) const {
    return std::string_view(sym_bytes_).substr(sym_off_[ord], sym_off_[ord + 1] - sym_off_[ord]);
  }
  // Ordinal of `s`, or UINT32_MAX.
  uint32_t FindSymbol(std::string_view s) const;
  static void AddPosting(PairPostings* p, uint32_t id);

  std::unique_ptr<fs::WritableFile> file_;
  std::string buf_;
  uint64_t pos_ = 0;  // bytes of the file, buffered ones included
  Toc toc_;

  std::string sym_bytes_;          // all symbols back to back
  std::vector<uint32_t> sym_off_;  // symbol i is [sym_off_[i], sym_off_[i+1])
  bool symbols_written_ = false;

  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, NameCache, StringHash, std::equal_to<>> name_cache_;
  std::unordered_map<uint64_t, uint32_t> pair_index_;  // key -> index into pairs_
  std::vector<PairPostings> pairs_;
  PairPostings all_{0};

  Labels last_series_;
  uint64_t num_series_ = 0;
  std::string entry_;  // scratch for one series entry
  bool closed_ = false;
  Status err_;  // sticky error
};

}  // namespace vigil::tsdb::index
