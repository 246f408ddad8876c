// Fuzzes both exposition parsers (and the label-set builder and writer behind them) on
// arbitrary bytes: they must never crash, hang or read outside the input. Seeds:
// testdata/exposition.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "textparse/content_type.h"
#include "textparse/float.h"
#include "textparse/parser.h"
#include "textparse/test_util.h"
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
  // Differential check: lazy label parsing plus LoadLabels() must accept exactly what the
  // eager parser accepts, with the same entries.
  {
    vigil::textparse::ParserOptions eager_opts, lazy_opts;
    eager_opts.max_line_bytes = lazy_opts.max_line_bytes = 4096;
    lazy_opts.lazy_labels = true;
    vigil::textparse::PromParser eager(body, eager_opts);
    vigil::textparse::PromParser lazy(body, lazy_opts);
    auto a = vigil::textparse::testing::ParseAll(eager);
    auto b = vigil::textparse::testing::ParseAll(lazy);
    if (a.entries != b.entries || a.series != b.series || a.error.ok() != b.error.ok()) {
      std::fprintf(stderr, "eager and lazy parsing disagree:\n%s\n%s\n", a.error.ToString().c_str(),
                   b.error.ToString().c_str());
      std::abort();
    }
  }
  // Short inputs also exercise the float parser and content-type parser directly.
  if (size <= 64) {
    double v = 0;
    (void)vigil::textparse::ParseGoFloat(body, &v);
    (void)vigil::textparse::ChooseFormat(body, std::nullopt);
  }
  return 0;
}
