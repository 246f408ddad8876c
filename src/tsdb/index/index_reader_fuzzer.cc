// Fuzzes the index reader: arbitrary bytes opened as an index file must yield data or a
// Corruption error through every read path (symbols, label values, postings, series,
// matcher selection, Verify), never a crash, an out-of-bounds read or a huge allocation.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "tsdb/index/index_reader.h"
#include "tsdb/index/postings_for_matchers.h"

using namespace vigil;               // NOLINT: fuzzer entry point file
using namespace vigil::tsdb::index;  // NOLINT

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto r = IndexReader::FromBytes(bytes, nullptr, "fuzz");
  if (!r.has_value()) {
    if (!r.error().IsCorruption()) std::abort();
    return 0;
  }
  const IndexReader& ir = **r;
  (void)ir.ForEachSymbol([](std::string_view) { return Status::OK(); });
  for (uint32_t i = 0; i < ir.num_symbols() && i < 1000; ++i) {
    auto s = ir.Symbol(i);
    if (s.has_value() && ir.SymbolRef(*s).value_or(UINT32_MAX) > i) std::abort();
  }
  for (const std::string& n : ir.LabelNames()) {
    auto vs = ir.LabelValues(n);
    if (!vs.has_value()) continue;
    for (const std::string& v : *vs) (void)ir.ReadPostings(n, v);
  }
  Labels l;
  std::vector<vigil::tsdb::chunks::Meta> chks;
  if (auto all = ir.AllPostings(); all.has_value()) {
    for (uint32_t i = 0; i < all->size() && i < 10000; ++i) (void)ir.Series((*all)[i], &l, &chks);
  }
  for (SeriesRef ref = 0; ref < 64; ++ref) (void)ir.Series(ref, &l, &chks);
  auto m = Matcher::Make(MatchType::kRegexMatch, "__name__", ".+");
  auto m2 = Matcher::Make(MatchType::kNotEqual, "job", "x");
  (void)PostingsForMatchers(ir, {*m, *m2});
  (void)ir.Verify([](SeriesRef, const Labels&, const std::vector<vigil::tsdb::chunks::Meta>&) {},
                  10);
  return 0;
}
