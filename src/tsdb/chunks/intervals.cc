#include "tsdb/chunks/intervals.h"

#include <algorithm>

#include "tsdb/chunkenc/xor.h"

namespace vigil::tsdb::chunks {

void AddInterval(Intervals* ivs, Interval iv) {
  auto it = std::upper_bound(ivs->begin(), ivs->end(), iv,
                             [](const Interval& a, const Interval& b) { return a.mint < b.mint; });
  ivs->insert(it, iv);
  // One merging pass (lists are short): an interval that overlaps or touches the last kept
  // one extends it.
  size_t kept = 0;
  for (size_t i = 1; i < ivs->size(); ++i) {
    Interval& last = (*ivs)[kept];
    const Interval& cur = (*ivs)[i];
    if (cur.mint <= last.maxt || (last.maxt != INT64_MAX && cur.mint == last.maxt + 1)) {
      last.maxt = std::max(last.maxt, cur.maxt);
    } else {
      (*ivs)[++kept] = cur;
    }
  }
  ivs->resize(kept + 1);
}

bool IsDeleted(const Intervals& ivs, int64_t t) {
  for (const Interval& iv : ivs) {
    if (iv.mint > t) return false;
    if (t <= iv.maxt) return true;
  }
  return false;
}

bool CoversRange(const Intervals& ivs, int64_t mint, int64_t maxt) {
  for (const Interval& iv : ivs) {
    if (iv.mint <= mint && maxt <= iv.maxt) return true;
  }
  return false;
}

bool Overlaps(const Intervals& ivs, int64_t mint, int64_t maxt) {
  for (const Interval& iv : ivs) {
    if (iv.mint <= maxt && mint <= iv.maxt) return true;
  }
  return false;
}

Status ChunkRewriter::Apply(const Intervals& deleted, std::vector<Meta>* metas) {
  if (deleted.empty()) return Status::OK();
  // Fill every buffer before taking views: growing bufs_ would move short strings.
  bufs_.clear();
  bufs_.resize(metas->size());
  std::vector<Meta> out;
  std::vector<int> buf_of;  // per out chunk: index into bufs_, or -1 (kept as it was)
  for (size_t i = 0; i < metas->size(); ++i) {
    const Meta& m = (*metas)[i];
    if (!Overlaps(deleted, m.mint, m.maxt)) {
      out.push_back(m);
      buf_of.push_back(-1);
      continue;
    }
    if (CoversRange(deleted, m.mint, m.maxt)) continue;
    if (m.encoding != chunkenc::Encoding::kXor) {
      return Status::InvalidArgument(
          std::string("cannot delete samples from a chunk of encoding ") +
          std::string(chunkenc::EncodingName(m.encoding)));
    }
    chunkenc::XorIterator it(m.data);
    chunkenc::XorAppender app = chunkenc::XorAppender::New(&bufs_[i]);
    Meta r;
    r.encoding = chunkenc::Encoding::kXor;
    while (it.Next()) {
      const int64_t t = it.AtT();
      if (IsDeleted(deleted, t)) continue;
      if (app.NumSamples() == 0) r.mint = t;
      r.maxt = t;
      if (!app.Append(t, it.AtV())) return Status::Internal("re-encoded chunk overflow");
    }
    VIGIL_RETURN_IF_ERROR(it.Err());
    if (app.NumSamples() == 0) continue;
    out.push_back(r);
    buf_of.push_back(int(i));
  }
  for (size_t k = 0; k < out.size(); ++k) {
    if (buf_of[k] >= 0) out[k].data = bufs_[size_t(buf_of[k])];
  }
  metas->swap(out);
  return Status::OK();
}

}  // namespace vigil::tsdb::chunks
