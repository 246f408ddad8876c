#include "storage/series.h"

#include <algorithm>

#include "base/logging.h"

namespace vigil::storage {

bool ListSampleIterator::Seek(int64_t t) {
  if (i_ == size_t(-1)) i_ = 0;
  if (i_ >= s_->size()) return false;
  if ((*s_)[i_].t >= t) return true;
  auto it = std::lower_bound(s_->begin() + i_, s_->end(), t,
                             [](const Sample& s, int64_t tt) { return s.t < tt; });
  i_ = it - s_->begin();
  return i_ < s_->size();
}

size_t ListSampleIterator::NextBatch(int64_t* ts, double* vs, size_t max) {
  size_t start = i_ + 1;  // i_ == size_t(-1) before the first Next()
  if (start >= s_->size()) {
    i_ = s_->size();
    return 0;
  }
  size_t n = std::min(max, s_->size() - start);
  for (size_t k = 0; k < n; ++k) {
    ts[k] = (*s_)[start + k].t;
    vs[k] = (*s_)[start + k].v;
  }
  i_ = n < max ? s_->size() : start + n - 1;
  return n;
}

const Series& ErrorSeriesSet::At() const {
  VIGIL_CHECK(false && "At() on an ErrorSeriesSet");
  __builtin_unreachable();
}

std::unique_ptr<SeriesSet> EmptySeriesSet() {
  return std::make_unique<ListSeriesSet>(std::vector<std::unique_ptr<Series>>{});
}

}  // namespace vigil::storage
