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

TEST(PromqlScripts, AllPass) {
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
    auto rep = RunScriptFile(f, RunOptions{});
    ASSERT_TRUE(rep.has_value()) << rep.error().ToString();
    SCOPED_TRACE(rep->name);
    EXPECT_TRUE(rep->error.empty()) << rep->error;
    EXPECT_EQ(rep->fail, 0) << FormatReport(*rep);
    EXPECT_GT(rep->pass, 0);
    EXPECT_EQ(rep->skip, 0) << FormatReport(*rep);
    total += rep->pass;
    std::printf("%s", FormatReport(*rep).c_str());
  }
  EXPECT_GE(total, 200);
}

}  // namespace
}  // namespace vigil::promql::promqltest
