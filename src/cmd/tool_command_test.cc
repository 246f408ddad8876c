// Runs the built `vigil` binary (VIGIL_BIN, set by vigil_add_test) on good and bad config
// files and checks exit codes and promtool-style output.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "cmd/run_vigil.h"

namespace {

using vigil::testing::RunResult;

RunResult RunVigil(const std::string& args) {
  return vigil::testing::RunVigil(args, "vigil_tool_test");
}

TEST(ToolCheckConfigTest, GoodFile) {
  RunResult r = RunVigil("tool check config testdata/config/full.good.yml");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("Checking testdata/config/full.good.yml\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  SUCCESS: 1 rule files found\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" SUCCESS: testdata/config/full.good.yml is valid prometheus config file "
                       "syntax\n"),
            std::string::npos)
      << r.out;
  // file_sd_configs points at files that do not exist: a warning, not a failure.
  EXPECT_NE(r.out.find("  WARNING: file \"testdata/config/targets/*.json\" for file_sd in scrape "
                       "job \"node\" does not exist"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.err, "");
}

TEST(ToolCheckConfigTest, BadFileNamesLineAndKey) {
  RunResult r = RunVigil("tool check config testdata/config/unknown_scrape_key.bad.yml");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("Checking testdata/config/unknown_scrape_key.bad.yml"), std::string::npos);
  EXPECT_EQ(r.err,
            "  FAILED: testdata/config/unknown_scrape_key.bad.yml:4: field scrape_intervall not "
            "found in type config.ScrapeConfig\n");
}

TEST(ToolCheckConfigTest, SeveralFilesOneBad) {
  RunResult r = RunVigil(
      "tool check config testdata/config/minimal.good.yml testdata/config/jobname_dup.bad.yml");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find(" SUCCESS: testdata/config/minimal.good.yml is valid"), std::string::npos);
  EXPECT_NE(r.err.find("jobname_dup.bad.yml:5: found multiple scrape configs with job name "
                       "\"prometheus\""),
            std::string::npos)
      << r.err;
}

TEST(ToolCheckConfigTest, MissingRuleFileUnlessSyntaxOnly) {
  std::string path = "/tmp/vigil_tool_rules_" + std::to_string(getpid()) + ".yml";
  std::ofstream(path) << "rule_files: [missing.rules.yml]\n";
  RunResult r = RunVigil("tool check config " + path);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("missing.rules.yml\" does not point to an existing file"), std::string::npos)
      << r.err;
  r = RunVigil("tool check config --syntax-only " + path);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::remove(path.c_str());
}

TEST(ToolCheckConfigTest, MissingFileAndUsage) {
  RunResult r = RunVigil("tool check config testdata/config/nope.yml");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("  FAILED: open testdata/config/nope.yml"), std::string::npos) << r.err;
  EXPECT_EQ(RunVigil("tool check config").exit_code, 2);
  EXPECT_EQ(RunVigil("tool check nothing").exit_code, 2);
  RunResult help = RunVigil("tool --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("check config"), std::string::npos);
}

}  // namespace
