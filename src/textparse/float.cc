#include "textparse/float.h"

#include <bit>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>

#include "model/labels.h"
#include "model/value.h"

namespace vigil::textparse {
namespace {

// Case-insensitive length of the common prefix of s and `lower` (all lower-case).
size_t CommonPrefixLenIgnoreCase(std::string_view s, std::string_view lower) {
  size_t n = std::min(s.size(), lower.size());
  for (size_t i = 0; i < n; ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = char(c + ('a' - 'A'));
    if (c != lower[i]) return i;
  }
  return n;
}

FloatError ErrorKind(std::string_view s) {
  return s.find_first_of("pP_") != std::string_view::npos ? FloatError::kUnsupported
                                                          : FloatError::kSyntax;
}

// Go's special(): "inf"/"infinity" with optional sign, "nan" without. Whole string.
bool ParseSpecial(std::string_view s, double* out) {
  double sign = 1;
  if (s[0] == '+' || s[0] == '-') {
    sign = s[0] == '-' ? -1 : 1;
    s.remove_prefix(1);
  } else if (s[0] == 'n' || s[0] == 'N') {
    if (s.size() == 3 && CommonPrefixLenIgnoreCase(s, "nan") == 3) {
      *out = std::numeric_limits<double>::quiet_NaN();
      return true;
    }
    return false;
  }
  size_t n = CommonPrefixLenIgnoreCase(s, "infinity");
  if ((n == 3 && s.size() == 3) || (n == 8 && s.size() == 8)) {
    *out = sign * std::numeric_limits<double>::infinity();
    return true;
  }
  return false;
}

// Exact powers of ten representable in a double.
constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                             1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// Clinger's fast path: when the decimal mantissa (at most 19 digits) is below 2^53 and the
// decimal exponent within +-22, mantissa and power of ten are exact doubles and one IEEE
// multiplication or division gives the correctly rounded result. Handles the bulk of
// exposition values ("12345", "0.52", "1.23456789e+06") several times faster than from_chars.
// Returns false (touching nothing) when the input is not such a number.
bool FastDecimal(const char* p, const char* e, bool neg, double* out) {
  // Digits are accumulated without a per-digit bound check; more than 19 of them (where m may
  // have wrapped) are rejected afterwards.
  uint64_t m = 0;
  const char* start = p;
  while (p < e && static_cast<unsigned char>(*p - '0') <= 9) m = m * 10 + uint64_t(*p++ - '0');
  ptrdiff_t digits = p - start;
  int exp10 = 0;
  if (p < e && *p == '.') {
    const char* frac = ++p;
    while (p < e && static_cast<unsigned char>(*p - '0') <= 9) m = m * 10 + uint64_t(*p++ - '0');
    digits += p - frac;
    exp10 = -int(p - frac);
  }
  if (digits == 0 || digits > 19) return false;
  if (p < e && (*p == 'e' || *p == 'E')) {
    ++p;
    bool eneg = false;
    if (p < e && (*p == '+' || *p == '-')) eneg = *p++ == '-';
    if (p == e) return false;
    int x = 0;
    while (p < e && static_cast<unsigned char>(*p - '0') <= 9) {
      if (x > 1000) return false;
      x = x * 10 + (*p++ - '0');
    }
    exp10 += eneg ? -x : x;
  }
  if (p != e) return false;
  if (m > (uint64_t{1} << 53)) return false;
  double d = double(m);
  if (m != 0) {
    if (exp10 < -22 || exp10 > 22) return false;
    d = exp10 < 0 ? d / kPow10[-exp10] : d * kPow10[exp10];
  }
  *out = neg ? -d : d;
  return true;
}

}  // namespace

FloatError ParseGoFloat(std::string_view s, double* out) {
  if (s.empty()) return FloatError::kSyntax;
  const char* p = s.data();
  const char* e = p + s.size();
  bool neg = false;
  const char* q = p;
  if (*q == '+' || *q == '-') {
    neg = *q == '-';
    ++q;
    if (q == e) return FloatError::kSyntax;
  }
  unsigned char c = static_cast<unsigned char>(*q);
  if ((c >= '0' && c <= '9') || c == '.') {
    if (FastDecimal(q, e, neg, out)) return FloatError::kOk;
    double d = 0;
    auto [ptr, ec] = std::from_chars(q, e, d, std::chars_format::general);
    if (ptr != e) return ErrorKind(s);
    if (ec == std::errc::result_out_of_range) {
      // from_chars reports underflow and overflow alike; Go only fails on overflow and
      // returns 0 or a subnormal on underflow. strtod tells them apart (rare path).
      std::string tmp(q, e);
      errno = 0;
      d = std::strtod(tmp.c_str(), nullptr);
      if (std::isinf(d)) return FloatError::kRange;
    } else if (ec != std::errc()) {
      return ErrorKind(s);
    }
    *out = neg ? -d : d;
    return FloatError::kOk;
  }
  double d = 0;
  if (ParseSpecial(s, &d)) {
    *out = d;
    return FloatError::kOk;
  }
  return ErrorKind(s);
}

Result<double> ParseFloat(std::string_view s) {
  double v = 0;
  switch (ParseGoFloat(s, &v)) {
    case FloatError::kOk:
      if (std::isnan(v)) v = std::bit_cast<double>(kNormalNaNBits);
      return v;
    case FloatError::kRange:
      return Status::InvalidArgument("float value " + QuoteString(s) + " out of range");
    case FloatError::kUnsupported:
      return Status::InvalidArgument("unsupported character in float value " + QuoteString(s));
    case FloatError::kSyntax:
      break;
  }
  return Status::InvalidArgument("invalid float value " + QuoteString(s));
}

size_t FormatFloatTo(char* buf, double f) {
  if (std::isnan(f)) {
    std::memcpy(buf, "NaN", 3);
    return 3;
  }
  if (std::isinf(f)) {
    std::memcpy(buf, f > 0 ? "+Inf" : "-Inf", 4);
    return 4;
  }
  // Shortest round-trip digits from to_chars in scientific form: [-]d[.ddd]e(+|-)dd[d].
  char sci[kMaxFloatChars];
  auto res = std::to_chars(sci, sci + sizeof sci, f, std::chars_format::scientific);
  const char* p = sci;
  const char* end = res.ptr;
  char* out = buf;
  if (*p == '-') *out++ = *p++;
  char digits[20];
  int nd = 0;
  for (; p < end && *p != 'e'; ++p) {
    if (*p != '.') digits[nd++] = *p;
  }
  ++p;  // 'e'
  bool exp_neg = *p == '-';
  ++p;
  int exp = 0;
  for (; p < end; ++p) exp = exp * 10 + (*p - '0');
  if (exp_neg) exp = -exp;
  // Go: %e when exp < -4 || exp >= eprec, eprec = 6 for the shortest form.
  if (exp < -4 || exp >= 6) {
    *out++ = digits[0];
    if (nd > 1) {
      *out++ = '.';
      std::memcpy(out, digits + 1, nd - 1);
      out += nd - 1;
    }
    *out++ = 'e';
    *out++ = exp < 0 ? '-' : '+';
    int ax = exp < 0 ? -exp : exp;
    if (ax >= 100) {
      *out++ = char('0' + ax / 100);
      ax %= 100;
      *out++ = char('0' + ax / 10);
      *out++ = char('0' + ax % 10);
    } else {
      *out++ = char('0' + ax / 10);
      *out++ = char('0' + ax % 10);
    }
    return size_t(out - buf);
  }
  // %f with exactly the digits needed: dp digits before the point.
  int dp = exp + 1;
  if (dp > 0) {
    for (int i = 0; i < dp; ++i) *out++ = i < nd ? digits[i] : '0';
    if (nd > dp) {
      *out++ = '.';
      for (int i = dp; i < nd; ++i) *out++ = digits[i];
    }
  } else {
    *out++ = '0';
    *out++ = '.';
    for (int i = dp; i < 0; ++i) *out++ = '0';
    for (int i = 0; i < nd; ++i) *out++ = digits[i];
  }
  return size_t(out - buf);
}

void AppendFloat(std::string* out, double f) {
  char buf[kMaxFloatChars];
  out->append(buf, FormatFloatTo(buf, f));
}

std::string FormatFloat(double f) {
  char buf[kMaxFloatChars];
  return std::string(buf, FormatFloatTo(buf, f));
}

std::string FormatOpenMetricsFloat(double f) {
  if (f == 0) return "0.0";
  std::string s = FormatFloat(f);
  if (std::isnan(f) || std::isinf(f)) return s;
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

}  // namespace vigil::textparse
