// Runs every Prometheus PromQL test script of the shared conformance data
// ($VIGIL_CONFORMANCE_DIR, default <source dir>/../shared/conformance/promql-testdata) and
// checks that at least the recorded number of evals pass per file (a ratchet: raise the
// numbers as the engine improves, so that regressions fail CI). Skips cleanly when the data is
// absent.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include "promql/promqltest/runner.h"

namespace vigil::promql::promqltest {
namespace {

std::string ConformanceDir() {
  if (const char* d = std::getenv("VIGIL_CONFORMANCE_DIR")) return d;
  std::string src = VIGIL_DEFAULT_SOURCE_DIR;
  if (const char* s = std::getenv("VIGIL_SOURCE_DIR")) src = s;
  return src + "/../shared/conformance/promql-testdata";
}

// Minimum passing evals per file (ratchet).
const std::map<std::string, int>& MinPass() {
  static const auto* m = new std::map<std::string, int>{
      {"aggregators.test", 125},
      {"at_modifier.test", 78},
      {"collision.test", 2},
      {"duration_expression.test", 59},
      {"extended_vectors.test", 120},
      {"fill-modifier.test", 46},
      {"functions.test", 320},
      {"histograms.test", 91},
      {"info.test", 52},
      {"limit.test", 0},
      {"literals.test", 25},
      {"name_label_dropping.test", 30},
      {"native_histograms.test", 3},
      {"operators.test", 142},
      {"range_queries.test", 16},
      {"selectors.test", 31},
      {"staleness.test", 17},
      {"start_timestamps.test", 0},
      {"subquery.test", 32},
      {"trig_functions.test", 19},
      {"type_and_unit.test", 58},
  };
  return *m;
}

// The whole run again with range queries evaluated in batches of two steps: must pass the same
// evals.
TEST(PromqlConformance, SharedScriptsInSmallStepBatches) {
  namespace fs = std::filesystem;
  std::string dir = ConformanceDir();
  if (!fs::is_directory(dir)) GTEST_SKIP() << "conformance data not found at " << dir;
  RunOptions def, small;
  small.engine.max_steps_per_batch = 2;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".test") continue;
    auto a = RunScriptFile(e.path().string(), def);
    auto b = RunScriptFile(e.path().string(), small);
    ASSERT_TRUE(a.has_value() && b.has_value());
    EXPECT_EQ(a->pass, b->pass) << FormatReport(*b);
    EXPECT_EQ(b->fail, a->fail) << FormatReport(*b);
  }
}

TEST(PromqlConformance, SharedScripts) {
  namespace fs = std::filesystem;
  std::string dir = ConformanceDir();
  if (!fs::is_directory(dir)) GTEST_SKIP() << "conformance data not found at " << dir;
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".test") files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty());
  RunOptions opts;
  int pass = 0, fail = 0, skip = 0;
  std::string summary;
  for (const auto& f : files) {
    auto rep = RunScriptFile(f, opts);
    ASSERT_TRUE(rep.has_value()) << rep.error().ToString();
    if (std::getenv("VIGIL_CONFORMANCE_VERBOSE")) {
      std::printf("%s", FormatReport(*rep).c_str());
    }
    summary +=
        fmt::format("  {:<28} pass {:4}  fail {:4}  skip {:4}{}\n", rep->name, rep->pass, rep->fail,
                    rep->skip, rep->error.empty() ? "" : "  ERROR: " + rep->error);
    pass += rep->pass;
    fail += rep->fail;
    skip += rep->skip;
    auto it = MinPass().find(rep->name);
    if (it != MinPass().end()) {
      EXPECT_GE(rep->pass, it->second) << rep->name << " regressed:\n" << FormatReport(*rep);
    }
  }
  std::printf("%s  %-28s pass %4d  fail %4d  skip %4d\n", summary.c_str(), "TOTAL", pass, fail,
              skip);
  // Overall ratchet: every eval that does not need native histograms or start timestamps.
  EXPECT_GE(pass, 1266);
  EXPECT_EQ(fail, 0);
}

}  // namespace
}  // namespace vigil::promql::promqltest
