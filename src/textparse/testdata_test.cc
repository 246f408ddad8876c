// Runs the sample expositions in testdata/exposition (also the fuzz seed corpus) through the
// parsers: files named invalid_* must fail, the others must parse, yield one series per
// sample line, and survive a round trip through the Writer.
#include <gtest/gtest.h>

#include <bit>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "textparse/parser.h"
#include "textparse/writer.h"

namespace vigil::textparse {
namespace {

namespace fs = std::filesystem;

fs::path TestdataDir() {
  const char* src = std::getenv("VIGIL_SOURCE_DIR");
  return fs::path(src != nullptr ? src : ".") / "testdata" / "exposition";
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Sample lines counted without the parser: not blank, not starting with '#'.
size_t CountSampleLines(const std::string& body) {
  size_t n = 0;
  std::istringstream in(body);
  std::string line;
  while (std::getline(in, line)) {
    size_t i = line.find_first_not_of(" \t");
    if (i == std::string::npos || line[i] == '#') continue;
    ++n;
  }
  return n;
}

struct Sample {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;
  uint64_t value_bits;
  std::optional<int64_t> t;
  bool operator==(const Sample&) const = default;
};

void PrintTo(const Sample& s, std::ostream* os) {
  *os << s.name << "{";
  for (const auto& [n, v] : s.labels) *os << n << "=" << v << ",";
  *os << "} " << std::bit_cast<double>(s.value_bits);
  if (s.t) *os << " @" << *s.t;
}

Result<std::vector<Sample>> Collect(Parser& p) {
  std::vector<Sample> out;
  for (;;) {
    VIGIL_ASSIGN_OR_RETURN(Entry e, p.Next());
    if (e == Entry::kEof) return out;
    if (e != Entry::kSeries) continue;
    Sample s{std::string(p.MetricName()), {}, std::bit_cast<uint64_t>(p.Value()), p.Timestamp()};
    for (const auto& l : p.Labels()) s.labels.emplace_back(l.name, l.value);
    out.push_back(std::move(s));
  }
}

TEST(TestdataTest, SampleExpositions) {
  fs::path dir = TestdataDir();
  ASSERT_TRUE(fs::is_directory(dir)) << dir;
  int valid = 0, invalid = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const fs::path& path = entry.path();
    std::string file = path.filename().string();
    Format format;
    if (path.extension() == ".prom") {
      format = Format::kPrometheusText;
    } else if (path.extension() == ".om") {
      format = Format::kOpenMetrics;
    } else {
      continue;
    }
    SCOPED_TRACE(file);
    std::string body = ReadFile(path);
    auto parser = NewParser(format, body);
    auto samples = Collect(*parser);
    if (file.rfind("invalid_", 0) == 0) {
      EXPECT_FALSE(samples.has_value());
      ++invalid;
      continue;
    }
    ASSERT_TRUE(samples.has_value()) << samples.error().ToString();
    ++valid;
    EXPECT_EQ(samples->size(), CountSampleLines(body));

    std::string written;
    Writer w(&written);
    for (const Sample& s : *samples) {
      std::vector<LabelView> ls;
      for (const auto& [n, v] : s.labels) ls.push_back({n, v});
      w.Sample(s.name, ls, std::bit_cast<double>(s.value_bits), s.t);
    }
    // The writer prints -0 as "0", like Go's expfmt.
    for (Sample& s : *samples) {
      if (std::bit_cast<double>(s.value_bits) == 0) s.value_bits = 0;
    }
    PromParser again(written);
    auto reparsed = Collect(again);
    ASSERT_TRUE(reparsed.has_value()) << reparsed.error().ToString() << "\n" << written;
    EXPECT_EQ(*reparsed, *samples);
  }
  EXPECT_GE(valid, 4);
  EXPECT_GE(invalid, 4);
}

TEST(TestdataTest, NodeExporterSpotChecks) {
  std::string body = ReadFile(TestdataDir() / "node_exporter.prom");
  PromParser p(body);
  auto samples = Collect(p);
  ASSERT_TRUE(samples.has_value()) << samples.error().ToString();
  auto find = [&](std::string_view name) -> const Sample* {
    for (const Sample& s : *samples) {
      if (s.name == name) return &s;
    }
    return nullptr;
  };
  const Sample* mem = find("node_memory_MemTotal_bytes");
  ASSERT_NE(mem, nullptr);
  EXPECT_EQ(std::bit_cast<double>(mem->value_bits), 16777216000.0 / 1000 * 1000);
  const Sample* uname = find("node_uname_info");
  ASSERT_NE(uname, nullptr);
  ASSERT_EQ(uname->labels.size(), 6u);
  EXPECT_EQ(uname->labels[5].second, "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)");
}

TEST(TestdataTest, OpenMetricsSpotChecks) {
  std::string body = ReadFile(TestdataDir() / "openmetrics.om");
  OpenMetricsParser p(body);
  int exemplars = 0;
  std::optional<int64_t> cpu_t;
  for (;;) {
    auto e = p.Next();
    ASSERT_TRUE(e.has_value()) << e.error().ToString();
    if (*e == Entry::kEof) break;
    if (*e == Entry::kSeries && p.HasExemplar()) ++exemplars;
    if (*e == Entry::kSeries && p.MetricName() == "process_cpu_seconds_total") {
      cpu_t = p.Timestamp();
    }
  }
  EXPECT_EQ(exemplars, 2);
  EXPECT_EQ(cpu_t, 1605281330500);
}

}  // namespace
}  // namespace vigil::textparse
