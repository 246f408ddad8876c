// BlockQuerier: storage::Querier over one Block. Select resolves matchers to postings
// (index/postings_for_matchers.h), then decodes one series entry at a time; its chunks are
// read from the mapped segments only when its samples are iterated.
#include <algorithm>

#include "storage/series.h"
#include "tsdb/block/block.h"
#include "tsdb/chunkenc/xor.h"
#include "tsdb/index/postings_for_matchers.h"

namespace vigil::tsdb::block {
namespace {

class BlockSeries final : public storage::Series {
 public:
  BlockSeries(const Block* block, Labels labels, std::vector<chunks::Meta> chunks,
              const std::vector<Interval>* deleted, int64_t mint, int64_t maxt)
      : block_(block),
        labels_(std::move(labels)),
        chunks_(std::move(chunks)),
        deleted_(deleted),
        mint_(mint),
        maxt_(maxt) {}
  const Labels& labels() const override { return labels_; }
  std::unique_ptr<storage::SampleIterator> Iterator() const override;

  const Block* block_;
  Labels labels_;
  std::vector<chunks::Meta> chunks_;  // overlapping [mint_, maxt_], in time order
  const std::vector<Interval>* deleted_;
  int64_t mint_, maxt_;
};

// Samples of a BlockSeries' chunks within [mint, maxt] and outside deleted intervals.
class BlockSampleIterator final : public storage::SampleIterator {
 public:
  explicit BlockSampleIterator(const BlockSeries* s) : s_(s) {}

  bool Next() override {
    while (true) {
      if (active_) {
        if (it_.Next()) {
          const int64_t t = it_.AtT();
          if (t < s_->mint_ || Deleted(t)) continue;
          if (t > s_->maxt_) return Finish();
          positioned_ = true;
          return true;
        }
        if (!it_.Err().ok()) {
          err_ = it_.Err().WithPrefix(s_->block_->dir() + ": chunk of " + s_->labels_.ToString());
          return Finish();
        }
        active_ = false;
      }
      if (!NextChunk(INT64_MIN)) return false;
    }
  }

  bool Seek(int64_t t) override {
    if (done_) return false;
    if (active_ && positioned_ && it_.AtT() >= t) return true;
    if (active_ && s_->chunks_[next_ - 1].maxt < t) active_ = false;
    if (!active_ && !NextChunk(t)) return false;
    while (Next()) {
      if (it_.AtT() >= t) return true;
    }
    return false;
  }

  size_t NextBatch(int64_t* ts, double* vs, size_t max) override {
    // As the default, but the calls below are direct (the class is final).
    size_t n = 0;
    while (n < max && Next()) {
      ts[n] = it_.AtT();
      vs[n] = it_.AtV();
      ++n;
    }
    return n;
  }

  int64_t AtT() const override { return it_.AtT(); }
  double AtV() const override { return it_.AtV(); }
  Status Err() const override { return err_; }

 private:
  // Opens the next chunk that may hold samples >= t; false at the end or on error.
  bool NextChunk(int64_t t) {
    const auto& cs = s_->chunks_;
    while (next_ < cs.size() && (cs[next_].maxt < t || cs[next_].maxt < s_->mint_)) ++next_;
    if (next_ >= cs.size() || cs[next_].mint > s_->maxt_) return Finish();
    const chunks::Meta& c = cs[next_++];
    Result<chunks::ChunkView> v = s_->block_->chunk_reader().Chunk(c.ref);
    if (!v.has_value()) {
      err_ = v.error();
      return Finish();
    }
    if (v->encoding != chunkenc::Encoding::kXor) {
      err_ = Status::InvalidArgument(s_->block_->dir() + ": chunk encoding " +
                                     std::string(chunkenc::EncodingName(v->encoding)) +
                                     " is not supported yet");
      return Finish();
    }
    it_.Reset(v->data);
    active_ = true;
    return true;
  }
  bool Deleted(int64_t t) const { return chunks::IsDeleted(*s_->deleted_, t); }
  bool Finish() {
    done_ = true;
    active_ = false;
    return false;
  }

  const BlockSeries* s_;
  chunkenc::XorIterator it_;
  size_t next_ = 0;
  bool active_ = false;
  bool positioned_ = false;
  bool done_ = false;
  Status err_;
};

std::unique_ptr<storage::SampleIterator> BlockSeries::Iterator() const {
  return std::make_unique<BlockSampleIterator>(this);
}

bool FullyDeleted(const chunks::Meta& c, const std::vector<Interval>& deleted) {
  return chunks::CoversRange(deleted, c.mint, c.maxt);
}

class BlockSeriesSet final : public storage::SeriesSet {
 public:
  BlockSeriesSet(std::shared_ptr<const Block> block, const Context& ctx,
                 std::vector<index::SeriesRef> refs, int64_t mint, int64_t maxt)
      : block_(std::move(block)), ctx_(ctx), refs_(std::move(refs)), mint_(mint), maxt_(maxt) {}

  bool Next() override {
    while (i_ < refs_.size()) {
      if ((i_ & 127) == 0) {
        if (Status s = ctx_.Err(); !s.ok()) {
          err_ = s;
          return false;
        }
      }
      const index::SeriesRef ref = refs_[i_++];
      Labels labels;
      if (Status s = block_->index().Series(ref, &labels, &all_); !s.ok()) {
        err_ = s;
        return false;
      }
      const std::vector<Interval>& deleted = block_->tombstones().Get(ref);
      std::vector<chunks::Meta> chunks;
      for (const chunks::Meta& c : all_) {
        if (c.maxt < mint_ || c.mint > maxt_) continue;
        if (!deleted.empty() && FullyDeleted(c, deleted)) continue;
        chunks.push_back(c);
      }
      if (chunks.empty()) continue;
      cur_ = std::make_unique<BlockSeries>(block_.get(), std::move(labels), std::move(chunks),
                                           &deleted, mint_, maxt_);
      return true;
    }
    return false;
  }
  const storage::Series& At() const override { return *cur_; }
  Status Err() const override { return err_; }

 private:
  std::shared_ptr<const Block> block_;
  Context ctx_;
  std::vector<index::SeriesRef> refs_;
  int64_t mint_, maxt_;
  size_t i_ = 0;
  std::vector<chunks::Meta> all_;
  std::unique_ptr<BlockSeries> cur_;
  Status err_;
};

class BlockQuerier final : public storage::Querier {
 public:
  BlockQuerier(std::shared_ptr<const Block> block, int64_t mint, int64_t maxt)
      : block_(std::move(block)), mint_(mint), maxt_(maxt) {}

  std::unique_ptr<storage::SeriesSet> Select(const Context& ctx, bool /*sorted*/,
                                             const storage::SelectHints* hints,
                                             const std::vector<Matcher>& matchers) override {
    if (Status s = ctx.Err(); !s.ok()) return std::make_unique<storage::ErrorSeriesSet>(s);
    const int64_t mint = hints ? std::max(hints->start, mint_) : mint_;
    const int64_t maxt = hints ? std::min(hints->end, maxt_) : maxt_;
    if (mint > maxt || !block_->Overlaps(mint, maxt)) return storage::EmptySeriesSet();
    Result<index::Bitmap> bm = index::PostingsForMatchers(block_->index(), matchers);
    if (!bm.has_value()) return std::make_unique<storage::ErrorSeriesSet>(bm.error());
    std::vector<index::SeriesRef> refs(roaring_bitmap_get_cardinality(bm->get()));
    roaring_bitmap_to_uint32_array(bm->get(), refs.data());
    // Refs ascend in label order: the set is sorted either way.
    return std::make_unique<BlockSeriesSet>(block_, ctx, std::move(refs), mint, maxt);
  }

  Result<std::vector<std::string>> LabelValues(const Context& ctx, std::string_view name,
                                               const std::vector<Matcher>& matchers,
                                               size_t limit) override {
    VIGIL_RETURN_IF_ERROR(ctx.Err());
    std::vector<std::string> out;
    if (!block_->Overlaps(mint_, maxt_)) return out;
    const index::IndexReader& ir = block_->index();
    if (matchers.empty()) {
      VIGIL_ASSIGN_OR_RETURN(out, ir.LabelValues(name));
    } else {
      VIGIL_ASSIGN_OR_RETURN(index::Bitmap sel, index::PostingsForMatchers(ir, matchers));
      Status err;
      VIGIL_RETURN_IF_ERROR(ir.ForEachLabelValue(name, [&](std::string_view v, uint64_t off) {
        Result<index::Postings> p = ir.PostingsAt(off);
        if (!p.has_value()) {
          err = p.error();
          return false;
        }
        if (roaring_bitmap_intersect(index::ToBitmap(*p).get(), sel.get())) out.emplace_back(v);
        return limit == 0 || out.size() < limit;
      }));
      VIGIL_RETURN_IF_ERROR(err);
    }
    if (limit > 0 && out.size() > limit) out.resize(limit);
    return out;
  }

  Result<std::vector<std::string>> LabelNames(const Context& ctx,
                                              const std::vector<Matcher>& matchers,
                                              size_t limit) override {
    VIGIL_RETURN_IF_ERROR(ctx.Err());
    std::vector<std::string> out;
    if (!block_->Overlaps(mint_, maxt_)) return out;
    const index::IndexReader& ir = block_->index();
    if (matchers.empty()) {
      out = ir.LabelNames();
    } else {
      // Names of the selected series, from their entries (as Prometheus does).
      VIGIL_ASSIGN_OR_RETURN(index::Bitmap sel, index::PostingsForMatchers(ir, matchers));
      std::vector<index::SeriesRef> refs(roaring_bitmap_get_cardinality(sel.get()));
      roaring_bitmap_to_uint32_array(sel.get(), refs.data());
      Labels l;
      std::vector<chunks::Meta> chks;
      for (size_t i = 0; i < refs.size(); ++i) {
        if ((i & 1023) == 0) VIGIL_RETURN_IF_ERROR(ctx.Err());
        VIGIL_RETURN_IF_ERROR(ir.Series(refs[i], &l, &chks));
        for (const LabelView& lv : l) out.emplace_back(lv.name);
        if ((i & 1023) == 1023) {
          std::sort(out.begin(), out.end());
          out.erase(std::unique(out.begin(), out.end()), out.end());
        }
      }
      std::sort(out.begin(), out.end());
      out.erase(std::unique(out.begin(), out.end()), out.end());
    }
    if (limit > 0 && out.size() > limit) out.resize(limit);
    return out;
  }

 private:
  std::shared_ptr<const Block> block_;
  int64_t mint_, maxt_;
};

}  // namespace

Result<std::unique_ptr<storage::Querier>> Block::NewQuerier(int64_t mint, int64_t maxt) {
  return std::unique_ptr<storage::Querier>(
      std::make_unique<BlockQuerier>(shared_from_this(), mint, maxt));
}

}  // namespace vigil::tsdb::block
