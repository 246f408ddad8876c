// vigil: one binary, many subcommands (docs/architecture.md §1).
#include <cstdio>
#include <cstring>
#include <string_view>

#include "cmd/commands.h"

namespace {

struct Command {
  const char* name;
  const char* summary;
  int (*run)(int argc, char** argv);
};

// Keep in the order of docs/architecture.md §1.
constexpr Command kCommands[] = {
    {"server", "the Prometheus-compatible server: scrape, store, query", vigil::cmd::RunServer},
    {"demo", "the whole stack on one machine: a simulated fleet monitored by Vigil",
     vigil::cmd::RunDemo},
    {"fleet", "simulated microservice fleet of scrape targets", vigil::cmd::RunFleet},
    {"version", "print the version", vigil::cmd::RunVersion},
    {"tool", "promtool-like checks and utilities (vigil tool --help)", vigil::cmd::RunTool},
};

void Usage(FILE* out) {
  std::fprintf(out, "usage: vigil <command> [flags]\n\ncommands:\n");
  for (const auto& c : kCommands) std::fprintf(out, "  %-10s %s\n", c.name, c.summary);
  std::fprintf(out, "\nRun 'vigil <command> --help' for the flags of a command.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    Usage(stderr);
    return 2;
  }
  std::string_view name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    Usage(stdout);
    return 0;
  }
  if (name == "--version") name = "version";
  for (const auto& c : kCommands) {
    if (name == c.name) return c.run(argc - 1, argv + 1);
  }
  std::fprintf(stderr, "vigil: unknown command %s\n", argv[1]);
  Usage(stderr);
  return 2;
}
