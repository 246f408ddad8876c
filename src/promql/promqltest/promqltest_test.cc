// Runs Vigil's own PromQL test scripts (testdata/promql/*.test): every eval must pass.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "promql/promqltest/runner.h"

namespace vigil::promql::promqltest {
namespace {

std::string SourceDir() {
  if (const char* s = std::getenv("VIGIL_SOURCE_DIR")) return s;
  return VIGIL_DEFAULT_SOURCE_DIR;
}

void RunAll(const RunOptions& opts) {
  namespace fs = std::filesystem;
  std::string dir = SourceDir() + "/testdata/promql";
  ASSERT_TRUE(fs::is_directory(dir)) << dir;
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".test") files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 5u);
  int total = 0;
  for (const auto& f : files) {
    auto rep = RunScriptFile(f, opts);
    ASSERT_TRUE(rep.has_value()) << rep.error().ToString();
    SCOPED_TRACE(rep->name);
    EXPECT_TRUE(rep->error.empty()) << rep->error;
    EXPECT_EQ(rep->fail, 0) << FormatReport(*rep);
    EXPECT_GT(rep->pass, 0);
    EXPECT_EQ(rep->skip, 0) << FormatReport(*rep);
    total += rep->pass;
  }
  EXPECT_GE(total, 200);
}

TEST(PromqlScripts, AllPass) { RunAll(RunOptions{}); }

// Range queries evaluated in batches of a few steps must give the same results.
TEST(PromqlScripts, AllPassInSmallStepBatches) {
  for (int64_t batch : {1, 2, 3}) {
    SCOPED_TRACE(batch);
    RunOptions opts;
    opts.engine.max_steps_per_batch = batch;
    RunAll(opts);
  }
}

// The harness' extra checks off: the plain evals alone must pass too.
TEST(PromqlScripts, AllPassWithoutExtraChecks) {
  RunOptions opts;
  opts.range_check = false;
  opts.at_modifier_check = false;
  RunAll(opts);
}

}  // namespace
}  // namespace vigil::promql::promqltest
