// Helpers for tests that run Prometheus' promtool against blocks Vigil wrote (or reads the
// blocks promtool wrote): finding the binary, running a shell command with its output
// captured, parsing `promtool tsdb dump` and comparing series keyed by their label text.
// Test-only; header-only; not thread-safe (commands write their output under the test's
// temporary directory).
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "fs/file_system.h"
#include "fs/temp_dir.h"
#include "model/value.h"
#include "tsdb/block/block_test_util.h"

namespace vigil::tsdb::block::testing {

// Series by their label text ("{a=\"b\", ...}"), samples in time order.
using SeriesByText = std::map<std::string, std::vector<Sample>>;

// The promtool binary ($VIGIL_PROMTOOL_BIN, else /usr/bin/promtool), or "" when it is not
// an executable file.
inline std::string PromtoolPath() {
  const char* env = std::getenv("VIGIL_PROMTOOL_BIN");
  const std::string bin = env != nullptr ? env : "/usr/bin/promtool";
  return ::access(bin.c_str(), X_OK) == 0 ? bin : "";
}

struct ShellResult {
  int code = -1;  // exit code; -1 when the command did not exit normally
  std::string out, err;
};

// Runs `args` through the shell with stdout/stderr captured in files under `tmp`.
inline ShellResult RunShell(const std::string& args, const fs::TempDir& tmp) {
  const std::string out = tmp.Sub("cmd.out"), err = tmp.Sub("cmd.err");
  const int st = std::system((args + " >" + out + " 2>" + err).c_str());
  ShellResult c;
  c.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  c.out = fs::ReadFileToString(fs::DefaultFileSystem(), out).value_or("");
  c.err = fs::ReadFileToString(fs::DefaultFileSystem(), err).value_or("");
  return c;
}

// Runs `promtool tsdb dump dir` and adds its "{labels} value timestamp" lines to *got (and
// their count to *lines when not null). Asserts (gtest) a zero exit and well-formed lines:
// call through ASSERT_NO_FATAL_FAILURE.
inline void PromtoolDump(const std::string& promtool, const std::string& dir,
                         const fs::TempDir& tmp, SeriesByText* got, uint64_t* lines = nullptr) {
  const ShellResult dump = RunShell(promtool + " tsdb dump " + dir, tmp);
  ASSERT_EQ(dump.code, 0) << dump.err;
  std::string line;
  for (std::istringstream in(dump.out); std::getline(in, line);) {
    // Labels may contain spaces, so split from the right.
    const size_t s2 = line.rfind(' ');
    const size_t s1 =
        s2 == std::string::npos || s2 == 0 ? std::string::npos : line.rfind(' ', s2 - 1);
    ASSERT_TRUE(s1 != std::string::npos && s2 != std::string::npos) << line;
    (*got)[line.substr(0, s1)].push_back(
        Sample{std::stoll(line.substr(s2 + 1)),
               std::strtod(line.substr(s1 + 1, s2 - s1 - 1).c_str(), nullptr)});
    if (lines != nullptr) ++*lines;
  }
}

// Values are equal by bits, or both NaN (promtool prints every NaN alike).
inline bool SameValueOrNaN(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) ||
         std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b);
}

// `data` keyed by label text.
inline SeriesByText ByText(const std::vector<TestSeries>& data) {
  SeriesByText out;
  for (const auto& s : data) out[s.labels.ToString()] = s.samples;
  return out;
}

// got holds exactly the series of want with the same timestamps and values (SameValueOrNaN).
inline ::testing::AssertionResult SameSeriesByText(const SeriesByText& got,
                                                   const SeriesByText& want) {
  if (got.size() != want.size()) {
    return ::testing::AssertionFailure() << got.size() << " series, want " << want.size();
  }
  for (const auto& [series, samples] : want) {
    auto it = got.find(series);
    if (it == got.end()) return ::testing::AssertionFailure() << "missing " << series;
    if (it->second.size() != samples.size()) {
      return ::testing::AssertionFailure()
             << series << ": " << it->second.size() << " samples, want " << samples.size();
    }
    for (size_t i = 0; i < samples.size(); ++i) {
      const Sample& g = it->second[i];
      if (g.t != samples[i].t || !SameValueOrNaN(g.v, samples[i].v)) {
        return ::testing::AssertionFailure()
               << series << " sample " << i << ": " << g.v << " @" << g.t << ", want "
               << samples[i].v << " @" << samples[i].t;
      }
    }
  }
  return ::testing::AssertionSuccess();
}

}  // namespace vigil::tsdb::block::testing
