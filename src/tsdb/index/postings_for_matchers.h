// PostingsForMatchers: the series of an index that match a selector, with Prometheus'
// semantics (tsdb/querier.go): a matcher that does not match "" intersects the union of the
// postings of the values it accepts; a matcher that matches "" (a="", a!="x", a=~"x|",
// a!~"x") keeps series without the label and subtracts the postings of the values it
// rejects; with no intersecting matcher the start set is all series.
//
// Results are CRoaring bitmaps of series refs (ascending ref = label order). Pure functions
// over a const IndexReader; thread-safe.
#pragma once

#include <roaring/roaring.h>

#include <memory>
#include <vector>

#include "base/result.h"
#include "model/matcher.h"
#include "tsdb/index/index_reader.h"

namespace vigil::tsdb::index {

struct RoaringFree {
  void operator()(roaring_bitmap_t* b) const { roaring_bitmap_free(b); }
};
// An owned CRoaring bitmap.
using Bitmap = std::unique_ptr<roaring_bitmap_t, RoaringFree>;

// The refs of series matching every matcher. Corruption if a postings list read is damaged.
Result<Bitmap> PostingsForMatchers(const IndexReader& ir, const std::vector<Matcher>& matchers);

// A bitmap of the refs in `p`.
Bitmap ToBitmap(const Postings& p);

}  // namespace vigil::tsdb::index
