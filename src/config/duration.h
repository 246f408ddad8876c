// Prometheus' duration and byte-size syntax, shared by every config file and flag.
//
// Durations ("1h30m", "15s", "100ms", "1d", "1w", "1y"; units y w d h m s ms, biggest first,
// each at most once; "0" alone needs no unit) follow prometheus/common model.ParseDuration:
// a year is 365d, a week 7d, a day 24h, and the total must fit in int64 nanoseconds (~292y).
// Sizes ("512MB", "1GiB", "10KB") follow alecthomas/units ParseBase2Bytes: KB and KiB both mean
// 1024. All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace vigil::config {

// Milliseconds. InvalidArgument with Prometheus' wording on bad input:
// `not a valid duration string: "1x"`, `unknown unit "x" in duration "1x"`,
// `empty duration string`, `duration out of range`.
Result<int64_t> ParseDuration(std::string_view s);
// Like ParseDuration, plus a leading '-' (Prometheus' ParseDurationAllowNegative).
Result<int64_t> ParseDurationAllowNegative(std::string_view s);
// Prometheus' canonical form: "1h30m", "90d", "2w", "0s", "1m500ms" (years and weeks only when
// they divide evenly).
std::string FormatDuration(int64_t ms);

// Bytes. InvalidArgument "units: invalid 10XB" style messages. A bare number other than "0"
// is rejected, as in Prometheus.
Result<int64_t> ParseBytes(std::string_view s);
// "10MiB", "1KiB512B", "0B".
std::string FormatBytes(int64_t bytes);

}  // namespace vigil::config
