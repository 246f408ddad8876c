#include "tsdb/index/index_writer.h"

#include <algorithm>

#include "base/coding.h"

namespace vigil::tsdb::index {
namespace {

constexpr size_t kWriteBufferSize = 1 << 20;

// Size of a uvarint encoding of v.
size_t UvarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

void PutUvarintString(std::string* dst, std::string_view s) {
  PutUvarint(dst, s.size());
  dst->append(s);
}

}  // namespace

IndexWriter::IndexWriter(std::unique_ptr<fs::WritableFile> file) : file_(std::move(file)) {
  sym_off_.push_back(0);
}

IndexWriter::~IndexWriter() {
  if (file_ != nullptr) file_->Close().IgnoreError();
}

Result<std::unique_ptr<IndexWriter>> IndexWriter::Create(const std::string& path,
                                                         fs::FileSystem* fs) {
  if (fs == nullptr) fs = fs::DefaultFileSystem();
  VIGIL_ASSIGN_OR_RETURN(auto f, fs->NewWritableFile(path));
  std::unique_ptr<IndexWriter> w(new IndexWriter(std::move(f)));
  PutBE32(&w->buf_, kMagicIndex);
  w->buf_.push_back(char(kFormatV2));
  w->pos_ = kHeaderSize;
  return w;
}

Status IndexWriter::Flush() {
  if (buf_.empty()) return Status::OK();
  Status s = file_->Append(buf_);
  buf_.clear();
  return s;
}

Status IndexWriter::Write(std::string_view data) {
  buf_.append(data);
  pos_ += data.size();
  if (buf_.size() >= kWriteBufferSize) return Flush();
  return Status::OK();
}

Status IndexWriter::Pad(uint64_t alignment) {
  const uint64_t rem = pos_ % alignment;
  if (rem == 0) return Status::OK();
  return Write(std::string(alignment - rem, '\0'));
}

Status IndexWriter::AddSymbol(std::string_view s) {
  if (!err_.ok()) return err_;
  if (symbols_written_)
    return Status::InvalidArgument("index: symbol added after the first series");
  const size_t n = sym_off_.size() - 1;
  if (n > 0 && !(SymbolAt(uint32_t(n - 1)) < s)) {
    return Status::InvalidArgument("index: symbol " + QuoteString(s) + " out of order");
  }
  if (sym_bytes_.size() + s.size() > 0xFFFFFFF0ull) {
    return Status::ResourceExhausted("index: symbol table exceeds 4 GiB");
  }
  sym_bytes_.append(s);
  sym_off_.push_back(uint32_t(sym_bytes_.size()));
  return Status::OK();
}

uint32_t IndexWriter::FindSymbol(std::string_view s) const {
  size_t lo = 0, hi = sym_off_.size() - 1;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (SymbolAt(uint32_t(mid)) < s) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo < sym_off_.size() - 1 && SymbolAt(uint32_t(lo)) == s) return uint32_t(lo);
  return UINT32_MAX;
}

Status IndexWriter::WriteSymbols() {
  symbols_written_ = true;
  toc_.symbols = pos_;
  const uint32_t count = uint32_t(sym_off_.size() - 1);
  uint64_t body = 4;
  for (uint32_t i = 0; i < count; ++i) {
    const uint64_t len = sym_off_[i + 1] - sym_off_[i];
    body += UvarintSize(len) + len;
  }
  if (body > 0xFFFFFFFFull) return Status::ResourceExhausted("index: symbol table exceeds 4 GiB");
  std::string head;
  PutBE32(&head, uint32_t(body));
  PutBE32(&head, count);
  uint32_t crc = Crc32cOf(std::string_view(head).substr(4));
  VIGIL_RETURN_IF_ERROR(Write(head));
  std::string piece;
  for (uint32_t i = 0; i < count; ++i) {
    piece.clear();
    PutUvarintString(&piece, SymbolAt(i));
    crc = Crc32cOf(piece, crc);
    VIGIL_RETURN_IF_ERROR(Write(piece));
  }
  piece.clear();
  PutBE32(&piece, crc);
  VIGIL_RETURN_IF_ERROR(Write(piece));
  toc_.series = pos_;
  return Status::OK();
}

void IndexWriter::AddPosting(PairPostings* p, uint32_t id) {
  PutUvarint(&p->deltas, id - p->last);
  p->last = id;
  ++p->count;
}

Result<SeriesRef> IndexWriter::AddSeries(const Labels& labels,
                                         const std::vector<chunks::Meta>& chunks) {
  if (!err_.ok()) return err_;
  if (closed_) return Status::Internal("index: AddSeries after Close");
  if (!symbols_written_) {
    err_ = WriteSymbols();
    VIGIL_RETURN_IF_ERROR(err_);
  }
  if (labels.empty()) return Status::InvalidArgument("index: series with an empty label set");
  if (num_series_ > 0 && Labels::Compare(last_series_, labels) >= 0) {
    return Status::InvalidArgument("index: out-of-order series added with label set " +
                                   labels.ToString());
  }
  // Validate the chunks before anything is written.
  for (size_t i = 0; i < chunks.size(); ++i) {
    if (chunks[i].mint > chunks[i].maxt) {
      return Status::InvalidArgument("index: chunk with mint > maxt in series " +
                                     labels.ToString());
    }
    if (i > 0 && chunks[i].mint < chunks[i - 1].maxt) {
      return Status::InvalidArgument("index: overlapping or unordered chunks in series " +
                                     labels.ToString());
    }
  }

  entry_.clear();
  PutUvarint(&entry_, labels.size());
  // Symbol ordinals; collected first so a missing symbol leaves no trace.
  std::vector<std::pair<uint32_t, uint32_t>> ords;
  for (const LabelView& l : labels) {
    auto it = name_cache_.find(l.name);
    uint32_t name_ord, value_ord;
    if (it != name_cache_.end() && it->second.last_value == l.value) {
      name_ord = it->second.name_ord;
      value_ord = it->second.last_value_ord;
    } else {
      name_ord = it != name_cache_.end() ? it->second.name_ord : FindSymbol(l.name);
      value_ord = FindSymbol(l.value);
      if (name_ord == UINT32_MAX || value_ord == UINT32_MAX) {
        return Status::InvalidArgument("index: symbol entry for " +
                                       QuoteString(name_ord == UINT32_MAX ? l.name : l.value) +
                                       " does not exist");
      }
      if (it == name_cache_.end()) it = name_cache_.emplace(std::string(l.name), NameCache{}).first;
      NameCache& c = it->second;
      c.name_ord = name_ord;
      c.last_value.assign(l.value);
      c.last_value_ord = value_ord;
    }
    ords.emplace_back(name_ord, value_ord);
    PutUvarint(&entry_, name_ord);
    PutUvarint(&entry_, value_ord);
  }
  PutUvarint(&entry_, chunks.size());
  if (!chunks.empty()) {
    const chunks::Meta& c0 = chunks[0];
    PutVarint(&entry_, c0.mint);
    PutUvarint(&entry_, uint64_t(c0.maxt) - uint64_t(c0.mint));
    PutUvarint(&entry_, c0.ref);
    int64_t t0 = c0.maxt;
    uint64_t ref0 = c0.ref;
    for (size_t i = 1; i < chunks.size(); ++i) {
      const chunks::Meta& c = chunks[i];
      PutUvarint(&entry_, uint64_t(c.mint) - uint64_t(t0));
      PutUvarint(&entry_, uint64_t(c.maxt) - uint64_t(c.mint));
      PutVarint(&entry_, int64_t(c.ref - ref0));
      t0 = c.maxt;
      ref0 = c.ref;
    }
  }

  // Entries start at multiples of 16 so that 4-byte ids address 64 GiB.
  const uint64_t rem = pos_ % kSeriesAlignment;
  const uint64_t start = rem == 0 ? pos_ : pos_ + kSeriesAlignment - rem;
  if (start > kMaxSeriesOffset) {
    return Status::ResourceExhausted("index: series section exceeds 64 GiB");
  }
  const uint32_t crc = Crc32cOf(entry_);
  std::string len;
  PutUvarint(&len, entry_.size());
  err_ = Pad(kSeriesAlignment);
  if (err_.ok()) err_ = Write(len);
  if (err_.ok()) err_ = Write(entry_);
  if (err_.ok()) {
    len.clear();
    PutBE32(&len, crc);
    err_ = Write(len);
  }
  VIGIL_RETURN_IF_ERROR(err_);

  const SeriesRef ref = SeriesRef(start / kSeriesAlignment);
  for (const auto& [n, v] : ords) {
    const uint64_t key = (uint64_t(n) << 32) | v;
    auto [it, inserted] = pair_index_.try_emplace(key, uint32_t(pairs_.size()));
    if (inserted) pairs_.push_back(PairPostings{key});
    AddPosting(&pairs_[it->second], ref);
  }
  AddPosting(&all_, ref);
  last_series_ = labels;
  ++num_series_;
  return ref;
}

Status IndexWriter::WriteLabelIndices(const std::vector<uint32_t>& order,
                                      std::vector<std::pair<uint32_t, uint64_t>>* name_offsets) {
  std::string piece;
  for (size_t i = 0; i < order.size();) {
    const uint32_t name = uint32_t(pairs_[order[i]].key >> 32);
    size_t j = i;
    while (j < order.size() && uint32_t(pairs_[order[j]].key >> 32) == name) ++j;
    VIGIL_RETURN_IF_ERROR(Pad(kPostingsAlignment));
    name_offsets->emplace_back(name, pos_);
    const uint32_t n = uint32_t(j - i);
    piece.clear();
    PutBE32(&piece, 8 + 4 * n);
    PutBE32(&piece, 1);  // number of names per entry
    PutBE32(&piece, n);
    for (size_t k = i; k < j; ++k) PutBE32(&piece, uint32_t(pairs_[order[k]].key));
    PutBE32(&piece, Crc32cOf(std::string_view(piece).substr(4)));
    VIGIL_RETURN_IF_ERROR(Write(piece));
    i = j;
  }
  return Status::OK();
}

Status IndexWriter::WritePostingsList(const std::string& deltas, uint32_t count) {
  VIGIL_RETURN_IF_ERROR(Pad(kPostingsAlignment));
  std::string piece;
  PutBE32(&piece, 4 + 4 * count);
  PutBE32(&piece, count);
  uint32_t crc = Crc32cOf(std::string_view(piece).substr(4));
  VIGIL_RETURN_IF_ERROR(Write(piece));
  std::string_view in(deltas);
  uint32_t id = 0;
  char be[4];
  std::string chunk;
  for (uint32_t i = 0; i < count; ++i) {
    uint64_t d;
    if (!GetUvarint(&in, &d)) return Status::Internal("index: bad postings buffer");
    id += uint32_t(d);
    EncodeBE32(be, id);
    chunk.append(be, 4);
    if (chunk.size() >= 64 * 1024) {
      crc = Crc32cOf(chunk, crc);
      VIGIL_RETURN_IF_ERROR(Write(chunk));
      chunk.clear();
    }
  }
  crc = Crc32cOf(chunk, crc);
  PutBE32(&chunk, crc);
  return Write(chunk);
}

Status IndexWriter::Close() {
  if (closed_) return err_;
  closed_ = true;
  VIGIL_RETURN_IF_ERROR(err_);
  err_ = [&]() -> Status {
    if (!symbols_written_) VIGIL_RETURN_IF_ERROR(WriteSymbols());
    // Pairs sorted by (name, value): ordinals sort like the strings.
    std::vector<uint32_t> order(pairs_.size());
    for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](uint32_t a, uint32_t b) { return pairs_[a].key < pairs_[b].key; });

    toc_.label_indices = pos_;
    std::vector<std::pair<uint32_t, uint64_t>> name_offsets;
    VIGIL_RETURN_IF_ERROR(WriteLabelIndices(order, &name_offsets));

    // Like Prometheus, the TOC points at the postings section before its alignment padding
    // (they differ only for an index without series).
    toc_.postings = pos_;
    VIGIL_RETURN_IF_ERROR(Pad(kPostingsAlignment));
    std::vector<uint64_t> postings_offsets(pairs_.size());
    const uint64_t all_offset = pos_;
    VIGIL_RETURN_IF_ERROR(WritePostingsList(all_.deltas, all_.count));
    for (uint32_t idx : order) {
      postings_offsets[idx] = pos_;
      VIGIL_RETURN_IF_ERROR(WritePostingsList(pairs_[idx].deltas, pairs_[idx].count));
      std::string().swap(pairs_[idx].deltas);  // no longer needed
    }

    // Label index offset table.
    toc_.label_indices_table = pos_;
    std::string body;
    PutBE32(&body, uint32_t(name_offsets.size()));
    for (const auto& [name, off] : name_offsets) {
      PutUvarint(&body, 1);
      PutUvarintString(&body, SymbolAt(name));
      PutUvarint(&body, off);
    }
    if (body.size() > 0xFFFFFFFFull) {
      return Status::ResourceExhausted("index: label offset table exceeds 4 GiB");
    }
    std::string piece;
    PutBE32(&piece, uint32_t(body.size()));
    VIGIL_RETURN_IF_ERROR(Write(piece));
    PutBE32(&body, Crc32cOf(body));
    VIGIL_RETURN_IF_ERROR(Write(body));

    // Postings offset table: the all-postings entry, then every pair in order.
    toc_.postings_table = pos_;
    body.clear();
    PutBE32(&body, uint32_t(pairs_.size() + 1));
    PutUvarint(&body, 2);
    PutUvarintString(&body, kAllPostingsName);
    PutUvarintString(&body, kAllPostingsValue);
    PutUvarint(&body, all_offset);
    for (uint32_t idx : order) {
      PutUvarint(&body, 2);
      PutUvarintString(&body, SymbolAt(uint32_t(pairs_[idx].key >> 32)));
      PutUvarintString(&body, SymbolAt(uint32_t(pairs_[idx].key)));
      PutUvarint(&body, postings_offsets[idx]);
    }
    if (body.size() > 0xFFFFFFFFull) {
      return Status::ResourceExhausted("index: postings offset table exceeds 4 GiB");
    }
    piece.clear();
    PutBE32(&piece, uint32_t(body.size()));
    VIGIL_RETURN_IF_ERROR(Write(piece));
    PutBE32(&body, Crc32cOf(body));
    VIGIL_RETURN_IF_ERROR(Write(body));

    // TOC.
    piece.clear();
    PutBE64(&piece, toc_.symbols);
    PutBE64(&piece, toc_.series);
    PutBE64(&piece, toc_.label_indices);
    PutBE64(&piece, toc_.label_indices_table);
    PutBE64(&piece, toc_.postings);
    PutBE64(&piece, toc_.postings_table);
    PutBE32(&piece, Crc32cOf(piece));
    VIGIL_RETURN_IF_ERROR(Write(piece));
    VIGIL_RETURN_IF_ERROR(Flush());
    VIGIL_RETURN_IF_ERROR(file_->Sync());
    return file_->Close();
  }();
  return err_;
}

size_t IndexWriter::MemoryBytes() const {
  size_t n = sym_bytes_.capacity() + sym_off_.capacity() * 4 + buf_.capacity() + entry_.capacity() +
             all_.deltas.capacity() + pairs_.capacity() * sizeof(PairPostings) +
             pair_index_.size() * (sizeof(uint64_t) + sizeof(uint32_t) + 2 * sizeof(void*)) +
             pair_index_.bucket_count() * sizeof(void*);
  for (const PairPostings& p : pairs_) n += p.deltas.capacity();
  for (const auto& [name, c] : name_cache_) {
    n += name.capacity() + c.last_value.capacity() + sizeof(NameCache) + 2 * sizeof(void*);
  }
  return n;
}

}  // namespace vigil::tsdb::index
