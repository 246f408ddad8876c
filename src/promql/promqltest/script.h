// promqltest script reader: turns the text of a PromQL `.test` script (Prometheus'
// promql/promqltest format: `load`, `clear`, `eval` blocks with series descriptions and
// `expect` lines) into a list of commands. It reads only the script structure and the series
// descriptions; PromQL expressions are kept as text for the engine to parse.
//
// The language is specified in ../shared/conformance/promql-testdata/FORMAT.md (sections 2-6);
// section numbers below refer to it. Errors are InvalidArgument with "line N: ..." (1-based).
//
// All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.h"
#include "model/labels.h"

namespace vigil::promql::promqltest {

// One slot of a series description (§5.2).
struct SequenceValue {
  enum class Kind : uint8_t {
    kFloat,      // `value` holds the number
    kOmitted,    // `_`: nothing stored / nothing expected
    kStale,      // `stale`: a staleness marker (loads only)
    kHistogram,  // `{{...}}`: a native histogram literal, recognised only to be skipped
  };
  Kind kind = Kind::kFloat;
  double value = 0;
};

// `metric{l="v", ...} v1 v2 ...`: a label set and its expanded slots.
struct SeriesDescription {
  Labels labels;
  std::vector<SequenceValue> values;
  bool has_histogram = false;
};

// Parses a series description line (§5). Error: InvalidArgument naming the bad item.
Result<SeriesDescription> ParseSeriesDescription(std::string_view line);

// Parses a Prometheus duration (§3): `0`, or `<int><unit>` groups with units y w d h m s ms,
// largest first, each at most once. Returns milliseconds. Error: InvalidArgument.
Result<int64_t> ParseDurationMs(std::string_view s);

// Parses a bare number as the scripts' expected scalar lines do (Go's ParseInt(s, 0, 64), then
// ParseFloat): `2`, `0x1f`, `-0.2e-6`, `+Inf`, `NaN`. Returns false if `s` is not a number.
bool ParseNumber(std::string_view s, double* out);

// Unquotes a PromQL/Go string literal: "..." or '...' with Go escapes, or `...` raw.
// Error: InvalidArgument.
Result<std::string> UnquoteString(std::string_view quoted);

// `load <interval>` / `load_with_nhcb <interval>` (§4.1).
struct LoadCommand {
  int line = 0;
  int64_t interval_ms = 0;
  bool with_nhcb = false;
  // In file order; a later line with the same label set replaces an earlier one.
  std::vector<SeriesDescription> series;
  // Some series carries a native histogram literal.
  bool has_histograms = false;
  // The block has `@st` start-timestamp lines (§5.5); they are validated but not stored.
  bool has_start_timestamps = false;
};

// `clear` (§4.2).
struct ClearCommand {
  int line = 0;
};

// One `expect ...` line (§6.1).
struct ExpectLine {
  enum class Type : uint8_t { kFail, kWarn, kInfo, kNoWarn, kNoInfo, kOrdered };
  enum class Match : uint8_t { kAny, kMsg, kRegex };
  Type type = Type::kFail;
  Match match = Match::kAny;
  std::string text;  // trimmed text after `msg:` / `regex:`
};

// An expected result series (§6): its label set, slots and 1-based position among the
// series lines of the eval (for `expect ordered`).
struct ExpectedSeries {
  Labels labels;
  std::vector<SequenceValue> values;
  int pos = 0;
  int line = 0;
};

// `eval instant at T expr` / `eval range from A to B step S expr` and its body (§4.3-4.4, §6).
struct EvalCommand {
  int line = 0;
  std::string expr;
  bool is_range = false;
  // Instant: start_ms == end_ms == the evaluation time, step_ms == 0.
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  int64_t step_ms = 0;

  // Legacy `eval_fail` / `eval_warn` / `eval_info` / `eval_ordered`.
  bool legacy_fail = false;
  bool legacy_warn = false;
  bool legacy_info = false;
  bool legacy_ordered = false;
  std::optional<std::string> expected_fail_message;
  std::optional<std::string> expected_fail_regexp;

  std::vector<ExpectLine> expects;

  // `expect range vector from A to B step S` (instant queries returning a range vector).
  bool expect_range_vector = false;
  int64_t rv_start_ms = 0;
  int64_t rv_end_ms = 0;
  int64_t rv_step_ms = 0;

  // `expect string "..."`.
  std::optional<std::string> expected_string;
  // A bare-number line.
  std::optional<double> expected_scalar;
  std::vector<ExpectedSeries> expected_series;
  // Some expected value is a native histogram literal.
  bool expected_has_histogram = false;

  bool ExpectsFailure() const;
  bool IsOrdered() const;
  // The `expect fail` line, if any.
  const ExpectLine* FailExpectation() const;
  // The evaluation time of an instant eval (the range-vector end when one is expected).
  int64_t EvalTime() const { return expect_range_vector ? rv_end_ms : start_ms; }
};

using Command = std::variant<LoadCommand, ClearCommand, EvalCommand>;

struct Script {
  std::vector<Command> commands;
};

// Parses a whole script. Error: InvalidArgument "line N: ..." for the first problem.
Result<Script> ParseScript(std::string_view text);

}  // namespace vigil::promql::promqltest
