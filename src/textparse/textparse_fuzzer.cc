// Fuzzes both exposition parsers (and the label-set builder and writer behind them) on
// arbitrary bytes: they must never crash, hang or read outside the input. Seeds:
// testdata/exposition.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "textparse/content_type.h"
#include "textparse/float.h"
#include "textparse/parser.h"
#include "textparse/writer.h"

namespace {

using vigil::textparse::Entry;
using vigil::textparse::Parser;

// Walks a whole body, touching every view so that ASan sees any bad one.
void Drain(Parser& p, std::string* sink) {
  sink->clear();
  vigil::textparse::Writer w(sink);
  for (int i = 0; i < 1 << 20; ++i) {
    auto e = p.Next();
    if (!e.has_value() || *e == Entry::kEof) break;
    size_t sum = p.Series().size() + p.MetricName().size() + p.Help().size();
    for (const auto& l : p.Labels()) sum += l.name.size() + l.value.size();
    for (const auto& l : p.ExemplarLabels()) sum += l.name.size() + l.value.size();
    if (*e == Entry::kSeries) {
      if (sum % 7 == 0) (void)p.BuildLabels();
      w.Sample(p.MetricName(), p.Labels(), p.Value(), p.Timestamp());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Copy into an exactly-sized heap buffer so that ASan flags any read past the end.
  std::unique_ptr<char[]> buf(new char[size == 0 ? 1 : size]);
  if (size > 0) std::memcpy(buf.get(), data, size);
  std::string_view body(buf.get(), size);

  vigil::textparse::ParserOptions opts;
  opts.max_line_bytes = 4096;
  std::string sink;
  {
    vigil::textparse::PromParser p(body, opts);
    Drain(p, &sink);
  }
  {
    vigil::textparse::OpenMetricsParser p(body, opts);
    Drain(p, &sink);
  }
  {
    opts.skip_created_series = true;
    vigil::textparse::OpenMetricsParser p(body, opts);
    Drain(p, &sink);
  }
  // Short inputs also exercise the float parser and content-type parser directly.
  if (size <= 64) {
    double v = 0;
    (void)vigil::textparse::ParseGoFloat(body, &v);
    (void)vigil::textparse::ChooseFormat(body, std::nullopt);
  }
  return 0;
}
