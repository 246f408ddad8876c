// IndexReader: reads a block's `index` file (Prometheus format v2/v3, docs/format/index.md)
// through a read-only mapping.
//
// Open() reads only the TOC, the symbol table and the postings offset table, verifying
// their CRCs, and keeps in memory every 32nd symbol offset and, per label name, every 32nd
// value of the postings offset table (Prometheus' reader does the same). Series entries and
// postings lists are read from the mapping on demand, each CRC-checked when read. Damage is
// reported as Status::Corruption naming the file, the section and the offset; no input can
// make the reader crash or read outside the file (index_reader_fuzzer.cc).
//
// Thread-safety: immutable after Open(); every method is const and thread-safe. Views
// (symbols, postings) point into the mapping and live as long as the reader.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "fs/file_system.h"
#include "model/labels.h"
#include "tsdb/chunks/chunk_series.h"
#include "tsdb/index/format.h"

namespace vigil::tsdb::index {

// A postings list: series refs in ascending order, as stored (BE32 each).
class Postings {
 public:
  Postings() = default;
  Postings(const char* data, uint32_t size) : data_(data), size_(size) {}
  uint32_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  SeriesRef operator[](uint32_t i) const;
  // Appends all refs to *out.
  void AppendTo(std::vector<SeriesRef>* out) const;

 private:
  const char* data_ = nullptr;
  uint32_t size_ = 0;
};

// One problem found by IndexReader::Verify().
struct IndexProblem {
  std::string section;  // "series", "postings", "label indices", ...
  uint64_t offset = 0;  // byte offset in the file
  std::string what;
  std::string ToString() const;
};

class IndexReader {
 public:
  // Maps `path` and reads its TOC, symbols and postings offset table. NotFound if missing;
  // Corruption for a bad magic, an unsupported version (v1) or a damaged section.
  static Result<std::unique_ptr<IndexReader>> Open(const std::string& path,
                                                   fs::FileSystem* fs = nullptr);
  // The same over bytes kept alive by `owner` (tests, fuzzers); `name` appears in messages.
  static Result<std::unique_ptr<IndexReader>> FromBytes(std::string_view data,
                                                        std::shared_ptr<const void> owner,
                                                        std::string name);
  ~IndexReader();

  const std::string& name() const { return name_; }
  uint8_t version() const { return version_; }
  const Toc& toc() const { return toc_; }
  uint64_t size_bytes() const { return data_.size(); }
  uint32_t num_symbols() const { return num_symbols_; }
  // Heap bytes kept by the reader (the sampled symbol offsets and postings table values).
  size_t MemoryBytes() const;

  // The symbol with ordinal `ord`. Corruption if out of range or undecodable.
  Result<std::string_view> Symbol(uint32_t ord) const;
  // The ordinal of `s`; NotFound if it is not a symbol.
  Result<uint32_t> SymbolRef(std::string_view s) const;
  // Calls fn(symbol) for every symbol in order; stops at the first non-OK status.
  Status ForEachSymbol(const std::function<Status(std::string_view)>& fn) const;

  // Sorted label names (without the all-postings name "").
  std::vector<std::string> LabelNames() const;
  // Sorted values of `name` (empty if the name is unknown).
  Result<std::vector<std::string>> LabelValues(std::string_view name) const;
  // Calls fn(value, postings offset) for each value of `name` in order until fn returns
  // false. Unknown names call nothing.
  Status ForEachLabelValue(std::string_view name,
                           const std::function<bool(std::string_view, uint64_t)>& fn) const;

  // The postings of (name, value); empty if the pair does not exist.
  Result<Postings> ReadPostings(std::string_view name, std::string_view value) const;
  // The postings list at a file offset (from ForEachLabelValue). Corruption when damaged.
  Result<Postings> PostingsAt(uint64_t offset) const;
  // Every series, in label order.
  Result<Postings> AllPostings() const { return PostingsAt(all_postings_offset_); }

  // Decodes series `ref`: its labels and its chunks' mint, maxt and ref (data stays
  // empty). NotFound if ref is outside the series section; Corruption when damaged.
  Status Series(SeriesRef ref, Labels* labels, std::vector<chunks::Meta>* chunks) const;

  // Checks the whole file (index_verify.cc): every series entry (CRC, symbol refs, label
  // order, chunk order, zero padding), every label index and postings list (CRC, sorted
  // refs that name series entries, agreement with the series' labels) and the tables.
  // on_series is called for every series that decodes. Returns at most max_problems.
  std::vector<IndexProblem> Verify(
      const std::function<void(SeriesRef, const Labels&, const std::vector<chunks::Meta>&)>&
          on_series,
      size_t max_problems = 100) const;

 private:
  struct ValueSample {
    std::string value;
    uint64_t pos;  // file offset of this value's entry in the postings offset table
  };
  struct NameEntry {
    std::string name;
    std::vector<ValueSample> samples;  // values 0, 32, 64, ...
    uint64_t end;                      // file offset after the name's last entry
    uint32_t num_values = 0;
  };
  struct TableEntry {
    std::string_view name, value;
    uint64_t offset = 0;  // of the postings list
  };

  IndexReader() = default;
  Status Init();
  Status ReadToc();
  Status ReadSymbols();
  Status ReadPostingsTable();
  // The body of the section at `off` (BE32 len · body · BE32 CRC), CRC verified.
  Result<std::string_view> Section(uint64_t off, std::string_view what) const;
  // Decodes the postings-offset-table entry at *pos (advancing it), bounded by `end`.
  Status TableEntryAt(uint64_t* pos, uint64_t end, TableEntry* e) const;
  const NameEntry* FindName(std::string_view name) const;
  Status Corrupt(std::string_view section, uint64_t off, std::string_view what) const;
  // Labels and chunks from a series entry body.
  Status DecodeSeries(std::string_view body, uint64_t off, Labels* labels,
                      std::vector<chunks::Meta>* chunks) const;
  // Offset of the section after the series (the end of the series entries).
  uint64_t SeriesEnd() const;

  std::string name_;
  std::unique_ptr<fs::MappedFile> file_;
  std::shared_ptr<const void> owner_;
  std::string_view data_;
  uint8_t version_ = 0;
  Toc toc_;

  uint32_t num_symbols_ = 0;
  uint64_t symbols_begin_ = 0;  // first symbol entry
  uint64_t symbols_end_ = 0;    // end of the symbol entries (the CRC)
  // Offsets of symbols 0, kSymbolFactor, 2 * kSymbolFactor, ... from symbols_begin_.
  std::vector<uint32_t> symbol_offsets_;

  std::vector<NameEntry> names_;  // sorted by name; includes "" (all postings)
  uint64_t table_begin_ = 0, table_end_ = 0;
  uint32_t table_count_ = 0;
  uint64_t all_postings_offset_ = 0;
  uint64_t series_end_ = 0;
};

}  // namespace vigil::tsdb::index
