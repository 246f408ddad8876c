#include "tsdb/index/index_reader.h"

#include <algorithm>
#include <iterator>

#include "base/coding.h"

namespace vigil::tsdb::index {

SeriesRef Postings::operator[](uint32_t i) const { return DecodeBE32(data_ + 4 * size_t(i)); }

void Postings::AppendTo(std::vector<SeriesRef>* out) const {
  const size_t at = out->size();
  out->resize(at + size_);
  for (uint32_t i = 0; i < size_; ++i) (*out)[at + i] = DecodeBE32(data_ + 4 * size_t(i));
}

std::string IndexProblem::ToString() const {
  return section + " at offset " + std::to_string(offset) + ": " + what;
}

IndexReader::~IndexReader() = default;

Result<std::unique_ptr<IndexReader>> IndexReader::Open(const std::string& path,
                                                       fs::FileSystem* fs) {
  if (fs == nullptr) fs = fs::DefaultFileSystem();
  std::unique_ptr<IndexReader> r(new IndexReader());
  r->name_ = path;
  VIGIL_ASSIGN_OR_RETURN(r->file_, fs->MapFile(path));
  r->data_ = std::string_view(r->file_->data(), r->file_->size());
  VIGIL_RETURN_IF_ERROR(r->Init());
  return r;
}

Result<std::unique_ptr<IndexReader>> IndexReader::FromBytes(std::string_view data,
                                                            std::shared_ptr<const void> owner,
                                                            std::string name) {
  std::unique_ptr<IndexReader> r(new IndexReader());
  r->name_ = std::move(name);
  r->owner_ = std::move(owner);
  r->data_ = data;
  VIGIL_RETURN_IF_ERROR(r->Init());
  return r;
}

Status IndexReader::Corrupt(std::string_view section, uint64_t off, std::string_view what) const {
  return Status::Corruption("index " + name_ + ": " + std::string(section) + " at offset " +
                            std::to_string(off) + ": " + std::string(what));
}

Status IndexReader::Init() {
  if (data_.size() < kHeaderSize + kTocSize) {
    return Corrupt("header", 0, "file of " + std::to_string(data_.size()) + " bytes is too short");
  }
  if (DecodeBE32(data_.data()) != kMagicIndex) return Corrupt("header", 0, "invalid magic number");
  version_ = uint8_t(data_[4]);
  if (version_ == kFormatV1) {
    return Corrupt("header", 4, "index format v1 is not supported (symbol refs are offsets)");
  }
  if (version_ != kFormatV2 && version_ != kFormatV3) {
    return Corrupt("header", 4, "unknown index format version " + std::to_string(version_));
  }
  VIGIL_RETURN_IF_ERROR(ReadToc());
  series_end_ = SeriesEnd();
  VIGIL_RETURN_IF_ERROR(ReadSymbols());
  return ReadPostingsTable();
}

Status IndexReader::ReadToc() {
  const uint64_t at = data_.size() - kTocSize;
  const char* p = data_.data() + at;
  if (Crc32c(p, 48) != DecodeBE32(p + 48)) return Corrupt("TOC", at, "checksum mismatch");
  uint64_t* fields[] = {&toc_.symbols,       &toc_.series,
                        &toc_.label_indices, &toc_.label_indices_table,
                        &toc_.postings,      &toc_.postings_table};
  for (int i = 0; i < 6; ++i) {
    *fields[i] = DecodeBE64(p + 8 * i);
    if (*fields[i] > at) {
      return Corrupt("TOC", at + 8 * i,
                     "section offset " + std::to_string(*fields[i]) + " beyond the TOC");
    }
  }
  if (toc_.symbols < kHeaderSize) return Corrupt("TOC", at, "no symbol table");
  if (toc_.postings_table < kHeaderSize) return Corrupt("TOC", at, "no postings offset table");
  if (toc_.series != 0 && toc_.series < toc_.symbols) {
    return Corrupt("TOC", at, "series section before the symbol table");
  }
  return Status::OK();
}

uint64_t IndexReader::SeriesEnd() const {
  uint64_t end = data_.size() - kTocSize;
  for (uint64_t o :
       {toc_.label_indices, toc_.postings, toc_.label_indices_table, toc_.postings_table}) {
    // An offset equal to the series offset means an empty series section.
    if (o != 0 && o >= toc_.series && o < end) end = o;
  }
  return end;
}

Result<std::string_view> IndexReader::Section(uint64_t off, std::string_view what) const {
  const uint64_t limit = data_.size() - kTocSize;
  if (off > limit || limit - off < 8) return Corrupt(what, off, "section runs past the end");
  const uint32_t len = DecodeBE32(data_.data() + off);
  if (uint64_t(len) + 8 > limit - off) {
    return Corrupt(what, off, "section length " + std::to_string(len) + " runs past the end");
  }
  std::string_view body = data_.substr(off + 4, len);
  if (Crc32cOf(body) != DecodeBE32(data_.data() + off + 4 + len)) {
    return Corrupt(what, off, "checksum mismatch");
  }
  return body;
}

Status IndexReader::ReadSymbols() {
  VIGIL_ASSIGN_OR_RETURN(std::string_view body, Section(toc_.symbols, "symbol table"));
  if (body.size() < 4) return Corrupt("symbol table", toc_.symbols, "too short");
  num_symbols_ = DecodeBE32(body.data());
  symbols_begin_ = toc_.symbols + 8;
  symbols_end_ = toc_.symbols + 4 + body.size();
  std::string_view in = body.substr(4);
  // At most one symbol per byte: a hostile count cannot make us reserve much.
  if (num_symbols_ > in.size()) {
    return Corrupt("symbol table", toc_.symbols, "symbol count larger than the table");
  }
  if (body.size() > UINT32_MAX) {
    return Corrupt("symbol table", toc_.symbols, "symbol tables over 4 GiB are not supported");
  }
  symbol_offsets_.reserve(num_symbols_ / kSymbolFactor + 1);
  std::string_view prev;
  for (uint32_t i = 0; i < num_symbols_; ++i) {
    const uint64_t at = symbols_end_ - in.size();
    if (i % kSymbolFactor == 0) symbol_offsets_.push_back(uint32_t(at - symbols_begin_));
    std::string_view s;
    if (!GetLengthPrefixed(&in, &s)) {
      return Corrupt("symbol table", at, "symbol " + std::to_string(i) + " cut short");
    }
    if (i > 0 && !(prev < s)) {
      return Corrupt("symbol table", at, "symbols not sorted at symbol " + std::to_string(i));
    }
    prev = s;
  }
  return Status::OK();
}

Result<std::string_view> IndexReader::Symbol(uint32_t ord) const {
  if (ord >= num_symbols_) {
    return Corrupt("symbol table", toc_.symbols,
                   "symbol ref " + std::to_string(ord) + " out of range (" +
                       std::to_string(num_symbols_) + " symbols)");
  }
  // Validated by ReadSymbols: the entries decode.
  const uint64_t at = symbols_begin_ + symbol_offsets_[ord / kSymbolFactor];
  std::string_view in = data_.substr(at, symbols_end_ - at);
  std::string_view s;
  for (uint32_t i = 0; i <= ord % kSymbolFactor; ++i) {
    if (!GetLengthPrefixed(&in, &s)) return Corrupt("symbol table", at, "symbol cut short");
  }
  return s;
}

Result<uint32_t> IndexReader::SymbolRef(std::string_view s) const {
  // Binary search over the sampled symbols, then a scan of at most 32.
  size_t lo = 0, hi = symbol_offsets_.size();
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    const uint64_t at = symbols_begin_ + symbol_offsets_[mid];
    std::string_view in = data_.substr(at, symbols_end_ - at);
    std::string_view sym;
    if (!GetLengthPrefixed(&in, &sym)) return Corrupt("symbol table", at, "bad");
    if (sym <= s) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo == 0) return Status::NotFound("symbol not found");
  const size_t block = lo - 1;
  const uint64_t at = symbols_begin_ + symbol_offsets_[block];
  std::string_view in = data_.substr(at, symbols_end_ - at);
  for (uint32_t i = 0; i < kSymbolFactor; ++i) {
    const uint64_t ord = block * kSymbolFactor + i;
    if (ord >= num_symbols_) break;
    std::string_view sym;
    if (!GetLengthPrefixed(&in, &sym)) return Corrupt("symbol table", toc_.symbols, "bad");
    if (sym == s) return uint32_t(ord);
    if (sym > s) break;
  }
  return Status::NotFound("symbol not found");
}

Status IndexReader::ForEachSymbol(const std::function<Status(std::string_view)>& fn) const {
  std::string_view in = data_.substr(symbols_begin_, symbols_end_ - symbols_begin_);
  for (uint32_t i = 0; i < num_symbols_; ++i) {
    std::string_view s;
    if (!GetLengthPrefixed(&in, &s)) return Corrupt("symbol table", toc_.symbols, "bad");
    VIGIL_RETURN_IF_ERROR(fn(s));
  }
  return Status::OK();
}

Status IndexReader::TableEntryAt(uint64_t* pos, uint64_t end, TableEntry* e) const {
  std::string_view in = data_.substr(*pos, end - *pos);
  uint64_t keys;
  if (!GetUvarint(&in, &keys) || keys != 2 || !GetLengthPrefixed(&in, &e->name) ||
      !GetLengthPrefixed(&in, &e->value) || !GetUvarint(&in, &e->offset)) {
    return Corrupt("postings offset table", *pos, "undecodable entry");
  }
  *pos = end - in.size();
  return Status::OK();
}

Status IndexReader::ReadPostingsTable() {
  VIGIL_ASSIGN_OR_RETURN(std::string_view body,
                         Section(toc_.postings_table, "postings offset table"));
  if (body.size() < 4) return Corrupt("postings offset table", toc_.postings_table, "too short");
  table_count_ = DecodeBE32(body.data());
  table_begin_ = toc_.postings_table + 8;
  table_end_ = toc_.postings_table + 4 + body.size();
  uint64_t pos = table_begin_;
  TableEntry e, prev;
  bool have_all = false;
  for (uint32_t i = 0; i < table_count_; ++i) {
    const uint64_t at = pos;
    if (at >= table_end_) {
      return Corrupt("postings offset table", at, "fewer entries than its count says");
    }
    VIGIL_RETURN_IF_ERROR(TableEntryAt(&pos, table_end_, &e));
    if (e.offset >= data_.size()) {
      return Corrupt("postings offset table", at, "postings offset beyond the file");
    }
    const bool new_name = i == 0 || e.name != prev.name;
    if (i > 0 && (e.name < prev.name || (!new_name && !(prev.value < e.value)))) {
      return Corrupt("postings offset table", at, "entries not sorted");
    }
    if (new_name) {
      if (!names_.empty()) names_.back().end = at;
      names_.push_back(NameEntry{std::string(e.name), {}, 0, 0});
    }
    NameEntry& n = names_.back();
    if (n.num_values % kPostingsOffsetFactor == 0) {
      n.samples.push_back(ValueSample{std::string(e.value), at});
    }
    ++n.num_values;
    if (e.name.empty() && e.value.empty()) {
      have_all = true;
      all_postings_offset_ = e.offset;
    }
    prev = e;
  }
  if (!names_.empty()) names_.back().end = pos;
  if (!have_all) {
    return Corrupt("postings offset table", toc_.postings_table, "no all-postings entry");
  }
  return Status::OK();
}

const IndexReader::NameEntry* IndexReader::FindName(std::string_view name) const {
  auto it = std::lower_bound(names_.begin(), names_.end(), name,
                             [](const NameEntry& e, std::string_view n) { return e.name < n; });
  if (it == names_.end() || it->name != name) return nullptr;
  return &*it;
}

std::vector<std::string> IndexReader::LabelNames() const {
  std::vector<std::string> out;
  for (const NameEntry& n : names_) {
    if (!n.name.empty()) out.push_back(n.name);
  }
  return out;
}

Status IndexReader::ForEachLabelValue(
    std::string_view name, const std::function<bool(std::string_view, uint64_t)>& fn) const {
  const NameEntry* n = FindName(name);
  if (n == nullptr) return Status::OK();
  uint64_t pos = n->samples.front().pos;
  TableEntry e;
  while (pos < n->end) {
    VIGIL_RETURN_IF_ERROR(TableEntryAt(&pos, n->end, &e));
    if (!fn(e.value, e.offset)) break;
  }
  return Status::OK();
}

Result<std::vector<std::string>> IndexReader::LabelValues(std::string_view name) const {
  std::vector<std::string> out;
  VIGIL_RETURN_IF_ERROR(ForEachLabelValue(name, [&](std::string_view v, uint64_t) {
    out.emplace_back(v);
    return true;
  }));
  return out;
}

Result<Postings> IndexReader::PostingsAt(uint64_t offset) const {
  VIGIL_ASSIGN_OR_RETURN(std::string_view body, Section(offset, "postings"));
  if (body.size() < 4 || (body.size() - 4) / 4 != DecodeBE32(body.data()) ||
      (body.size() - 4) % 4 != 0) {
    return Corrupt("postings", offset, "entry count does not match the length");
  }
  return Postings(body.data() + 4, DecodeBE32(body.data()));
}

Result<Postings> IndexReader::ReadPostings(std::string_view name, std::string_view value) const {
  const NameEntry* n = FindName(name);
  if (n == nullptr) return Postings();
  // The last sampled value <= value, then a short scan.
  auto it = std::upper_bound(
      n->samples.begin(), n->samples.end(), value,
      [](std::string_view v, const ValueSample& s) { return v < std::string_view(s.value); });
  if (it == n->samples.begin()) return Postings();
  uint64_t pos = std::prev(it)->pos;
  TableEntry e;
  while (pos < n->end) {
    VIGIL_RETURN_IF_ERROR(TableEntryAt(&pos, n->end, &e));
    if (e.value == value) return PostingsAt(e.offset);
    if (e.value > value) break;
  }
  return Postings();
}

Status IndexReader::Series(SeriesRef ref, Labels* labels, std::vector<chunks::Meta>* chunks) const {
  const uint64_t off = uint64_t(ref) * kSeriesAlignment;
  if (toc_.series == 0 || off < toc_.series || off >= series_end_) {
    return Status::NotFound("index " + name_ + ": series ref " + std::to_string(ref) +
                            " outside the series section");
  }
  std::string_view in = data_.substr(off, series_end_ - off);
  uint64_t len;
  if (!GetUvarint(&in, &len) || len > in.size() || in.size() - len < kCrcSize) {
    return Corrupt("series", off, "entry runs past the series section");
  }
  std::string_view body = in.substr(0, len);
  if (Crc32cOf(body) != DecodeBE32(in.data() + len)) {
    return Corrupt("series", off, "checksum mismatch");
  }
  return DecodeSeries(body, off, labels, chunks);
}

Status IndexReader::DecodeSeries(std::string_view in, uint64_t off, Labels* labels,
                                 std::vector<chunks::Meta>* chunks) const {
  uint64_t n;
  if (!GetUvarint(&in, &n) || n > in.size()) return Corrupt("series", off, "bad label count");
  std::string enc;
  std::string_view prev_name;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t no, vo;
    if (!GetUvarint(&in, &no) || !GetUvarint(&in, &vo) || no > UINT32_MAX || vo > UINT32_MAX) {
      return Corrupt("series", off, "bad label symbol ref");
    }
    Result<std::string_view> name = Symbol(uint32_t(no));
    Result<std::string_view> value = Symbol(uint32_t(vo));
    if (!name.has_value() || !value.has_value()) {
      return Corrupt("series", off, "label symbol ref out of range");
    }
    if (i > 0 && !(prev_name < *name)) return Corrupt("series", off, "labels not sorted");
    prev_name = *name;
    if (value->empty()) continue;  // an empty value means "label absent"
    PutUvarint(&enc, name->size());
    enc.append(*name);
    PutUvarint(&enc, value->size());
    enc.append(*value);
  }
  *labels = Labels::FromEncoded(std::move(enc));

  uint64_t nc;
  if (!GetUvarint(&in, &nc) || nc > in.size()) return Corrupt("series", off, "bad chunk count");
  chunks->clear();
  chunks->reserve(nc);
  uint64_t t0 = 0, ref0 = 0;
  for (uint64_t i = 0; i < nc; ++i) {
    chunks::Meta m;
    uint64_t dmint, dmaxt;
    if (i == 0) {
      int64_t mint;
      uint64_t ref;
      if (!GetVarint(&in, &mint) || !GetUvarint(&in, &dmaxt) || !GetUvarint(&in, &ref)) {
        return Corrupt("series", off, "chunk meta cut short");
      }
      m.mint = mint;
      m.ref = ref;
    } else {
      int64_t dref;
      if (!GetUvarint(&in, &dmint) || !GetUvarint(&in, &dmaxt) || !GetVarint(&in, &dref)) {
        return Corrupt("series", off, "chunk meta cut short");
      }
      m.mint = int64_t(t0 + dmint);  // wrapping arithmetic, like Go
      m.ref = ref0 + uint64_t(dref);
    }
    m.maxt = int64_t(uint64_t(m.mint) + dmaxt);
    t0 = uint64_t(m.maxt);
    ref0 = m.ref;
    chunks->push_back(m);
  }
  return Status::OK();
}

size_t IndexReader::MemoryBytes() const {
  size_t n = symbol_offsets_.capacity() * sizeof(uint32_t) + names_.capacity() * sizeof(NameEntry);
  for (const NameEntry& e : names_) {
    n += e.name.capacity() + e.samples.capacity() * sizeof(ValueSample);
    for (const ValueSample& s : e.samples) n += s.value.capacity();
  }
  return n;
}

}  // namespace vigil::tsdb::index
