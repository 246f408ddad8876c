#include "api/json_writer.h"

#include <charconv>
#include <cmath>
#include <cstring>

#include "model/labels.h"

namespace vigil::api {

namespace {

constexpr char kHex[] = "0123456789abcdef";

// Bytes that can be copied without escaping (ASCII only; >= 0x80 handled separately).
struct EscapeTable {
  bool plain[128];
  bool plain_html[128];
  constexpr EscapeTable() : plain(), plain_html() {
    for (int c = 0; c < 128; ++c) {
      bool ok = c >= 0x20 && c != '"' && c != '\\';
      plain[c] = ok;
      plain_html[c] = ok && c != '<' && c != '>' && c != '&';
    }
  }
};
constexpr EscapeTable kEscape;

// Decodes one UTF-8 sequence at s[i] like Go's utf8.DecodeRuneInString: returns its length,
// or 0 if the bytes there are not valid UTF-8 (then one byte is replaced). *rune gets the
// code point.
size_t DecodeUtf8(std::string_view s, size_t i, uint32_t* rune) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char c0 = b(0);
  size_t left = s.size() - i;
  if (c0 < 0xC2) return 0;  // continuation byte or overlong 2-byte lead
  if (c0 < 0xE0) {
    if (left < 2 || (b(1) & 0xC0) != 0x80) return 0;
    *rune = ((c0 & 0x1Fu) << 6) | (b(1) & 0x3Fu);
    return 2;
  }
  if (c0 < 0xF0) {
    if (left < 3) return 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c0 == 0xE0) lo = 0xA0;  // overlong
    if (c0 == 0xED) hi = 0x9F;  // surrogates
    if (b(1) < lo || b(1) > hi || (b(2) & 0xC0) != 0x80) return 0;
    *rune = ((c0 & 0x0Fu) << 12) | ((b(1) & 0x3Fu) << 6) | (b(2) & 0x3Fu);
    return 3;
  }
  if (c0 < 0xF5) {
    if (left < 4) return 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c0 == 0xF0) lo = 0x90;  // overlong
    if (c0 == 0xF4) hi = 0x8F;  // > U+10FFFF
    if (b(1) < lo || b(1) > hi || (b(2) & 0xC0) != 0x80 || (b(3) & 0xC0) != 0x80) return 0;
    *rune = ((c0 & 0x07u) << 18) | ((b(1) & 0x3Fu) << 12) | ((b(2) & 0x3Fu) << 6) | (b(3) & 0x3Fu);
    return 4;
  }
  return 0;
}

// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's civil_from_days).
void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

void AppendPadded(std::string* out, int64_t v, int width) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  for (int n = static_cast<int>(r.ptr - buf); n < width; ++n) out->push_back('0');
  out->append(buf, r.ptr);
}

}  // namespace

void AppendJsonString(std::string* out, std::string_view s, bool escape_html) {
  const bool* plain = escape_html ? kEscape.plain_html : kEscape.plain;
  out->push_back('"');
  size_t start = 0;
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (plain[c]) {
        ++i;
        continue;
      }
      out->append(s.data() + start, i - start);
      switch (c) {
        case '"':
          out->append("\\\"");
          break;
        case '\\':
          out->append("\\\\");
          break;
        case '\n':
          out->append("\\n");
          break;
        case '\r':
          out->append("\\r");
          break;
        case '\t':
          out->append("\\t");
          break;
        default:
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xF]);
      }
      start = ++i;
      continue;
    }
    uint32_t rune = 0;
    size_t n = DecodeUtf8(s, i, &rune);
    if (n == 0) {
      out->append(s.data() + start, i - start);
      out->append("\\ufffd");
      start = ++i;
      continue;
    }
    if (rune == 0x2028 || rune == 0x2029) {
      out->append(s.data() + start, i - start);
      out->append(rune == 0x2028 ? "\\u2028" : "\\u2029");
      start = i + n;
    }
    i += n;
  }
  out->append(s.data() + start, s.size() - start);
  out->push_back('"');
}

void AppendGoFloat(std::string* out, double v, char fmt) {
  if (std::isnan(v)) {
    out->append("NaN");
    return;
  }
  if (std::isinf(v)) {
    out->append(v > 0 ? "+Inf" : "-Inf");
    return;
  }
  // The shortest round-trip digits, as "-d.ddde±XX".
  char buf[40];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  if (fmt == 'e') {
    out->append(buf, r.ptr);
    return;
  }
  // Go's 'f' writes those digits at their place and pads with zeros (C++'s fixed format
  // would print the exact binary value instead: 1e23 -> 99999999999999991611392).
  const char* p = buf;
  if (*p == '-') out->push_back(*p++);
  char digits[20];
  int nd = 0;
  for (; p < r.ptr && *p != 'e'; ++p) {
    if (*p != '.') digits[nd++] = *p;
  }
  int exp = 0;
  std::from_chars(p + 1 + (p[1] == '+'), r.ptr, exp);
  const int dp = exp + 1;  // digits before the decimal point
  if (dp > 0) {
    for (int i = 0; i < dp; ++i) out->push_back(i < nd ? digits[i] : '0');
  } else {
    out->push_back('0');
  }
  if (nd > dp) {
    out->push_back('.');
    for (int i = dp; i < nd; ++i) out->push_back(i < 0 ? '0' : digits[i]);
  }
}

std::string FormatSampleValue(double v) {
  std::string s;
  double a = std::fabs(v);
  AppendGoFloat(&s, v, (a != 0 && (a < 1e-6 || a >= 1e21)) ? 'e' : 'f');
  return s;
}

std::string FormatRfc3339Nano(int64_t unix_ns) {
  std::string out;
  if (unix_ns == 0) return "0001-01-01T00:00:00Z";
  int64_t secs = unix_ns / 1000000000;
  int64_t nanos = unix_ns % 1000000000;
  if (nanos < 0) {
    nanos += 1000000000;
    --secs;
  }
  int64_t days = secs / 86400;
  int64_t sod = secs % 86400;
  if (sod < 0) {
    sod += 86400;
    --days;
  }
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  if (y < 0) {
    out.push_back('-');
    y = -y;
  }
  AppendPadded(&out, y, 4);
  out.push_back('-');
  AppendPadded(&out, m, 2);
  out.push_back('-');
  AppendPadded(&out, d, 2);
  out.push_back('T');
  AppendPadded(&out, sod / 3600, 2);
  out.push_back(':');
  AppendPadded(&out, sod / 60 % 60, 2);
  out.push_back(':');
  AppendPadded(&out, sod % 60, 2);
  if (nanos != 0) {
    char frac[10];
    for (int k = 8; k >= 0; --k) {
      frac[k] = char('0' + nanos % 10);
      nanos /= 10;
    }
    int len = 9;
    while (frac[len - 1] == '0') --len;
    out.push_back('.');
    out.append(frac, len);
  }
  out.push_back('Z');
  return out;
}

void JsonWriter::BeginObject() {
  Prefix();
  out_->push_back('{');
  need_comma_ = false;
}

void JsonWriter::EndObject() {
  out_->push_back('}');
  need_comma_ = true;
}

void JsonWriter::BeginArray() {
  Prefix();
  out_->push_back('[');
  need_comma_ = false;
}

void JsonWriter::EndArray() {
  out_->push_back(']');
  need_comma_ = true;
}

void JsonWriter::Key(std::string_view key) {
  Prefix();
  AppendJsonString(out_, key, true);
  out_->push_back(':');
  need_comma_ = false;
}

void JsonWriter::String(std::string_view s, bool escape_html) {
  Prefix();
  AppendJsonString(out_, s, escape_html);
  need_comma_ = true;
}

void JsonWriter::Int(int64_t v) {
  Prefix();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_->append(buf, r.ptr);
  need_comma_ = true;
}

void JsonWriter::Uint(uint64_t v) {
  Prefix();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_->append(buf, r.ptr);
  need_comma_ = true;
}

void JsonWriter::Bool(bool v) {
  Prefix();
  out_->append(v ? "true" : "false");
  need_comma_ = true;
}

void JsonWriter::Null() {
  Prefix();
  out_->append("null");
  need_comma_ = true;
}

void JsonWriter::Double(double v) {
  Prefix();
  need_comma_ = true;
  if (!std::isfinite(v)) {
    out_->append("null");
    return;
  }
  double a = std::fabs(v);
  bool exp = a != 0 && (a < 1e-6 || a >= 1e21);
  size_t at = out_->size();
  AppendGoFloat(out_, v, exp ? 'e' : 'f');
  if (exp) {
    // Go's encoding/json writes e-07 as e-7.
    std::string& o = *out_;
    size_t n = o.size();
    if (n - at >= 4 && o[n - 4] == 'e' && o[n - 3] == '-' && o[n - 2] == '0') {
      o[n - 2] = o[n - 1];
      o.pop_back();
    }
  }
}

void JsonWriter::SampleValue(double v) {
  Prefix();
  out_->push_back('"');
  double a = std::fabs(v);
  AppendGoFloat(out_, v, (a != 0 && (a < 1e-6 || a >= 1e21)) ? 'e' : 'f');
  out_->push_back('"');
  need_comma_ = true;
}

void JsonWriter::Timestamp(int64_t t_ms) {
  Prefix();
  need_comma_ = true;
  uint64_t u = static_cast<uint64_t>(t_ms);
  if (t_ms < 0) {
    out_->push_back('-');
    u = 0 - u;  // also right for INT64_MIN
  }
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, u / 1000);
  out_->append(buf, r.ptr);
  unsigned frac = static_cast<unsigned>(u % 1000);
  if (frac != 0) {
    out_->push_back('.');
    out_->push_back(char('0' + frac / 100));
    out_->push_back(char('0' + frac / 10 % 10));
    out_->push_back(char('0' + frac % 10));
  }
}

void JsonWriter::Time(int64_t unix_ns) {
  Prefix();
  out_->push_back('"');
  out_->append(FormatRfc3339Nano(unix_ns));
  out_->push_back('"');
  need_comma_ = true;
}

void JsonWriter::Labels(const vigil::Labels& ls) {
  Prefix();
  out_->push_back('{');
  bool first = true;
  for (const auto& l : ls) {
    if (!first) out_->push_back(',');
    first = false;
    AppendJsonString(out_, l.name, false);
    out_->push_back(':');
    AppendJsonString(out_, l.value, false);
  }
  out_->push_back('}');
  need_comma_ = true;
}

void JsonWriter::Raw(std::string_view json) {
  Prefix();
  out_->append(json);
  need_comma_ = true;
}

}  // namespace vigil::api
