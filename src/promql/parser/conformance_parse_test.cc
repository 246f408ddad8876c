// Parses every expression of Prometheus' PromQL test scripts (the shared conformance data,
// read by path, never copied): each `eval` expression must parse with all features on, print,
// and parse back to the same text; each `load` series' label set must parse as a metric.
//
// The data lives outside the repository: $VIGIL_CONFORMANCE_DIR, else
// $VIGIL_SOURCE_DIR/../shared/conformance, else ../shared/conformance from the working
// directory. The test is skipped when none exists.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "promql/parser/parser.h"
#include "promql/parser/printer.h"

namespace vigil::promql::parser {
namespace {

namespace fs = std::filesystem;

fs::path ConformanceDir() {
  std::vector<fs::path> candidates;
  if (const char* d = std::getenv("VIGIL_CONFORMANCE_DIR")) candidates.emplace_back(d);
  if (const char* s = std::getenv("VIGIL_SOURCE_DIR")) {
    candidates.push_back(fs::path(s) / ".." / "shared" / "conformance");
  }
  candidates.emplace_back(fs::path("..") / "shared" / "conformance");
  for (const auto& c : candidates) {
    std::error_code ec;
    if (fs::is_directory(c / "promql-testdata", ec)) return c / "promql-testdata";
  }
  return {};
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// Splits off `n` white-space separated words; returns the rest of the line.
bool SkipWords(const std::string& line, int n, std::vector<std::string>* words, std::string* rest) {
  size_t i = 0;
  for (int w = 0; w < n; w++) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) i++;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') i++;
    if (start == i) return false;
    words->push_back(line.substr(start, i - start));
  }
  *rest = Trim(line.substr(i));
  return true;
}

// The label-set part of a series description: up to the closing brace, or the first blank.
std::string MetricPart(const std::string& line) {
  size_t brace = line.find('{');
  size_t space = line.find_first_of(" \t");
  if (brace == std::string::npos || (space != std::string::npos && space < brace)) {
    return line.substr(0, space);
  }
  char quote = 0;
  for (size_t i = brace; i < line.size(); i++) {
    char c = line[i];
    if (quote != 0) {
      if (c == '\\' && quote != '`') {
        i++;
      } else if (c == quote) {
        quote = 0;
      }
    } else if (c == '"' || c == '\'' || c == '`') {
      quote = c;
    } else if (c == '}') {
      return line.substr(0, i + 1);
    }
  }
  return line;
}

TEST(ConformanceParseTest, AllScriptExpressionsParse) {
  fs::path dir = ConformanceDir();
  if (dir.empty()) GTEST_SKIP() << "conformance data not found (set VIGIL_CONFORMANCE_DIR)";
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".test") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty());

  int evals = 0, evals_expect_fail = 0, loads = 0, failures = 0;
  for (const auto& f : files) {
    std::ifstream in(f);
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);) lines.push_back(Trim(l));
    bool in_load = false;
    for (size_t i = 0; i < lines.size(); i++) {
      const std::string& line = lines[i];
      const std::string where = f.filename().string() + ":" + std::to_string(i + 1);
      if (line.empty() || line[0] == '#') {
        in_load = false;
        continue;
      }
      if (line.rfind("load", 0) == 0) {
        in_load = true;
        continue;
      }
      if (line.rfind("eval", 0) == 0) {
        in_load = false;
        std::vector<std::string> words;
        std::string expr;
        bool ok = line.find(" range ") != std::string::npos
                      ? SkipWords(line, 8, &words, &expr)   // eval range from A to B step S
                      : SkipWords(line, 4, &words, &expr);  // eval instant at T
        ASSERT_TRUE(ok) << where << ": " << line;
        bool expect_fail = words[0] == "eval_fail";
        for (size_t j = i + 1; j < lines.size() && !lines[j].empty() && lines[j][0] != '#'; j++) {
          if (lines[j].rfind("expect fail", 0) == 0) expect_fail = true;
        }
        evals++;
        if (expect_fail) evals_expect_fail++;
        auto r = ParseExpr(expr, ParseOptions::AllEnabled());
        if (!r) {
          failures++;
          ADD_FAILURE() << where << ": " << expr << "\n  " << r.error().message();
          continue;
        }
        std::string printed = ToString(**r);
        auto again = ParseExpr(printed, ParseOptions::AllEnabled());
        if (!again || ToString(**again) != printed) {
          failures++;
          ADD_FAILURE() << where << ": round trip of " << expr << " via " << printed;
        }
        continue;
      }
      if (in_load) {
        std::string metric = MetricPart(line);
        // Start-timestamp lines name their series as `metric@st`.
        if (metric.size() > 3 && metric.compare(metric.size() - 3, 3, "@st") == 0) {
          metric.resize(metric.size() - 3);
        }
        auto m = ParseMetric(metric);
        loads++;
        if (!m) {
          failures++;
          ADD_FAILURE() << where << ": " << metric << "\n  " << m.error().message();
        }
      }
    }
  }
  std::printf(
      "[conformance] %zu files: %d eval expressions parsed (%d of them expect fail), "
      "%d load series, %d failures\n",
      files.size(), evals, evals_expect_fail, loads, failures);
  EXPECT_GT(evals, 1000);
  EXPECT_GT(loads, 500);
  EXPECT_EQ(failures, 0);
}

}  // namespace
}  // namespace vigil::promql::parser
