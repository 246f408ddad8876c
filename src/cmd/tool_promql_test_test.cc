// Runs the built `vigil tool promql test` (VIGIL_BIN) on small scripts.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace {

std::string Bin() {
  const char* b = std::getenv("VIGIL_BIN");
  return b != nullptr ? b : "build/bin/vigil";
}

// Runs a shell command; returns its exit code and stdout.
int RunShell(const std::string& cmd, std::string* out) {
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return -1;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out->append(buf.data(), n);
  int st = pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

std::string WriteScript(const std::string& name, const std::string& text) {
  std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

TEST(ToolPromqlTest, PassingScript) {
  std::string f = WriteScript("ok.test", "load 1m\n  m 1 2 3\n\neval instant at 2m m\n  m 3\n");
  std::string out;
  EXPECT_EQ(RunShell(Bin() + " tool promql test " + f, &out), 0) << out;
  EXPECT_NE(out.find("ok.test: pass 1, fail 0, skip 0"), std::string::npos) << out;
  EXPECT_NE(out.find("TOTAL: pass 1, fail 0, skip 0"), std::string::npos) << out;
}

TEST(ToolPromqlTest, FailingScriptReportsLineExpectedAndActual) {
  std::string f = WriteScript("bad.test",
                              "load 1m\n  m 1 2 3\n\neval instant at 2m m\n  m 4\n\n"
                              "eval instant at 0 {{}}\n");
  std::string out;
  EXPECT_EQ(RunShell(Bin() + " tool promql test " + f + " 2>&1", &out), 1) << out;
  EXPECT_NE(out.find("FAIL bad.test:4: m"), std::string::npos) << out;
  EXPECT_NE(out.find("{__name__=\"m\"} 4"), std::string::npos) << out;  // expected
  EXPECT_NE(out.find("{__name__=\"m\"} 3"), std::string::npos) << out;  // actual
}

TEST(ToolPromqlTest, SkipsNativeHistogramsAndCountsReasons) {
  std::string f = WriteScript("nh.test",
                              "load 1m\n  h {{schema:0 count:1 sum:1}}\n  f 1\n\n"
                              "eval instant at 0 h\n  h {{schema:0 count:1 sum:1}}\n\n"
                              "eval instant at 0 f\n  f 1\n");
  std::string out;
  EXPECT_EQ(RunShell(Bin() + " tool promql test " + f, &out), 0) << out;
  EXPECT_NE(out.find("pass 1, fail 0, skip 1 (native histogram in expected result: 1)"),
            std::string::npos)
      << out;
}

TEST(ToolPromqlTest, Usage) {
  std::string out;
  EXPECT_EQ(RunShell(Bin() + " tool promql test 2>&1", &out), 2) << out;
  out.clear();
  EXPECT_EQ(RunShell(Bin() + " tool promql test --native-histogram-skip=bogus x.test 2>&1", &out),
            2)
      << out;
  out.clear();
  EXPECT_EQ(RunShell(Bin() + " tool nosuch 2>&1", &out), 2) << out;
}

}  // namespace
