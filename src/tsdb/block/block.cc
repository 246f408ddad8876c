#include "tsdb/block/block.h"

#include <algorithm>

#include "tsdb/index/postings_for_matchers.h"

namespace vigil::tsdb::block {
namespace {

// Chunks of the series of one bitmap, read from a block, without deleted samples (chunks
// with some re-encoded, as Prometheus' compactor does).
class BlockChunkSeriesSet final : public chunks::ChunkSeriesSet {
 public:
  BlockChunkSeriesSet(std::shared_ptr<const Block> block, std::vector<index::SeriesRef> refs,
                      int64_t mint, int64_t maxt)
      : block_(std::move(block)), refs_(std::move(refs)), mint_(mint), maxt_(maxt) {}

  bool Next() override {
    while (i_ < refs_.size()) {
      const index::SeriesRef ref = refs_[i_++];
      if (Status s = block_->index().Series(ref, &labels_, &all_); !s.ok()) {
        err_ = s;
        return false;
      }
      metas_.clear();
      for (chunks::Meta m : all_) {
        if (m.maxt < mint_ || m.mint > maxt_) continue;
        Result<chunks::ChunkView> v = block_->chunk_reader().Chunk(m.ref);
        if (!v.has_value()) {
          err_ = v.error();
          return false;
        }
        m.encoding = v->encoding;
        m.data = v->data;
        metas_.push_back(m);
      }
      if (Status s = rewriter_.Apply(block_->tombstones().Get(ref), &metas_); !s.ok()) {
        err_ = s.WithPrefix(block_->dir() + ": series " + labels_.ToString());
        return false;
      }
      if (!metas_.empty()) return true;
    }
    return false;
  }
  const Labels& labels() const override { return labels_; }
  const std::vector<chunks::Meta>& chunks() const override { return metas_; }
  Status Err() const override { return err_; }

 private:
  std::shared_ptr<const Block> block_;
  std::vector<index::SeriesRef> refs_;
  int64_t mint_, maxt_;
  size_t i_ = 0;
  Labels labels_;
  std::vector<chunks::Meta> all_, metas_;
  chunks::ChunkRewriter rewriter_;
  Status err_;
};

}  // namespace

Result<std::shared_ptr<Block>> Block::Open(const std::string& dir, fs::FileSystem* fs) {
  if (fs == nullptr) fs = fs::DefaultFileSystem();
  std::shared_ptr<Block> b(new Block());
  b->dir_ = dir;
  b->fs_ = fs;
  VIGIL_ASSIGN_OR_RETURN(b->meta_, ReadMeta(fs, dir));
  VIGIL_ASSIGN_OR_RETURN(b->index_, index::IndexReader::Open(fs::JoinPath(dir, "index"), fs));
  VIGIL_ASSIGN_OR_RETURN(b->chunks_,
                         chunks::ChunkSegmentReader::Open(fs::JoinPath(dir, "chunks"), fs));
  VIGIL_ASSIGN_OR_RETURN(b->tombstones_, ReadTombstones(fs, dir));
  b->SetSize();
  return b;
}

Result<std::vector<std::string>> Block::Symbols() const {
  std::vector<std::string> out;
  out.reserve(index_->num_symbols());
  VIGIL_RETURN_IF_ERROR(index_->ForEachSymbol([&](std::string_view s) {
    out.emplace_back(s);
    return Status::OK();
  }));
  return out;
}

Result<std::unique_ptr<chunks::ChunkSeriesSet>> Block::NewChunkSeriesSet(
    const std::vector<Matcher>& matchers, int64_t mint, int64_t maxt) const {
  std::vector<index::SeriesRef> refs;
  if (matchers.empty()) {
    VIGIL_ASSIGN_OR_RETURN(index::Postings all, index_->AllPostings());
    all.AppendTo(&refs);
  } else {
    VIGIL_ASSIGN_OR_RETURN(index::Bitmap bm, index::PostingsForMatchers(*index_, matchers));
    refs.resize(roaring_bitmap_get_cardinality(bm.get()));
    roaring_bitmap_to_uint32_array(bm.get(), refs.data());
  }
  return std::unique_ptr<chunks::ChunkSeriesSet>(
      std::make_unique<BlockChunkSeriesSet>(shared_from_this(), std::move(refs), mint, maxt));
}

Result<std::shared_ptr<Block>> Block::Delete(int64_t mint, int64_t maxt,
                                             const std::vector<Matcher>& matchers) const {
  VIGIL_ASSIGN_OR_RETURN(index::Bitmap bm, index::PostingsForMatchers(*index_, matchers));
  std::vector<index::SeriesRef> refs(roaring_bitmap_get_cardinality(bm.get()));
  roaring_bitmap_to_uint32_array(bm.get(), refs.data());
  Tombstones stones = tombstones_;
  bool any = false;
  Labels labels;
  std::vector<chunks::Meta> chks;
  for (index::SeriesRef ref : refs) {
    VIGIL_RETURN_IF_ERROR(index_->Series(ref, &labels, &chks));
    for (const chunks::Meta& c : chks) {
      if (c.maxt < mint || c.mint > maxt) continue;
      // Only up to the series' data and not beyond.
      stones.Add(ref,
                 Interval{std::max(mint, chks.front().mint), std::min(maxt, chks.back().maxt)});
      any = true;
      break;
    }
  }
  if (!any) return std::shared_ptr<Block>();
  BlockMeta meta = meta_;
  meta.stats.num_tombstones = stones.NumIntervals();
  std::shared_ptr<Block> b = WithMeta(meta);
  VIGIL_RETURN_IF_ERROR(WriteTombstones(fs_, dir_, stones));
  VIGIL_RETURN_IF_ERROR(WriteMeta(fs_, dir_, b->meta_));
  VIGIL_RETURN_IF_ERROR(fs_->SyncDir(dir_));
  b->tombstones_ = std::move(stones);
  b->SetSize();
  return b;
}

Result<std::shared_ptr<Block>> Block::MarkCompactionFailed() const {
  BlockMeta meta = meta_;
  meta.compaction.failed = true;
  std::shared_ptr<Block> b = WithMeta(meta);
  VIGIL_RETURN_IF_ERROR(WriteMeta(fs_, dir_, b->meta_));
  VIGIL_RETURN_IF_ERROR(fs_->SyncDir(dir_));
  b->SetSize();
  return b;
}

std::shared_ptr<Block> Block::WithMeta(const BlockMeta& meta) const {
  std::shared_ptr<Block> b(new Block());
  b->dir_ = dir_;
  b->fs_ = fs_;
  b->meta_ = meta;
  b->index_ = index_;
  b->chunks_ = chunks_;
  b->tombstones_ = tombstones_;
  return b;
}

void Block::SetSize() {
  size_bytes_ = index_->size_bytes() + chunks_->size_bytes();
  for (const char* f : {kTombstonesFilename, kMetaFilename}) {
    Result<uint64_t> n = fs_->FileSize(fs::JoinPath(dir_, f));
    if (n.has_value()) size_bytes_ += *n;
  }
}

Result<std::vector<std::shared_ptr<Block>>> OpenBlocks(const std::string& data_dir,
                                                       fs::FileSystem* fs) {
  if (fs == nullptr) fs = fs::DefaultFileSystem();
  VIGIL_ASSIGN_OR_RETURN(std::vector<std::string> names, fs->ListDir(data_dir));
  std::vector<std::shared_ptr<Block>> out;
  for (const std::string& n : names) {
    if (!Ulid::Parse(n).has_value()) continue;  // wal, chunks_head, *.tmp-for-creation, ...
    const std::string dir = fs::JoinPath(data_dir, n);
    if (!fs->IsDirectory(dir)) continue;
    VIGIL_ASSIGN_OR_RETURN(std::shared_ptr<Block> b, Block::Open(dir, fs));
    out.push_back(std::move(b));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    if (a->meta().min_time != b->meta().min_time) return a->meta().min_time < b->meta().min_time;
    return a->meta().ulid < b->meta().ulid;
  });
  return out;
}

}  // namespace vigil::tsdb::block
