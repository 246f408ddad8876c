#include "tsdb/index/postings_for_matchers.h"

#include <algorithm>

namespace vigil::tsdb::index {
namespace {

Bitmap NewBitmap() { return Bitmap(roaring_bitmap_create()); }

// Union of the postings of the values of `name` for which pred(value) holds.
template <typename Pred>
Result<Bitmap> UnionWhere(const IndexReader& ir, std::string_view name, Pred&& pred) {
  std::vector<uint64_t> offsets;
  VIGIL_RETURN_IF_ERROR(ir.ForEachLabelValue(name, [&](std::string_view v, uint64_t off) {
    if (pred(v)) offsets.push_back(off);
    return true;
  }));
  Bitmap out = NewBitmap();
  std::vector<SeriesRef> refs;
  for (uint64_t off : offsets) {
    VIGIL_ASSIGN_OR_RETURN(Postings p, ir.PostingsAt(off));
    refs.clear();
    p.AppendTo(&refs);
    roaring_bitmap_add_many(out.get(), refs.size(), refs.data());
  }
  return out;
}

bool HasName(const IndexReader& ir, std::string_view name) {
  bool found = false;
  ir.ForEachLabelValue(name, [&](std::string_view, uint64_t) {
      found = true;
      return false;
    }).IgnoreError();
  return found;
}

}  // namespace

Bitmap ToBitmap(const Postings& p) {
  std::vector<SeriesRef> refs;
  refs.reserve(p.size());
  p.AppendTo(&refs);
  Bitmap b = NewBitmap();
  roaring_bitmap_add_many(b.get(), refs.size(), refs.data());
  return b;
}

Result<Bitmap> PostingsForMatchers(const IndexReader& ir, const std::vector<Matcher>& matchers) {
  std::vector<Bitmap> intersect, subtract;
  for (const Matcher& m : matchers) {
    if (m.MatchesEmpty()) {
      // Keeps series lacking the label; subtracts those whose value is rejected.
      if (m.type() == MatchType::kRegexMatch && m.value() == ".*") continue;
      if (!HasName(ir, m.name())) continue;
      if (m.type() == MatchType::kNotEqual) {
        VIGIL_ASSIGN_OR_RETURN(Postings p, ir.ReadPostings(m.name(), m.value()));
        if (!p.empty()) subtract.push_back(ToBitmap(p));
        continue;
      }
      VIGIL_ASSIGN_OR_RETURN(
          Bitmap b, UnionWhere(ir, m.name(), [&](std::string_view v) { return !m.Matches(v); }));
      if (!roaring_bitmap_is_empty(b.get())) subtract.push_back(std::move(b));
      continue;
    }
    if (m.type() == MatchType::kEqual) {
      VIGIL_ASSIGN_OR_RETURN(Postings p, ir.ReadPostings(m.name(), m.value()));
      if (p.empty()) return NewBitmap();
      intersect.push_back(ToBitmap(p));
      continue;
    }
    Bitmap b;
    if (m.type() == MatchType::kRegexMatch && !m.SetMatches().empty()) {
      b = NewBitmap();
      for (const std::string& v : m.SetMatches()) {
        VIGIL_ASSIGN_OR_RETURN(Postings p, ir.ReadPostings(m.name(), v));
        std::vector<SeriesRef> refs;
        p.AppendTo(&refs);
        roaring_bitmap_add_many(b.get(), refs.size(), refs.data());
      }
    } else {
      VIGIL_ASSIGN_OR_RETURN(
          b, UnionWhere(ir, m.name(), [&](std::string_view v) { return m.Matches(v); }));
    }
    if (roaring_bitmap_is_empty(b.get())) return b;
    intersect.push_back(std::move(b));
  }
  Bitmap out;
  if (intersect.empty()) {
    VIGIL_ASSIGN_OR_RETURN(Postings all, ir.AllPostings());
    out = ToBitmap(all);
  } else {
    std::sort(intersect.begin(), intersect.end(), [](const Bitmap& a, const Bitmap& b) {
      return roaring_bitmap_get_cardinality(a.get()) < roaring_bitmap_get_cardinality(b.get());
    });
    out = std::move(intersect[0]);
    for (size_t i = 1; i < intersect.size() && !roaring_bitmap_is_empty(out.get()); ++i) {
      roaring_bitmap_and_inplace(out.get(), intersect[i].get());
    }
  }
  for (const Bitmap& s : subtract) {
    if (roaring_bitmap_is_empty(out.get())) break;
    roaring_bitmap_andnot_inplace(out.get(), s.get());
  }
  return out;
}

}  // namespace vigil::tsdb::index
