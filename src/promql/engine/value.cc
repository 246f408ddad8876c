#include "promql/engine/value.h"

#include <charconv>
#include <cmath>
#include <string>

namespace vigil::promql {
namespace {

// Decimal digits (no leading/trailing zeros) and decimal point position of |v|:
// |v| = 0.d1d2...dn * 10^dp. `prec` < 0 means shortest round-trip digits.
void Digits(double v, int prec, std::string* digits, int* dp) {
  char buf[64];
  std::to_chars_result r;
  if (prec < 0) {
    r = std::to_chars(buf, buf + sizeof buf, std::fabs(v), std::chars_format::scientific);
  } else {
    r = std::to_chars(buf, buf + sizeof buf, std::fabs(v), std::chars_format::scientific,
                      prec > 0 ? prec - 1 : 0);
  }
  std::string_view s(buf, size_t(r.ptr - buf));
  size_t e = s.find('e');
  std::string mant(s.substr(0, e));
  int exp = std::stoi(std::string(s.substr(e + 1)));
  digits->clear();
  for (char c : mant) {
    if (c != '.') digits->push_back(c);
  }
  while (digits->size() > 1 && digits->back() == '0') digits->pop_back();
  if (*digits == "0") {
    *dp = 0;
    digits->clear();
    return;
  }
  *dp = exp + 1;
}

std::string Special(double v) {
  if (std::isnan(v)) return "NaN";
  return v > 0 ? "+Inf" : "-Inf";
}

// Go's %e body with `frac` digits after the point.
std::string FormatE(const std::string& digits, int dp, int frac) {
  std::string out;
  out.push_back(digits.empty() ? '0' : digits[0]);
  if (frac > 0) {
    out.push_back('.');
    for (int i = 1; i <= frac; ++i)
      out.push_back(size_t(i) < digits.size() ? digits[size_t(i)] : '0');
  }
  int exp = digits.empty() ? 0 : dp - 1;
  out.push_back('e');
  out.push_back(exp < 0 ? '-' : '+');
  int a = exp < 0 ? -exp : exp;
  if (a < 10) out.push_back('0');
  out += std::to_string(a);
  return out;
}

// Go's %f body with `frac` digits after the point.
std::string FormatF(const std::string& digits, int dp, int frac) {
  std::string out;
  if (dp > 0) {
    for (int i = 0; i < dp; ++i) out.push_back(size_t(i) < digits.size() ? digits[size_t(i)] : '0');
  } else {
    out.push_back('0');
  }
  if (frac > 0) {
    out.push_back('.');
    for (int i = 0; i < frac; ++i) {
      int j = dp + i;
      out.push_back(j >= 0 && size_t(j) < digits.size() ? digits[size_t(j)] : '0');
    }
  }
  return out;
}

std::string FormatG(double v, int prec) {
  if (std::isnan(v) || std::isinf(v)) return Special(v);
  std::string digits;
  int dp;
  bool shortest = prec < 0;
  if (prec == 0) prec = 1;
  Digits(v, shortest ? -1 : prec, &digits, &dp);
  int nd = int(digits.size());
  if (shortest) prec = nd == 0 ? 1 : nd;
  int eprec = prec;
  if (eprec > nd && nd >= dp) eprec = nd;
  if (shortest) eprec = 6;
  int exp = dp - 1;
  std::string body;
  if (nd == 0) {
    body = "0";
  } else if (exp < -4 || exp >= eprec) {
    int p = prec > nd ? nd : prec;
    body = FormatE(digits, dp, p - 1);
  } else {
    int p = prec > dp ? nd : prec;
    body = FormatF(digits, dp, p - dp > 0 ? p - dp : 0);
  }
  return std::signbit(v) ? "-" + body : body;
}

}  // namespace

std::string FormatFloatF(double v) {
  if (std::isnan(v) || std::isinf(v)) return Special(v);
  char buf[512];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  return std::string(buf, size_t(r.ptr - buf));
}

std::string FormatFloatG(double v) { return FormatG(v, -1); }

std::string FormatFloatGPrec(double v, int prec) { return FormatG(v, prec); }

namespace {

// Decodes one UTF-8 sequence at s[i]; returns its length, 0 if invalid.
size_t DecodeUtf8(std::string_view s, size_t i, uint32_t* cp) {
  auto b = [&](size_t k) { return uint8_t(s[k]); };
  uint8_t c = b(i);
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  size_t n;
  uint32_t min;
  if ((c & 0xE0) == 0xC0) {
    n = 2, *cp = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3, *cp = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4, *cp = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    *cp = (*cp << 6) | (b(i + k) & 0x3F);
  }
  if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp < 0xE000)) return 0;
  return n;
}

}  // namespace

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    uint32_t cp;
    size_t n = DecodeUtf8(s, i, &cp);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string GoQuote(std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    uint32_t cp;
    size_t n = DecodeUtf8(s, i, &cp);
    if (n == 0) {
      uint8_t c = uint8_t(s[i]);
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
      ++i;
      continue;
    }
    switch (cp) {
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\v':
        out += "\\v";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      default:
        if (cp < 0x20 || cp == 0x7f) {
          out += "\\x";
          out.push_back(kHex[cp >> 4]);
          out.push_back(kHex[cp & 15]);
        } else {
          out.append(s.substr(i, n));
        }
    }
    i += n;
  }
  out += '"';
  return out;
}

}  // namespace vigil::promql
