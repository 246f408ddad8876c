// Test helper: runs the built `vigil` binary (VIGIL_BIN) with arguments through the shell and
// captures its exit code, stdout and stderr. For gtest tests of subcommands; header-only.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace vigil::testing {

struct RunResult {
  int exit_code = -1;
  std::string out, err;
};

inline std::string SlurpFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// `vigil <args>`; args are shell words (quote them yourself). Output goes through two
// temporary files named after `tag` and the process id, removed afterwards.
inline RunResult RunVigil(const std::string& args, const std::string& tag = "vigil_test") {
  const char* bin = std::getenv("VIGIL_BIN");
  EXPECT_NE(bin, nullptr) << "VIGIL_BIN not set";
  if (bin == nullptr) return {};
  std::string base = "/tmp/" + tag + "_" + std::to_string(getpid());
  std::string cmd = std::string(bin) + " " + args + " >" + base + ".out 2>" + base + ".err";
  int status = std::system(cmd.c_str());
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = SlurpFile(base + ".out");
  r.err = SlurpFile(base + ".err");
  std::remove((base + ".out").c_str());
  std::remove((base + ".err").c_str());
  return r;
}

}  // namespace vigil::testing
