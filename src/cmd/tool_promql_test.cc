// `vigil tool promql test [flags] FILE.test...`: runs PromQL test scripts (Prometheus'
// promqltest format, see ../shared/conformance/promql-testdata/FORMAT.md) against Vigil's
// engine on an in-memory storage, like `promtool test` does for Prometheus' own scripts.
//
// Prints every failing eval (file:line, expression, expected, actual) and pass/fail/skip
// counts per file and overall. Exit code: 0 if no eval failed, 1 otherwise, 2 on usage errors.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "cmd/commands.h"
#include "promql/promqltest/runner.h"

namespace vigil::cmd {

int RunToolPromqlTest(int argc, char** argv) {
  CLI::App app{"Run PromQL .test scripts against Vigil's engine", "vigil tool promql test"};
  std::vector<std::string> files;
  std::string conformance_dir;
  std::string skip_rule = "heuristic";
  bool no_extra_checks = false;
  bool quiet = false;
  app.add_option("files", files, "test scripts to run");
  app.add_option("--conformance-dir", conformance_dir,
                 "also run every *.test file in this directory (e.g. the shared Prometheus "
                 "scripts)");
  app.add_option("--native-histogram-skip", skip_rule,
                 "how to recognise evals that need native histograms (skipped): heuristic or "
                 "segment")
      ->check(CLI::IsMember({"heuristic", "segment"}));
  app.add_flag("--no-extra-checks", no_extra_checks,
               "skip the range-mode and @-modifier re-runs of instant evals");
  app.add_flag("-q,--quiet", quiet, "print only the per-file totals");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (!conformance_dir.empty()) {
    std::error_code ec;
    std::vector<std::string> found;
    for (const auto& e : std::filesystem::directory_iterator(conformance_dir, ec)) {
      if (e.path().extension() == ".test") found.push_back(e.path().string());
    }
    if (ec) {
      std::fprintf(stderr, "vigil tool promql test: cannot read %s: %s\n", conformance_dir.c_str(),
                   ec.message().c_str());
      return 2;
    }
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  if (files.empty()) {
    std::fprintf(stderr, "%s", app.help().c_str());
    return 2;
  }

  promql::promqltest::RunOptions opts;
  opts.histogram_skip = skip_rule == "segment"
                            ? promql::promqltest::RunOptions::HistogramSkip::kSegment
                            : promql::promqltest::RunOptions::HistogramSkip::kHeuristic;
  opts.range_check = opts.at_modifier_check = !no_extra_checks;
  int pass = 0, fail = 0, skip = 0, errors = 0;
  for (const auto& f : files) {
    auto rep = promql::promqltest::RunScriptFile(f, opts);
    if (!rep.has_value()) {
      std::fprintf(stderr, "%s\n", rep.error().ToString().c_str());
      ++errors;
      continue;
    }
    if (quiet) {
      promql::promqltest::ScriptReport totals = *rep;
      totals.failures.clear();
      std::fputs(promql::promqltest::FormatReport(totals).c_str(), stdout);
    } else {
      std::fputs(promql::promqltest::FormatReport(*rep).c_str(), stdout);
    }
    pass += rep->pass;
    fail += rep->fail;
    skip += rep->skip;
    if (!rep->error.empty()) ++errors;
  }
  std::printf("TOTAL: pass %d, fail %d, skip %d%s\n", pass, fail, skip,
              errors > 0 ? fmt::format(", {} file errors", errors).c_str() : "");
  return fail > 0 || errors > 0 ? 1 : 0;
}

}  // namespace vigil::cmd
