// Fuzzer for the PromQL parser: arbitrary bytes must parse or fail cleanly (no crash, no
// unbounded recursion), and every successful parse must print to text that parses back and
// prints the same (also through Prettify and Clone).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "promql/parser/parser.h"
#include "promql/parser/printer.h"

namespace {

using vigil::promql::parser::ParseExpr;
using vigil::promql::parser::ParseMetric;
using vigil::promql::parser::ParseMetricSelector;
using vigil::promql::parser::ParseOptions;
using vigil::promql::parser::Prettify;
using vigil::promql::parser::ToString;

[[noreturn]] void Fail(std::string_view what, std::string_view in, std::string_view a,
                       std::string_view b) {
  std::fprintf(stderr, "%.*s\ninput: %.*s\n  %.*s\n  %.*s\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(in.size()), in.data(), static_cast<int>(a.size()),
               a.data(), static_cast<int>(b.size()), b.data());
  std::abort();
}

void Check(std::string_view in, const ParseOptions& opts) {
  auto r = ParseExpr(in, opts);
  if (!r) {
    if (r.error().message().empty()) Fail("empty error message", in, "", "");
    return;
  }
  const std::string printed = ToString(**r);
  auto again = ParseExpr(printed, opts);
  if (!again) Fail("printed form does not parse", in, printed, again.error().message());
  const std::string printed2 = ToString(**again);
  if (printed2 != printed) Fail("print is not a fixed point", in, printed, printed2);
  if (ToString(*(*r)->Clone()) != printed) Fail("clone prints differently", in, printed, "");
  const std::string pretty = Prettify(**r, 20);
  auto p = ParseExpr(pretty, opts);
  if (!p) Fail("prettified form does not parse", in, pretty, p.error().message());
  if (ToString(**p) != printed) Fail("prettified form differs", in, printed, ToString(**p));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  ParseOptions all = ParseOptions::AllEnabled();
  all.max_depth = 200;
  Check(in, all);
  ParseOptions none;
  none.max_depth = 200;
  Check(in, none);
  ParseMetricSelector(in).IgnoreError();
  ParseMetric(in).IgnoreError();
  return 0;
}
