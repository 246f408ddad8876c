#include "tsdb/db/chunk_merge.h"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <string>
#include <utility>

#include "tsdb/chunkenc/xor.h"

namespace vigil::tsdb {
namespace {

class MergeChunkSeriesSet final : public chunks::ChunkSeriesSet {
 public:
  explicit MergeChunkSeriesSet(std::vector<std::unique_ptr<chunks::ChunkSeriesSet>> sets)
      : sets_(std::move(sets)), ok_(sets_.size(), false), used_(sets_.size(), false) {}

  bool Next() override {
    if (!err_.ok()) return false;
    if (!started_) {
      started_ = true;
      for (size_t i = 0; i < sets_.size(); ++i) ok_[i] = sets_[i]->Next();
    } else {
      for (size_t i = 0; i < sets_.size(); ++i) {
        if (used_[i]) ok_[i] = sets_[i]->Next();
      }
    }
    const Labels* min = nullptr;
    size_t first = 0;
    for (size_t i = 0; i < sets_.size(); ++i) {
      used_[i] = false;
      if (ok_[i] && (min == nullptr || Labels::Compare(sets_[i]->labels(), *min) < 0)) {
        min = &sets_[i]->labels();
        first = i;
      }
    }
    chunks_.clear();
    bytes_.clear();
    if (min == nullptr) return false;
    cur_ = sets_[first].get();
    in_.clear();
    for (size_t i = 0; i < sets_.size(); ++i) {
      if (ok_[i] && Labels::Compare(sets_[i]->labels(), *min) == 0) {
        used_[i] = true;
        for (const chunks::Meta& m : sets_[i]->chunks()) in_.push_back(Input{m, i});
      }
    }
    // Stable: chunks of one set keep their order; among equal mints the lower set first.
    std::stable_sort(in_.begin(), in_.end(), [](const Input& a, const Input& b) {
      if (a.meta.mint != b.meta.mint) return a.meta.mint < b.meta.mint;
      return a.set < b.set;
    });
    for (size_t g = 0; g < in_.size();) {
      size_t end = g + 1;
      int64_t group_maxt = in_[g].meta.maxt;
      while (end < in_.size() && in_[end].meta.mint <= group_maxt) {
        group_maxt = std::max(group_maxt, in_[end].meta.maxt);
        ++end;
      }
      if (end == g + 1) {
        chunks_.push_back(in_[g].meta);
      } else if (Status s = MergeGroup(g, end); !s.ok()) {
        err_ = s.WithPrefix("merging overlapping chunks of " + cur_->labels().ToString());
        chunks_.clear();
        return false;
      }
      g = end;
    }
    return true;
  }

  const Labels& labels() const override { return cur_->labels(); }
  const std::vector<chunks::Meta>& chunks() const override { return chunks_; }
  Status Err() const override {
    for (const auto& s : sets_) {
      if (Status st = s->Err(); !st.ok()) return st;
    }
    return err_;
  }

 private:
  struct Input {
    chunks::Meta meta;
    size_t set;  // index into sets_: the higher wins equal timestamps
  };

  // Merges in_[begin, end) sample by sample into new chunks appended to chunks_.
  Status MergeGroup(size_t begin, size_t end) {
    const size_t n = end - begin;
    its_.resize(n);
    live_.assign(n, false);
    for (size_t k = 0; k < n; ++k) {
      const chunks::Meta& m = in_[begin + k].meta;
      if (m.encoding != chunkenc::Encoding::kXor) {
        return Status::InvalidArgument(
            fmt::format("cannot merge overlapping {} chunks", chunkenc::EncodingName(m.encoding)));
      }
      its_[k].Reset(m.data);
      VIGIL_RETURN_IF_ERROR(Advance(k));
    }
    chunkenc::XorChunk out;
    int64_t out_mint = 0, last_t = 0;
    bool any = false;
    while (true) {
      // The smallest timestamp; on a tie the input of the highest set (then the later
      // chunk) wins.
      int win = -1;
      int64_t t = 0;
      for (size_t k = 0; k < n; ++k) {
        if (!live_[k]) continue;
        const int64_t kt = its_[k].AtT();
        if (win < 0 || kt < t || (kt == t && in_[begin + k].set >= in_[begin + size_t(win)].set)) {
          win = int(k);
          t = kt;
        }
      }
      if (win < 0) break;
      // A timestamp not after the last one written can only come from a damaged chunk that
      // is not in order: dropped, as the head drops out-of-order samples.
      if (!any || t > last_t) {
        if (out.NumSamples() >= kMergedSamplesPerChunk) {
          Flush(out, out_mint, last_t);
          out = chunkenc::XorChunk();
        }
        if (out.NumSamples() == 0) out_mint = t;
        out.Append(t, its_[size_t(win)].AtV());
        last_t = t;
        any = true;
      }
      for (size_t k = 0; k < n; ++k) {
        if (live_[k] && its_[k].AtT() <= t) VIGIL_RETURN_IF_ERROR(Advance(k));
      }
    }
    if (out.NumSamples() > 0) Flush(out, out_mint, last_t);
    return Status::OK();
  }

  Status Advance(size_t k) {
    live_[k] = its_[k].Next();
    if (!live_[k]) return its_[k].Err();
    return Status::OK();
  }

  void Flush(const chunkenc::XorChunk& c, int64_t mint, int64_t maxt) {
    bytes_.emplace_back(c.Bytes());  // deque: earlier views stay valid
    chunks_.push_back(chunks::Meta{mint, maxt, chunkenc::Encoding::kXor, bytes_.back(), 0});
  }

  std::vector<std::unique_ptr<chunks::ChunkSeriesSet>> sets_;
  std::vector<bool> ok_, used_;
  bool started_ = false;
  chunks::ChunkSeriesSet* cur_ = nullptr;
  std::vector<Input> in_;
  std::vector<chunks::Meta> chunks_;
  std::deque<std::string> bytes_;  // re-encoded chunks of the current series
  std::vector<chunkenc::XorIterator> its_;
  std::vector<bool> live_;
  Status err_;
};

}  // namespace

std::unique_ptr<chunks::ChunkSeriesSet> NewMergeChunkSeriesSet(
    std::vector<std::unique_ptr<chunks::ChunkSeriesSet>> sets) {
  return std::make_unique<MergeChunkSeriesSet>(std::move(sets));
}

}  // namespace vigil::tsdb
