// HeadQuerier: storage::Querier over the head. Select resolves postings under the index
// reader lock, then materialises one series at a time: labels are decoded from symbols,
// full chunks are referenced in the chunk store (mmapped, no copy) and the open chunk is
// copied under the series' stripe lock, so a concurrent append never tears what a reader
// decodes. Deleted intervals (Head::Delete) are a snapshot taken by Select: chunks wholly
// inside one are skipped and the iterator skips the samples of the others.
#include <algorithm>
#include <cstring>
#include <numeric>

#include "storage/series.h"
#include "tsdb/head/head.h"

namespace vigil::tsdb {
namespace {

class HeadSeries final : public storage::Series {
 public:
  HeadSeries(Labels labels, std::vector<ChunkMeta> chunks, std::string open, int64_t mint,
             int64_t maxt, chunks::Intervals deleted)
      : labels_(std::move(labels)),
        chunks_(std::move(chunks)),
        open_(std::move(open)),
        deleted_(std::move(deleted)),
        mint_(mint),
        maxt_(maxt) {
    // The open chunk (if any) is the last one; point its view at our own copy.
    if (!open_.empty()) chunks_.back().bytes = open_;
  }
  const Labels& labels() const override { return labels_; }
  std::unique_ptr<storage::SampleIterator> Iterator() const override;

  const std::vector<ChunkMeta>& chunks() const { return chunks_; }
  int64_t mint() const { return mint_; }
  int64_t maxt() const { return maxt_; }
  const chunks::Intervals& deleted() const { return deleted_; }

 private:
  Labels labels_;
  std::vector<ChunkMeta> chunks_;  // in time order
  std::string open_;
  chunks::Intervals deleted_;  // usually empty
  int64_t mint_, maxt_;
};

// Iterates over the samples of a HeadSeries' chunks within [mint, maxt].
class HeadSampleIterator final : public storage::SampleIterator {
 public:
  explicit HeadSampleIterator(const HeadSeries* s) : s_(s) {}

  bool Next() override {
    while (true) {
      if (active_) {
        if (it_.Next()) {
          int64_t t = it_.AtT();
          if (t < s_->mint()) continue;
          if (t > s_->maxt()) return Finish();
          if (!s_->deleted().empty() && chunks::IsDeleted(s_->deleted(), t)) continue;
          positioned_ = true;
          return true;
        }
        if (!it_.Err().ok()) {
          err_ = it_.Err();
          return Finish();
        }
        active_ = false;
      }
      // Next chunk overlapping the range.
      while (next_chunk_ < s_->chunks().size() && s_->chunks()[next_chunk_].maxt < s_->mint()) {
        ++next_chunk_;
      }
      if (next_chunk_ >= s_->chunks().size()) return Finish();
      const ChunkMeta& c = s_->chunks()[next_chunk_++];
      if (c.mint > s_->maxt()) return Finish();
      it_.Reset(c.bytes);
      cur_maxt_ = c.maxt;
      active_ = true;
    }
  }

  bool Seek(int64_t t) override {
    if (done_) return false;
    if (active_ && positioned_ && it_.AtT() >= t) return true;
    if (active_ && cur_maxt_ < t) active_ = false;  // the rest of this chunk is too old
    if (!active_) {
      while (next_chunk_ < s_->chunks().size() && s_->chunks()[next_chunk_].maxt < t) {
        ++next_chunk_;
      }
    }
    while (Next()) {
      if (it_.AtT() >= t) return true;
    }
    return false;
  }

  int64_t AtT() const override { return it_.AtT(); }
  double AtV() const override { return it_.AtV(); }
  Status Err() const override { return err_; }

 private:
  bool Finish() {
    done_ = true;
    active_ = false;
    return false;
  }
  const HeadSeries* s_;
  chunkenc::XorIterator it_;
  size_t next_chunk_ = 0;
  int64_t cur_maxt_ = 0;
  bool active_ = false;
  bool positioned_ = false;
  bool done_ = false;
  Status err_;
};

std::unique_ptr<storage::SampleIterator> HeadSeries::Iterator() const {
  return std::make_unique<HeadSampleIterator>(this);
}

}  // namespace

class HeadSeriesSet final : public storage::SeriesSet {
 public:
  HeadSeriesSet(Head* head, const Context& ctx, std::vector<uint32_t> ids,
                std::vector<Labels> labels, int64_t mint, int64_t maxt,
                std::shared_ptr<const Head::TombstoneMap> tombstones)
      : head_(head),
        ctx_(ctx),
        ids_(std::move(ids)),
        labels_(std::move(labels)),
        mint_(mint),
        maxt_(maxt),
        tombstones_(std::move(tombstones)) {}

  bool Next() override {
    while (i_ < ids_.size()) {
      if ((i_ & 127) == 0) {
        if (Status s = ctx_.Err(); !s.ok()) {
          err_ = s;
          return false;
        }
      }
      size_t i = i_++;
      uint32_t id = ids_[i];
      if (!head_->Live(id)) continue;
      // Snapshot the chunk list and the open chunk under the stripe lock.
      refs_.clear();
      std::string open;
      int64_t open_mint = 0, open_maxt = 0;
      {
        MutexLock l(&head_->StripeOf(id));
        const Head::SeriesState& s = head_->State(id);
        if (s.labels == 0) continue;  // removed meanwhile
        head_->MmappedRefsLocked(s, &refs_);
        if (s.cell != 0 && s.xor_state.t >= mint_ && head_->ChunkMintLocked(s) <= maxt_) {
          open.assign(reinterpret_cast<const char*>(head_->slab_.Data(s.cell)),
                      chunkenc::XorByteLen(s.xor_state));
          open_mint = head_->ChunkMintLocked(s);
          open_maxt = s.xor_state.t;
        }
      }
      std::vector<ChunkMeta> chunks;
      for (uint64_t ref : refs_) {
        Result<ChunkMeta> m = head_->chunks_->Read(ref);
        if (!m.has_value()) {
          if (m.error().IsNotFound()) continue;  // truncated away since the snapshot
          err_ = m.error();
          return false;
        }
        if (m->maxt < mint_ || m->mint > maxt_) continue;
        chunks.push_back(std::move(*m));
      }
      if (!open.empty()) chunks.push_back(ChunkMeta{open_mint, open_maxt, {}});
      chunks::Intervals deleted;
      if (tombstones_ != nullptr) {
        if (auto it = tombstones_->find(id); it != tombstones_->end()) {
          deleted = it->second;
          // Chunks wholly deleted are left out (the open chunk stays last, if kept).
          const bool open_deleted =
              !open.empty() && chunks::CoversRange(deleted, open_mint, open_maxt);
          std::erase_if(chunks, [&](const ChunkMeta& c) {
            return chunks::CoversRange(deleted, c.mint, c.maxt);
          });
          if (open_deleted) open.clear();
        }
      }
      if (chunks.empty()) continue;
      Labels lset;
      if (!labels_.empty()) {
        lset = std::move(labels_[i]);
      } else {
        ReaderLock l(&head_->index_mu_);
        if (!head_->Live(id)) continue;
        lset = head_->LabelsOf(id);
      }
      cur_ = std::make_unique<HeadSeries>(std::move(lset), std::move(chunks), std::move(open),
                                          mint_, maxt_, std::move(deleted));
      return true;
    }
    return false;
  }
  const storage::Series& At() const override { return *cur_; }
  Status Err() const override { return err_; }

 private:
  Head* head_;
  Context ctx_;
  std::vector<uint32_t> ids_;
  std::vector<Labels> labels_;  // parallel to ids_ when sorted (decoded already), else empty
  int64_t mint_, maxt_;
  std::shared_ptr<const Head::TombstoneMap> tombstones_;  // nullptr: nothing deleted
  size_t i_ = 0;
  std::vector<uint64_t> refs_;
  std::unique_ptr<HeadSeries> cur_;
  Status err_;
};

class HeadQuerier final : public storage::Querier {
 public:
  HeadQuerier(Head* head, int64_t mint, int64_t maxt) : head_(head), mint_(mint), maxt_(maxt) {}

  std::unique_ptr<storage::SeriesSet> Select(const Context& ctx, bool sorted,
                                             const storage::SelectHints* hints,
                                             const std::vector<Matcher>& matchers) override {
    if (Status s = ctx.Err(); !s.ok()) return std::make_unique<storage::ErrorSeriesSet>(s);
    int64_t mint = hints ? std::max(hints->start, mint_) : mint_;
    int64_t maxt = hints ? std::min(hints->end, maxt_) : maxt_;
    // The deleted intervals before the truncation point: Truncate raises the point before
    // it drops the intervals below it, so intervals taken first never miss one that the
    // point read next does not cover.
    std::shared_ptr<const Head::TombstoneMap> tombstones = head_->TombstonesSnapshot();
    // Nothing below a truncation's mint is returned, even where a chunk straddles it.
    mint = std::max(mint, head_->min_valid_time_.load(std::memory_order_acquire));
    if (mint > maxt || !Overlaps(mint, maxt)) return storage::EmptySeriesSet();
    std::vector<uint32_t> ids;
    std::vector<Labels> labels;
    {
      ReaderLock l(&head_->index_mu_);
      Bitmap bm = head_->postings_.Select(matchers);
      ids.resize(roaring_bitmap_get_cardinality(bm.get()));
      roaring_bitmap_to_uint32_array(bm.get(), ids.data());
      if (sorted && ids.size() > 1) {
        labels.reserve(ids.size());
        for (uint32_t id : ids) labels.push_back(head_->LabelsOf(id));
      }
    }
    if (!labels.empty()) {
      std::vector<uint32_t> order(ids.size());
      std::iota(order.begin(), order.end(), 0);
      std::sort(order.begin(), order.end(),
                [&](uint32_t a, uint32_t b) { return Labels::Compare(labels[a], labels[b]) < 0; });
      std::vector<uint32_t> sids(ids.size());
      std::vector<Labels> slabels(ids.size());
      for (size_t i = 0; i < order.size(); ++i) {
        sids[i] = ids[order[i]];
        slabels[i] = std::move(labels[order[i]]);
      }
      ids.swap(sids);
      labels.swap(slabels);
    }
    return std::make_unique<HeadSeriesSet>(head_, ctx, std::move(ids), std::move(labels), mint,
                                           maxt, std::move(tombstones));
  }

  Result<std::vector<std::string>> LabelValues(const Context& ctx, std::string_view name,
                                               const std::vector<Matcher>& matchers,
                                               size_t limit) override {
    VIGIL_RETURN_IF_ERROR(ctx.Err());
    std::vector<std::string> out;
    if (!Overlaps(mint_, maxt_)) return out;
    {
      ReaderLock l(&head_->index_mu_);
      if (matchers.empty()) {
        out = head_->postings_.LabelValues(name, nullptr);
      } else {
        Bitmap bm = head_->postings_.Select(matchers);
        out = head_->postings_.LabelValues(name, bm.get());
      }
    }
    if (limit > 0 && out.size() > limit) out.resize(limit);
    return out;
  }

  Result<std::vector<std::string>> LabelNames(const Context& ctx,
                                              const std::vector<Matcher>& matchers,
                                              size_t limit) override {
    VIGIL_RETURN_IF_ERROR(ctx.Err());
    std::vector<std::string> out;
    if (!Overlaps(mint_, maxt_)) return out;
    {
      ReaderLock l(&head_->index_mu_);
      if (matchers.empty()) {
        out = head_->postings_.LabelNames(nullptr);
      } else {
        Bitmap bm = head_->postings_.Select(matchers);
        out = head_->postings_.LabelNames(bm.get());
      }
    }
    if (limit > 0 && out.size() > limit) out.resize(limit);
    return out;
  }

 private:
  bool Overlaps(int64_t mint, int64_t maxt) const {
    int64_t hmin = head_->MinTime(), hmax = head_->MaxTime();
    if (hmin == INT64_MAX) return true;  // empty head: series may exist without samples
    return mint <= hmax && maxt >= hmin;
  }
  Head* head_;
  int64_t mint_, maxt_;
};

Result<std::unique_ptr<storage::Querier>> Head::NewQuerier(int64_t mint, int64_t maxt) {
  return std::unique_ptr<storage::Querier>(std::make_unique<HeadQuerier>(this, mint, maxt));
}

}  // namespace vigil::tsdb
