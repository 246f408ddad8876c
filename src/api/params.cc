#include "api/params.h"

#include <charconv>
#include <cmath>
#include <limits>

namespace vigil::api {

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool EqualsLower(std::string_view s, std::string_view lower) {
  if (s.size() != lower.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

// Parses exactly `n` digits at s[*i].
bool Digits(std::string_view s, size_t* i, int n, int* out) {
  if (*i + n > s.size()) return false;
  int v = 0;
  for (int k = 0; k < n; ++k) {
    char c = s[*i + k];
    if (!IsDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  *i += n;
  *out = v;
  return true;
}

bool Expect(std::string_view s, size_t* i, char c) {
  if (*i >= s.size() || s[*i] != c) return false;
  ++*i;
  return true;
}

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

unsigned DaysInMonth(int y, int m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) return 29;
  return kDays[m - 1];
}

// Go's time.Parse(time.RFC3339Nano, s) reduced to milliseconds since the epoch.
bool ParseRfc3339Ms(std::string_view s, int64_t* out) {
  size_t i = 0;
  int year, mon, day, hh, mm, ss;
  if (!Digits(s, &i, 4, &year) || !Expect(s, &i, '-') || !Digits(s, &i, 2, &mon) ||
      !Expect(s, &i, '-') || !Digits(s, &i, 2, &day) || !Expect(s, &i, 'T') ||
      !Digits(s, &i, 2, &hh) || !Expect(s, &i, ':') || !Digits(s, &i, 2, &mm) ||
      !Expect(s, &i, ':') || !Digits(s, &i, 2, &ss)) {
    return false;
  }
  if (mon < 1 || mon > 12 || day < 1 || unsigned(day) > DaysInMonth(year, mon) || hh > 23 ||
      mm > 59 || ss > 59) {
    return false;
  }
  int64_t nanos = 0;
  if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
    ++i;
    size_t start = i;
    int64_t scale = 100000000;
    while (i < s.size() && IsDigit(s[i])) {
      nanos += (s[i] - '0') * scale;  // digits past the ninth are dropped, as in Go
      scale /= 10;
      ++i;
    }
    if (i == start) return false;
  }
  int64_t offset_s = 0;
  if (i < s.size() && s[i] == 'Z') {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int sign = s[i] == '-' ? -1 : 1;
    ++i;
    int oh, om;
    if (!Digits(s, &i, 2, &oh) || !Expect(s, &i, ':') || !Digits(s, &i, 2, &om) || oh > 23 ||
        om > 59) {
      return false;
    }
    offset_s = sign * (oh * 3600 + om * 60);
  } else {
    return false;
  }
  if (i != s.size()) return false;
  int64_t secs = DaysFromCivil(year, unsigned(mon), unsigned(day)) * 86400 + hh * 3600 + mm * 60 +
                 ss - offset_s;
  *out = secs * 1000 + nanos / 1000000;
  return true;
}

}  // namespace

bool ParseGoFloat(std::string_view s, double* out) {
  if (s.empty()) return false;
  std::string_view body = s;
  bool neg = false;
  if (body[0] == '+' || body[0] == '-') {
    neg = body[0] == '-';
    body.remove_prefix(1);
  }
  if (EqualsLower(body, "inf") || EqualsLower(body, "infinity")) {
    *out = neg ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    return true;
  }
  if (EqualsLower(body, "nan")) {
    if (body.size() != s.size()) return false;  // Go accepts no sign on NaN
    *out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (body.empty()) return false;
  double v = 0;
  std::from_chars_result r;
  if (body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X')) {
    body.remove_prefix(2);
    // Go requires the 'p' exponent on hexadecimal floats.
    if (body.find_first_of("pP") == std::string_view::npos) return false;
    r = std::from_chars(body.data(), body.data() + body.size(), v, std::chars_format::hex);
  } else {
    if (!IsDigit(body[0]) && body[0] != '.') return false;
    r = std::from_chars(body.data(), body.data() + body.size(), v, std::chars_format::general);
  }
  if (r.ec != std::errc() || r.ptr != body.data() + body.size()) return false;
  *out = neg ? -v : v;
  return true;
}

Result<int64_t> ParseTimeMs(std::string_view s) {
  double f;
  // Seconds whose milliseconds fit in int64 (Go would silently wrap beyond).
  if (ParseGoFloat(s, &f) && std::isfinite(f) && std::fabs(f) <= 9223372036854775.0) {
    double whole;
    double frac = std::modf(f, &whole);
    double ns = std::round(frac * 1000) / 1000;
    int64_t nanos = static_cast<int64_t>(ns * 1e9);
    int64_t sec = static_cast<int64_t>(whole);
    // time.Unix normalises nanos into [0, 1e9); FromTime then truncates to ms.
    int64_t ms_part = nanos >= 0 ? nanos / 1000000 : -((-nanos + 999999) / 1000000);
    __int128 ms = __int128(sec) * 1000 + ms_part;
    if (ms >= INT64_MIN && ms <= INT64_MAX) return static_cast<int64_t>(ms);
  }
  int64_t ms;
  if (ParseRfc3339Ms(s, &ms)) return ms;
  if (s == kMinTimeFormatted) return kMinTimeMs;
  if (s == kMaxTimeFormatted) return kMaxTimeMs;
  return Status::InvalidArgument("cannot parse " + GoQuote(s) + " to a valid timestamp");
}

Result<int64_t> ParseDurationNs(std::string_view s) {
  double d;
  if (ParseGoFloat(s, &d)) {
    double ns = d * 1e9;
    if (ns > 9223372036854775807.0 || ns < -9223372036854775808.0) {
      return Status::InvalidArgument("cannot parse " + GoQuote(s) +
                                     " to a valid duration. It overflows int64");
    }
    if (std::isnan(ns)) return int64_t{0};
    return static_cast<int64_t>(ns);
  }
  auto r = ParsePromDurationNs(s);
  if (r.has_value()) return r;
  return Status::InvalidArgument("cannot parse " + GoQuote(s) + " to a valid duration");
}

Result<int64_t> ParsePromDurationNs(std::string_view s) {
  if (s == "0") return int64_t{0};
  if (s.empty()) return Status::InvalidArgument("empty duration string");
  struct Unit {
    std::string_view name;
    int pos;
    uint64_t mult_ns;
  };
  static constexpr Unit kUnits[] = {
      {"y", 1, 365ull * 86400ull * 1000000000ull},
      {"w", 2, 7ull * 86400ull * 1000000000ull},
      {"d", 3, 86400ull * 1000000000ull},
      {"h", 4, 3600ull * 1000000000ull},
      {"m", 5, 60ull * 1000000000ull},
      {"s", 6, 1000000000ull},
      {"ms", 7, 1000000ull},
  };
  auto invalid = [&] {
    return Status::InvalidArgument("not a valid duration string: " + GoQuote(s));
  };
  std::string_view rest = s;
  uint64_t total = 0;
  int last_pos = 0;
  while (!rest.empty()) {
    if (!IsDigit(rest[0])) return invalid();
    size_t i = 0;
    uint64_t v = 0;
    bool overflow = false;
    while (i < rest.size() && IsDigit(rest[i])) {
      if (v > (UINT64_MAX - 9) / 10) overflow = true;
      v = v * 10 + uint64_t(rest[i] - '0');
      ++i;
    }
    if (overflow) return invalid();
    rest.remove_prefix(i);
    i = 0;
    while (i < rest.size() && !IsDigit(rest[i])) ++i;
    if (i == 0) return invalid();
    std::string_view u = rest.substr(0, i);
    rest.remove_prefix(i);
    const Unit* unit = nullptr;
    for (const auto& k : kUnits) {
      if (k.name == u) unit = &k;
    }
    if (unit == nullptr) {
      return Status::InvalidArgument("unknown unit " + GoQuote(u) + " in duration " + GoQuote(s));
    }
    // Units must go from the largest to the smallest, each at most once.
    if (unit->pos <= last_pos) return invalid();
    last_pos = unit->pos;
    if (v > (uint64_t(1) << 63) / unit->mult_ns) {
      return Status::InvalidArgument("duration out of range");
    }
    total += v * unit->mult_ns;
    if (total > uint64_t(INT64_MAX)) return Status::InvalidArgument("duration out of range");
  }
  return static_cast<int64_t>(total);
}

bool ParseGoInt(std::string_view s, int64_t* out, bool* range_error) {
  *range_error = false;
  std::string_view body = s;
  bool neg = false;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    neg = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body.empty()) return false;
  uint64_t v = 0;
  for (char c : body) {
    if (!IsDigit(c)) return false;
    if (v > (UINT64_MAX - 9) / 10) {
      *range_error = true;
    } else {
      v = v * 10 + uint64_t(c - '0');
    }
  }
  uint64_t limit = neg ? uint64_t(INT64_MAX) + 1 : uint64_t(INT64_MAX);
  if (*range_error || v > limit) {
    *range_error = true;
    return false;
  }
  *out = neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  return true;
}

Result<int64_t> ParseLimit(std::string_view s) {
  if (s.empty()) return int64_t{0};
  int64_t v;
  bool range_error;
  if (!ParseGoInt(s, &v, &range_error)) {
    return Status::InvalidArgument("strconv.Atoi: parsing " + GoQuote(s) +
                                   (range_error ? ": value out of range" : ": invalid syntax"));
  }
  if (v < 0) return Status::InvalidArgument("limit must be non-negative");
  return v;
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c < 0xE0) {
      n = 2;
    } else if (c >= 0xE0 && c < 0xF0) {
      n = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c < 0xF5) {
      n = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (i + n > s.size()) return false;
    unsigned char c1 = static_cast<unsigned char>(s[i + 1]);
    if (c1 < lo || c1 > hi) return false;
    for (size_t k = 2; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

std::string GoQuote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      size_t n = 1;
      while (i + n < s.size() && n < 4 && (static_cast<unsigned char>(s[i + n]) & 0xC0) == 0x80) {
        ++n;
      }
      // Take the longest prefix that is one valid sequence.
      size_t len = 0;
      for (size_t k = n; k >= 2; --k) {
        if (IsValidUtf8(s.substr(i, k))) {
          len = k;
          break;
        }
      }
      if (len == 0) {
        out += "\\x";
        out += kHex[c >> 4];
        out += kHex[c & 15];
        ++i;
        continue;
      }
      uint32_t cp = len == 2 ? ((c & 0x1Fu) << 6) | (s[i + 1] & 0x3Fu) : 0x100;
      if ((cp >= 0x80 && cp <= 0x9F) || cp == 0xAD) {
        out += "\\u00";
        out += kHex[cp >> 4];
        out += kHex[cp & 15];
      } else {
        out.append(s.substr(i, len));
      }
      i += len;
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
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
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\x";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += char(c);
        }
    }
    ++i;
  }
  out += '"';
  return out;
}

std::string UnescapeLabelName(std::string_view name) {
  if (name.substr(0, 3) != "U__") return std::string(name);
  std::string_view e = name.substr(3);
  std::string out;
  out.reserve(e.size());
  size_t i = 0;
  while (i < e.size()) {
    if (e[i] != '_') {
      out.push_back(e[i++]);
      continue;
    }
    ++i;
    if (i >= e.size()) return std::string(name);
    if (e[i] == '_') {
      out.push_back('_');
      ++i;
      continue;
    }
    uint32_t cp = 0;
    int digits = 0;
    bool closed = false;
    while (i < e.size()) {
      if (digits >= 6) return std::string(name);
      char c = e[i];
      if (c == '_') {
        closed = true;
        ++i;
        break;
      }
      if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
      int h;
      if (c >= '0' && c <= '9') {
        h = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        h = c - 'a' + 10;
      } else {
        return std::string(name);
      }
      cp = cp * 16 + uint32_t(h);
      ++digits;
      ++i;
    }
    if (!closed) return std::string(name);
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::string(name);
    if (cp < 0x80) {
      out.push_back(char(cp));
    } else if (cp < 0x800) {
      out.push_back(char(0xC0 | (cp >> 6)));
      out.push_back(char(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(char(0xE0 | (cp >> 12)));
      out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(char(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(char(0xF0 | (cp >> 18)));
      out.push_back(char(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(char(0x80 | (cp & 0x3F)));
    }
  }
  return out;
}

}  // namespace vigil::api
