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

const Series& ErrorSeriesSet::At() const {
  VIGIL_CHECK(false && "At() on an ErrorSeriesSet");
  __builtin_unreachable();
}

std::unique_ptr<SeriesSet> EmptySeriesSet() {
  return std::make_unique<ListSeriesSet>(std::vector<std::unique_ptr<Series>>{});
}

}  // namespace vigil::storage
