#include "tsdb/db/chunk_merge.h"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <string>
#include <utility>

#include "tsdb/chunkenc/xor.h"
#include "tsdb/db/sorted_merge.h"

namespace vigil::tsdb {
namespace {

class MergeChunkSeriesSet final : public chunks::ChunkSeriesSet {
 public:
  explicit MergeChunkSeriesSet(std::vector<std::unique_ptr<chunks::ChunkSeriesSet>> sets)
      : merge_(std::move(sets)) {}

  bool Next() override {
    if (!err_.ok()) return false;
    chunks_.clear();
    bytes_.clear();
    if (!merge_.Next()) return false;
    cur_ = &merge_.set(merge_.first());
    in_.clear();
    for (size_t i = 0; i < merge_.size(); ++i) {
      if (!merge_.current(i)) continue;
      for (const chunks::Meta& m : merge_.set(i).chunks()) in_.push_back(Input{m, i});
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
    if (Status st = merge_.Err(); !st.ok()) return st;
    return err_;
  }

 private:
  struct Input {
    chunks::Meta meta;
    size_t set;  // index of the child set: the higher wins equal timestamps
  };

  // Merges in_[begin, end) (sorted by mint) sample by sample into new chunks appended to
  // chunks_. Chunks are opened only when the merge reaches their mint and dropped when
  // exhausted, so each step looks at the chunks overlapping that time, not the whole group.
  Status MergeGroup(size_t begin, size_t end) {
    const size_t n = end - begin;
    its_.resize(n);
    active_.clear();
    size_t next = 0;  // the next chunk to open
    chunkenc::XorChunk out;
    int64_t out_mint = 0, last_t = 0;
    bool any = false;
    while (true) {
      int64_t t = INT64_MAX;
      for (size_t k : active_) t = std::min(t, its_[k].AtT());
      // A chunk not open yet starts at its mint: it can hold the next sample only if its
      // mint is not after the smallest current timestamp.
      while (next < n && (active_.empty() || in_[begin + next].meta.mint <= t)) {
        const chunks::Meta& m = in_[begin + next].meta;
        if (m.encoding != chunkenc::Encoding::kXor) {
          return Status::InvalidArgument(fmt::format("cannot merge overlapping {} chunks",
                                                     chunkenc::EncodingName(m.encoding)));
        }
        its_[next].Reset(m.data);
        if (its_[next].Next()) {
          active_.push_back(next);
          t = std::min(t, its_[next].AtT());
        } else {
          VIGIL_RETURN_IF_ERROR(its_[next].Err());
        }
        ++next;
      }
      if (active_.empty()) break;
      // On a tie the input of the highest set (then the later chunk) wins.
      size_t win = n;
      for (size_t k : active_) {
        if (its_[k].AtT() != t) continue;
        if (win == n || in_[begin + k].set > in_[begin + win].set ||
            (in_[begin + k].set == in_[begin + win].set && k > win)) {
          win = k;
        }
      }
      // A timestamp not after the last one written can only come from a damaged chunk that
      // is not in order: dropped, as the head drops out-of-order samples.
      if (!any || t > last_t) {
        if (out.NumSamples() >= kMergedSamplesPerChunk) {
          Flush(out, out_mint, last_t);
          out = chunkenc::XorChunk();
        }
        if (out.NumSamples() == 0) out_mint = t;
        out.Append(t, its_[win].AtV());
        last_t = t;
        any = true;
      }
      for (size_t i = 0; i < active_.size();) {
        const size_t k = active_[i];
        if (its_[k].AtT() <= t && !its_[k].Next()) {
          VIGIL_RETURN_IF_ERROR(its_[k].Err());
          active_[i] = active_.back();  // order does not matter: ties go by (set, chunk)
          active_.pop_back();
          continue;
        }
        ++i;
      }
    }
    if (out.NumSamples() > 0) Flush(out, out_mint, last_t);
    return Status::OK();
  }

  void Flush(const chunkenc::XorChunk& c, int64_t mint, int64_t maxt) {
    bytes_.emplace_back(c.Bytes());  // deque: earlier views stay valid
    chunks_.push_back(chunks::Meta{mint, maxt, chunkenc::Encoding::kXor, bytes_.back(), 0});
  }

  SortedMerge<chunks::ChunkSeriesSet> merge_;
  chunks::ChunkSeriesSet* cur_ = nullptr;
  std::vector<Input> in_;
  std::vector<chunks::Meta> chunks_;
  std::deque<std::string> bytes_;           // re-encoded chunks of the current series
  std::vector<chunkenc::XorIterator> its_;  // one per chunk of the group being merged
  std::vector<size_t> active_;              // open chunks with samples left
  Status err_;
};

}  // namespace

std::unique_ptr<chunks::ChunkSeriesSet> NewMergeChunkSeriesSet(
    std::vector<std::unique_ptr<chunks::ChunkSeriesSet>> sets) {
  return std::make_unique<MergeChunkSeriesSet>(std::move(sets));
}

}  // namespace vigil::tsdb
