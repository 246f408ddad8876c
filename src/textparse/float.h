// Float parsing and formatting that matches Go's strconv as Prometheus uses it, so that
// values round-trip byte-for-byte between Vigil, Prometheus and Go exporters.
//
// All functions are pure and thread-safe; none allocates except the std::string returns.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.h"

namespace vigil::textparse {

enum class FloatError {
  kOk,
  kSyntax,       // not a number
  kRange,        // a finite number too large for a double
  kUnsupported,  // contains 'p', 'P' or '_' (hex floats / digit separators, refused like
                 // Prometheus does)
};

// Parses `s` like Go's strconv.ParseFloat(s, 64) minus hex floats and underscores (which
// Prometheus refuses): optional sign, decimal mantissa with optional '.', optional exponent;
// "inf" / "infinity" with optional sign and "nan" without sign, any letter case. The whole
// of `s` must be the number. Underflow gives 0 or a subnormal, as in Go. On error `*out` is
// left unchanged. NaN is returned as the platform's quiet NaN (see ParseFloat for Prometheus'
// canonical one).
FloatError ParseGoFloat(std::string_view s, double* out);

// ParseGoFloat with Prometheus' canonical NaN (value.NormalNaN) and error messages:
// `invalid float value "x"`, `float value "1e999" out of range`,
// `unsupported character in float value "1_0"`.
Result<double> ParseFloat(std::string_view s);

// The longest FormatFloatTo output ("-2.2250738585072014e-308" is 24 bytes).
inline constexpr size_t kMaxFloatChars = 32;

// Writes `f` the way Go's strconv.FormatFloat(f, 'g', -1, 64) does: the shortest decimal that
// reads back as the same double, in exponent form when the decimal exponent is < -4 or >= 6
// ("1e+06", "123456", "1.2345678e+06", "0.0001", "1e-05", "-0"), and Go's spellings "+Inf",
// "-Inf" and "NaN". `buf` must have kMaxFloatChars bytes. Returns the number of bytes written.
size_t FormatFloatTo(char* buf, double f);
// Appends FormatFloatTo's output.
void AppendFloat(std::string* out, double f);
std::string FormatFloat(double f);

// Prometheus' labels.FormatOpenMetricsFloat: FormatFloat plus ".0" when the result has
// neither '.' nor 'e' ("1" -> "1.0"; both zeros -> "0.0"); used for `le` and `quantile` values.
std::string FormatOpenMetricsFloat(double f);

}  // namespace vigil::textparse
