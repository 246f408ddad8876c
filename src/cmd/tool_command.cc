// `vigil tool <subcommand> ...`: the promtool-like utilities (docs/architecture.md §1).
//
// Subcommands are rows of kToolCommands, matched on their words ("check config"). To add one,
// declare its Run function in cmd/commands.h, define it in its own tool_<name>.cc, and add one
// row here. The Run function receives argv[0] = the last word of its path ("config"), then its
// own arguments, and returns the exit code (0 ok, 1 failure, 2 usage).
#include <cstdio>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "cmd/commands.h"

namespace vigil::cmd {
namespace {

struct ToolCommand {
  const char* path;  // space-separated words after `vigil tool`
  const char* summary;
  int (*run)(int argc, char** argv);
};

// Keep sorted by path.
constexpr ToolCommand kToolCommands[] = {
    {"check config", "check prometheus.yml files (promtool check config)", RunToolCheckConfig},
    {"promql test", "run PromQL .test scripts and print pass/fail/skip counts", RunToolPromqlTest},
    {"tsdb analyze", "cardinality and churn of a block (promtool tsdb analyze)",
     RunToolTsdbAnalyze},
    {"tsdb dump", "print every sample of the blocks of a data directory", RunToolTsdbDump},
    {"tsdb list", "list the blocks of a data directory", RunToolTsdbList},
    {"tsdb verify", "check every checksum of blocks; exit 1 naming the damage", RunToolTsdbVerify},
};

std::vector<std::string> Words(std::string_view path) {
  std::vector<std::string> out;
  std::istringstream in{std::string(path)};
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

void ToolUsage(FILE* out) {
  std::fprintf(out, "usage: vigil tool <command> [flags] [args]\n\ncommands:\n");
  for (const auto& c : kToolCommands) std::fprintf(out, "  %-22s %s\n", c.path, c.summary);
  std::fprintf(out, "\nRun 'vigil tool <command> --help' for its flags.\n");
}

}  // namespace

int RunTool(int argc, char** argv) {
  if (argc < 2 || std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h" ||
      std::string_view(argv[1]) == "help") {
    ToolUsage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  for (const auto& c : kToolCommands) {
    std::vector<std::string> words = Words(c.path);
    if (size_t(argc - 1) < words.size()) continue;
    bool match = true;
    for (size_t i = 0; i < words.size() && match; ++i) match = words[i] == argv[1 + i];
    if (match) {
      int consumed = int(words.size());  // argv[consumed] becomes the command's argv[0]
      return c.run(argc - consumed, argv + consumed);
    }
  }
  std::string given;
  for (int i = 1; i < argc && i < 3; ++i) given += (i > 1 ? " " : "") + std::string(argv[i]);
  std::fprintf(stderr, "vigil tool: unknown command \"%s\"\n\n", given.c_str());
  ToolUsage(stderr);
  return 2;
}

}  // namespace vigil::cmd
