// Chunk-level iteration over the head for block cutting: Head::BlockSymbols and
// Head::NewChunkSeriesSet (declared in head.h). The series are sorted once by their label
// sets; label sets are compared through the ranks of their symbols (rank order = byte order
// of the strings), with a 16-byte key of the first two pairs per series so that most
// comparisons decode nothing. Deleted samples (Head::Delete, a snapshot taken when the set
// is made) are left out: partly deleted chunks are re-encoded, so blocks never hold them.
#include <algorithm>
#include <numeric>

#include "tsdb/head/head.h"

namespace vigil::tsdb {

class HeadChunkSeriesSet final : public chunks::ChunkSeriesSet {
 public:
  struct Entry {
    uint64_t k0, k1;  // (rank(name) << 32 | rank(value)) of pairs 0 and 1; 0 = no such pair
    uint32_t id;
    uint32_t handle;  // label-set handle when sorted: a replaced series is skipped
  };

  HeadChunkSeriesSet(Head* head, const Context& ctx, std::vector<Entry> order, int64_t mint,
                     int64_t maxt, std::shared_ptr<const Head::TombstoneMap> tombstones)
      : head_(head),
        ctx_(ctx),
        order_(std::move(order)),
        mint_(mint),
        maxt_(maxt),
        tombstones_(std::move(tombstones)) {}

  bool Next() override {
    while (i_ < order_.size()) {
      if ((i_ & 127) == 0) {
        if (Status s = ctx_.Err(); !s.ok()) {
          err_ = s;
          return false;
        }
      }
      const Entry& e = order_[i_++];
      {
        ReaderLock l(&head_->index_mu_);
        if (!head_->Live(e.id) || head_->LabelsHandle(e.id) != e.handle) continue;
        labels_ = head_->LabelsOf(e.id);
      }
      refs_.clear();
      open_.clear();
      int64_t open_mint = 0, open_maxt = 0;
      {
        MutexLock l(&head_->StripeOf(e.id));
        const Head::SeriesState& s = head_->State(e.id);
        if (s.labels != e.handle) continue;
        head_->MmappedRefsLocked(s, &refs_);
        if (s.cell != 0 && s.xor_state.t >= mint_ && head_->ChunkMintLocked(s) <= maxt_) {
          open_.assign(reinterpret_cast<const char*>(head_->slab_.Data(s.cell)),
                       chunkenc::XorByteLen(s.xor_state));
          open_mint = head_->ChunkMintLocked(s);
          open_maxt = s.xor_state.t;
        }
      }
      metas_.clear();
      holds_.clear();
      for (uint64_t ref : refs_) {
        Result<ChunkMeta> m = head_->chunks_->Read(ref);
        if (!m.has_value()) {
          if (m.error().IsNotFound()) continue;  // truncated away meanwhile
          err_ = m.error();
          return false;
        }
        if (m->maxt < mint_ || m->mint > maxt_) continue;
        metas_.push_back(chunks::Meta{m->mint, m->maxt, chunkenc::Encoding::kXor, m->bytes, 0});
        holds_.push_back(std::move(m->hold));
      }
      if (!open_.empty()) {
        metas_.push_back(chunks::Meta{open_mint, open_maxt, chunkenc::Encoding::kXor, open_, 0});
      }
      if (tombstones_ != nullptr) {
        if (auto it = tombstones_->find(e.id); it != tombstones_->end()) {
          if (Status st = rewriter_.Apply(it->second, &metas_); !st.ok()) {
            err_ = st.WithPrefix("head: series " + labels_.ToString());
            return false;
          }
        }
      }
      if (!metas_.empty()) return true;
    }
    return false;
  }
  const Labels& labels() const override { return labels_; }
  const std::vector<chunks::Meta>& chunks() const override { return metas_; }
  Status Err() const override { return err_; }

 private:
  Head* head_;
  Context ctx_;
  std::vector<Entry> order_;
  int64_t mint_, maxt_;
  std::shared_ptr<const Head::TombstoneMap> tombstones_;  // nullptr: nothing deleted
  chunks::ChunkRewriter rewriter_;
  size_t i_ = 0;
  Labels labels_;
  std::vector<uint64_t> refs_;
  std::string open_;
  std::vector<chunks::Meta> metas_;
  std::vector<std::shared_ptr<const void>> holds_;  // keep mapped chunk bytes valid
  Status err_;
};

std::vector<std::string> Head::BlockSymbols() {
  std::vector<std::string> out = {""};
  {
    ReaderLock l(&index_mu_);
    for (std::string& n : postings_.LabelNames(nullptr)) {
      for (std::string& v : postings_.LabelValues(n, nullptr)) out.push_back(std::move(v));
      out.push_back(std::move(n));
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::unique_ptr<chunks::ChunkSeriesSet> Head::NewChunkSeriesSet(const Context& ctx, int64_t mint,
                                                                int64_t maxt) {
  // Intervals first, then the truncation point (see HeadQuerier::Select).
  std::shared_ptr<const TombstoneMap> tombstones = TombstonesSnapshot();
  mint = std::max(mint, min_valid_time_.load(std::memory_order_acquire));
  std::vector<HeadChunkSeriesSet::Entry> order;
  if (mint <= maxt) {
    ReaderLock l(&index_mu_);
    // Taken under the lock; the lambdas below run while it is held (the thread-safety
    // analysis does not look into lambdas).
    const SymbolTable* syms = &symbols_;
    const LabelStore* store = &label_store_;
    std::vector<uint32_t> rank(syms->size());
    {
      std::vector<uint32_t> by_string(syms->size());
      std::iota(by_string.begin(), by_string.end(), 0);
      std::sort(by_string.begin(), by_string.end(),
                [&](uint32_t a, uint32_t b) { return syms->Get(a) < syms->Get(b); });
      for (uint32_t i = 0; i < by_string.size(); ++i) rank[by_string[i]] = i + 1;
    }
    auto name_less = [&](uint32_t a, uint32_t b) { return syms->Get(a) < syms->Get(b); };
    auto key = [&](const std::vector<SymPair>& p, size_t i) -> uint64_t {
      return i < p.size() ? (uint64_t(rank[p[i].first]) << 32) | rank[p[i].second] : 0;
    };
    const roaring_bitmap_t* all = postings_.All();
    std::vector<uint32_t> ids(roaring_bitmap_get_cardinality(all));
    roaring_bitmap_to_uint32_array(all, ids.data());
    order.reserve(ids.size());
    std::vector<SymPair> pa, pb;
    for (uint32_t id : ids) {
      if (!Live(id)) continue;
      store->Decode(LabelsHandle(id), &pa, name_less);
      order.push_back(HeadChunkSeriesSet::Entry{key(pa, 0), key(pa, 1), id, LabelsHandle(id)});
    }
    std::vector<uint32_t>().swap(ids);
    std::sort(order.begin(), order.end(), [&](const auto& a, const auto& b) {
      if (a.k0 != b.k0) return a.k0 < b.k0;
      if (a.k1 != b.k1) return a.k1 < b.k1;
      store->Decode(a.handle, &pa, name_less);
      store->Decode(b.handle, &pb, name_less);
      for (size_t i = 2; i < pa.size() && i < pb.size(); ++i) {
        const uint64_t ka = key(pa, i), kb = key(pb, i);
        if (ka != kb) return ka < kb;
      }
      return pa.size() < pb.size();
    });
  }
  return std::make_unique<HeadChunkSeriesSet>(this, ctx, std::move(order), mint, maxt,
                                              std::move(tombstones));
}

}  // namespace vigil::tsdb
