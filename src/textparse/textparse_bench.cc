// Micro-benchmarks of the exposition parsers and writer (a program, not a test):
//   ./build/bin/textparse_bench
// Bodies are generated here: Istio-like lines with 32 labels (~1.2 KB per line) and
// node_exporter-like lines (0-3 labels). "ns_per_line" is the CPU time per sample line (shown
// with an SI prefix: "75n" = 75 ns). *_Lazy: ParserOptions::lazy_labels, the scrape-cache hit
// path; *_BuildLabels: the miss path (parse + sorted label set).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "textparse/parser.h"
#include "textparse/writer.h"

namespace vigil::textparse {
namespace {

constexpr int kLines = 2000;

std::string IstioBody(bool openmetrics) {
  static const char* const kNames[] = {"app",
                                       "connection_security_policy",
                                       "destination_app",
                                       "destination_canonical_revision",
                                       "destination_canonical_service",
                                       "destination_cluster",
                                       "destination_principal",
                                       "destination_service",
                                       "destination_service_name",
                                       "destination_service_namespace",
                                       "destination_version",
                                       "destination_workload",
                                       "destination_workload_namespace",
                                       "instance",
                                       "job",
                                       "namespace",
                                       "pod",
                                       "pod_template_hash",
                                       "reporter",
                                       "request_protocol",
                                       "response_code",
                                       "response_flags",
                                       "security_istio_io_tlsMode",
                                       "service_istio_io_canonical_name",
                                       "service_istio_io_canonical_revision",
                                       "source_app",
                                       "source_canonical_revision",
                                       "source_canonical_service",
                                       "source_cluster",
                                       "source_principal",
                                       "source_version",
                                       "source_workload"};
  std::string body;
  body += "# HELP istio_requests_total Total requests.\n# TYPE istio_requests_total counter\n";
  for (int i = 0; i < kLines; ++i) {
    body += "istio_requests_total{";
    for (size_t j = 0; j < std::size(kNames); ++j) {
      if (j > 0) body += ',';
      body += kNames[j];
      body += "=\"";
      switch (j % 4) {
        case 0:
          body += "checkout-v" + std::to_string(i % 5);
          break;
        case 1:
          body += "spiffe://cluster.local/ns/shop/sa/svc-" + std::to_string(i % 13);
          break;
        case 2:
          body += std::to_string(200 + (i % 4) * 100);
          break;
        default:
          body += "payments.shop.svc.cluster.local";
      }
      body += '"';
    }
    body += "} " + std::to_string(i * 37 + 12345) + "\n";
  }
  if (openmetrics) body += "# EOF\n";
  return body;
}

std::string NodeExporterBody() {
  std::string body;
  for (int i = 0; i < kLines; ++i) {
    switch (i % 4) {
      case 0:
        body += "node_cpu_seconds_total{cpu=\"" + std::to_string(i % 64) +
                "\",mode=\"idle\"} 1.23456789e+06\n";
        break;
      case 1:
        body +=
            "node_filesystem_avail_bytes{device=\"/dev/nvme0n1p2\",fstype=\"ext4\","
            "mountpoint=\"/srv/" +
            std::to_string(i) + "\"} 1.84467726336e+11\n";
        break;
      case 2:
        body += "node_network_receive_bytes_total{device=\"eth" + std::to_string(i % 8) +
                "\"} 8812345678\n";
        break;
      default:
        body += "node_load1 0.52\n";
    }
  }
  return body;
}

void Run(benchmark::State& state, Format format, const std::string& body, bool build_labels,
         bool lazy = false) {
  size_t lines = 0;
  ParserOptions opts;
  opts.lazy_labels = lazy;
  for (auto _ : state) {
    auto p = NewParser(format, body, opts);
    for (;;) {
      auto e = p->Next();
      if (!e.has_value()) {
        state.SkipWithError(std::string(e.error().message()).c_str());
        return;
      }
      if (*e == Entry::kEof) break;
      if (*e != Entry::kSeries) continue;
      ++lines;
      benchmark::DoNotOptimize(p->Series().data());
      benchmark::DoNotOptimize(p->Value());
      if (build_labels) {
        if (!p->LoadLabels().ok()) state.SkipWithError("LoadLabels failed");
        benchmark::DoNotOptimize(p->BuildLabels());
      }
    }
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(body.size()));
  state.counters["ns_per_line"] =
      benchmark::Counter(double(lines), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_PromText_Istio32Labels(benchmark::State& state) {
  static const std::string body = IstioBody(false);
  Run(state, Format::kPrometheusText, body, false);
}
BENCHMARK(BM_PromText_Istio32Labels);

// The scrape-cache hit path: series bytes, value and timestamp, no label work.
void BM_PromText_Istio32Labels_Lazy(benchmark::State& state) {
  static const std::string body = IstioBody(false);
  Run(state, Format::kPrometheusText, body, false, /*lazy=*/true);
}
BENCHMARK(BM_PromText_Istio32Labels_Lazy);

void BM_PromText_NodeExporter_Lazy(benchmark::State& state) {
  static const std::string body = NodeExporterBody();
  Run(state, Format::kPrometheusText, body, false, /*lazy=*/true);
}
BENCHMARK(BM_PromText_NodeExporter_Lazy);

void BM_PromText_NodeExporter(benchmark::State& state) {
  static const std::string body = NodeExporterBody();
  Run(state, Format::kPrometheusText, body, false);
}
BENCHMARK(BM_PromText_NodeExporter);

void BM_OpenMetrics_Istio32Labels(benchmark::State& state) {
  static const std::string body = IstioBody(true);
  Run(state, Format::kOpenMetrics, body, false);
}
BENCHMARK(BM_OpenMetrics_Istio32Labels);

// The scrape-cache miss path: parse plus building the sorted label set.
void BM_PromText_Istio32Labels_BuildLabels(benchmark::State& state) {
  static const std::string body = IstioBody(false);
  Run(state, Format::kPrometheusText, body, true);
}
BENCHMARK(BM_PromText_Istio32Labels_BuildLabels);

void BM_Writer_Istio32Labels(benchmark::State& state) {
  static const std::string body = IstioBody(false);
  // Parse once; the body has no escapes, so the views point into it and stay valid. Then
  // time only the writer.
  struct Sample {
    std::string_view name;
    std::vector<LabelView> labels;
    double v;
  };
  std::vector<Sample> samples;
  PromParser p(body);
  for (;;) {
    auto e = p.Next();
    if (!e.has_value() || *e == Entry::kEof) break;
    if (*e != Entry::kSeries) continue;
    samples.push_back(Sample{
        p.MetricName(), std::vector<LabelView>(p.Labels().begin(), p.Labels().end()), p.Value()});
  }
  std::string out;
  for (auto _ : state) {
    out.clear();
    Writer w(&out);
    for (const Sample& s : samples) w.Sample(s.name, s.labels, s.v);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(out.size()));
  state.counters["ns_per_line"] =
      benchmark::Counter(double(samples.size()) * double(state.iterations()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_Writer_Istio32Labels);

}  // namespace
}  // namespace vigil::textparse

BENCHMARK_MAIN();
