// promqltest runner: executes a parsed `.test` script (script.h) against the PromQL engine over
// a fresh storage::MemoryStorage per script (and after every `clear`), and checks every eval as
// Prometheus' harness does (FORMAT.md §7): failures and their messages, warn/info annotations
// (closed world), result types, label sets, values with a relative tolerance of 1e-6, order
// for `expect ordered`, sorted range results, plus the harness' extra checks (§7.6: the
// range-mode cross-check and the `@`-modifier invariance check).
//
// Evals that need native histograms or start timestamps (neither is supported by Vigil's
// storage interface yet) are skipped and counted by reason (§8), as are evals expecting an
// answer from a native-histogram-only function (histogram_count, ...), which Vigil's engine
// refuses with an error by design.
//
// Thread-compatible: a RunScript call uses its own storage and engine.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "promql/engine/engine.h"

namespace vigil::promql::promqltest {

struct RunOptions {
  // How evals touching native histograms are recognised (FORMAT.md §8).
  enum class HistogramSkip { kSegment, kHeuristic };
  HistogramSkip histogram_skip = HistogramSkip::kHeuristic;
  // §7.6.1: also run instant evals as a range query around the eval time.
  bool range_check = true;
  // §7.6.2: re-run instant evals with `@ T` added to every selector, at several times.
  bool at_modifier_check = true;
  // Engine settings (the scripts assume delayed __name__ removal and 5m lookback).
  EngineOptions engine = DefaultEngineOptions();

  static EngineOptions DefaultEngineOptions();
};

struct EvalFailure {
  int line = 0;
  std::string expr;
  std::string message;   // what went wrong
  std::string expected;  // the expectation, as written in the script
  std::string actual;    // the result or error the engine produced
};

struct ScriptReport {
  std::string name;
  int pass = 0;
  int fail = 0;
  int skip = 0;
  std::map<std::string, int> skip_reasons;
  std::vector<EvalFailure> failures;
  // Set when the script could not be read or parsed (no eval ran).
  std::string error;
};

// Runs one script's text; `name` labels the report (usually the file name).
ScriptReport RunScript(std::string_view text, std::string name, const RunOptions& opts);

// Reads and runs a script file. Error: IOError if the file cannot be read.
Result<ScriptReport> RunScriptFile(const std::string& path, const RunOptions& opts);

// Human-readable report: one block per failure (file:line, expression, expected, actual),
// then "file: pass N, fail N, skip N (reason: N, ...)".
std::string FormatReport(const ScriptReport& r);

// Formats a query value for failure messages.
std::string FormatValue(const Value& v);

}  // namespace vigil::promql::promqltest
