// Parsing of HTTP API parameters exactly as Prometheus' web/api/v1 parses them: timestamps
// (float Unix seconds or RFC 3339), durations (float seconds or Prometheus durations), limits
// and `U__`-escaped UTF-8 label names. Error messages match Prometheus' texts; callers add the
// `invalid parameter "x": ` prefix. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace vigil::api {

// Prometheus' defaults for absent start/end (MinTime/MaxTime in api.go) in milliseconds,
// and the literal strings clients send for them.
inline constexpr int64_t kMinTimeMs = -9223309901257974000;
inline constexpr int64_t kMaxTimeMs = 9223309901257974999;
inline constexpr std::string_view kMinTimeFormatted = "-292273086-05-16T16:47:06Z";
inline constexpr std::string_view kMaxTimeFormatted = "292277025-08-18T07:12:54.999999999Z";

// Go's strconv.ParseFloat(s, 64) acceptance: optional sign, decimal or 0x hex float,
// inf/infinity/nan (any case). False on syntax errors and on values out of range.
bool ParseGoFloat(std::string_view s, double* out);

// A timestamp: float Unix seconds (rounded to ms as Prometheus does), RFC 3339 with optional
// fraction and offset, or kMinTimeFormatted/kMaxTimeFormatted. Returns ms since the epoch.
// Error: InvalidArgument `cannot parse "s" to a valid timestamp`.
Result<int64_t> ParseTimeMs(std::string_view s);

// A duration parameter (step, timeout, lookback_delta): float seconds or a Prometheus
// duration ("1m30s"). Returns nanoseconds (may be zero or negative for floats).
// Errors: InvalidArgument `cannot parse "s" to a valid duration` and
// `cannot parse "s" to a valid duration. It overflows int64`.
Result<int64_t> ParseDurationNs(std::string_view s);

// A Prometheus duration (prometheus/common model.ParseDuration): units y w d h m s ms, each
// at most once, largest first; "0" alone is allowed. Returns nanoseconds.
// Errors: InvalidArgument ("empty duration string", "not a valid duration string: ...",
// "unknown unit ...", "duration out of range").
Result<int64_t> ParsePromDurationNs(std::string_view s);

// The `limit` parameter: "" is 0 (no limit). Errors: InvalidArgument with Go's strconv.Atoi
// text or "limit must be non-negative".
Result<int64_t> ParseLimit(std::string_view s);

// Go's strconv.Atoi: optional sign, decimal digits, fits in int64. False otherwise;
// *range_error tells a too-large number from bad syntax.
bool ParseGoInt(std::string_view s, int64_t* out, bool* range_error);

// prometheus/common model.UnescapeName with ValueEncodingEscaping: "U__" names encode
// '_' as "__" and other characters as _<hex code point>_. Returns `name` unchanged when it
// is not escaped or not validly escaped.
std::string UnescapeLabelName(std::string_view name);

// True if `s` is valid UTF-8 (Go's utf8.ValidString).
bool IsValidUtf8(std::string_view s);

// Go's strconv.Quote (fmt's %q) for error messages: invalid UTF-8 bytes as \xNN, control
// characters as \n, \t, \x01, ...; other characters as they are (Unicode's non-printable
// characters beyond C1 controls and U+00AD are not escaped, unlike Go).
std::string GoQuote(std::string_view s);

}  // namespace vigil::api
