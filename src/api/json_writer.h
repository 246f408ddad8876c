// JsonWriter: a streaming JSON encoder (no DOM) that appends to a caller-owned std::string.
//
// It writes exactly what Prometheus' HTTP API writes, byte for byte where that matters:
//   - strings are escaped like Go's encoding/json (json-iterator's standard-library mode):
//     '"' and '\\' get a backslash, \n \r \t short escapes, other bytes < 0x20 as \u00XX,
//     U+2028/U+2029 as \u2028/\u2029, each byte of invalid UTF-8 as \ufffd, and, unless
//     disabled, '<' '>' '&' as \u003c \u003e \u0026 (HTML-safe);
//   - label sets are objects whose names and values are not HTML-escaped (as Prometheus'
//     label encoder does), but invalid UTF-8 is still replaced so the output stays valid JSON;
//   - sample values are strings formatted like Prometheus' jsonutil.MarshalFloat: Go's
//     strconv.FormatFloat(v, 'f', -1, 64), switching to 'e' below 1e-6 and from 1e21 on,
//     with "NaN", "+Inf", "-Inf";
//   - sample timestamps are numbers in seconds with the milliseconds written as three digits
//     when not zero (1435781451.781, 1.100, 12), like jsonutil.MarshalTimestamp;
//   - plain float64 numbers are written like Go's encoding/json (shortest, 'e' outside
//     [1e-6, 1e21) with the exponent's leading zero dropped: 1e-7).
//
// Structure is the caller's responsibility: the writer only inserts the commas. Not
// thread-safe; one writer per output string.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace vigil {
class Labels;
}

namespace vigil::api {

class JsonWriter {
 public:
  // `out` must outlive the writer; output is appended to it.
  explicit JsonWriter(std::string* out) : out_(out) {}

  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  // An object key; the next call writes its value.
  void Key(std::string_view key);

  void String(std::string_view s, bool escape_html = true);
  void Int(int64_t v);
  void Uint(uint64_t v);
  void Bool(bool v);
  void Null();
  // A float64 as Go's encoding/json writes it. NaN and ±Inf (which Go refuses) become null.
  void Double(double v);
  // A sample value: a quoted string ("1.5", "NaN", "+Inf", "-Inf").
  void SampleValue(double v);
  // A sample timestamp (ms) as seconds: 1435781451.781, -0.001, 12.
  void Timestamp(int64_t t_ms);
  // A Go time.Time as encoding/json writes it: an RFC 3339 string in UTC with nanoseconds,
  // trailing zeros trimmed ("2024-01-02T03:04:05.5Z"). unix_ns == 0 writes Go's zero time
  // "0001-01-01T00:00:00Z" (used for "never").
  void Time(int64_t unix_ns);
  // {"name":"value",...} in label order.
  void Labels(const vigil::Labels& ls);
  // An already-encoded JSON value, written as is.
  void Raw(std::string_view json);

  std::string* out() { return out_; }

 private:
  void Prefix() {
    if (need_comma_) out_->push_back(',');
  }
  std::string* out_;
  bool need_comma_ = false;
};

// Appends `s` as a quoted, escaped JSON string (rules above).
void AppendJsonString(std::string* out, std::string_view s, bool escape_html = true);
// Go's strconv.AppendFloat(out, v, fmt, -1, 64) for fmt 'f' or 'e' (shortest round-trip).
void AppendGoFloat(std::string* out, double v, char fmt);
// Prometheus' sample value text without quotes: "1.5", "1e-07", "NaN", "+Inf", "-Inf".
std::string FormatSampleValue(double v);
// Go's time.Time.Format(time.RFC3339Nano) in UTC for nanoseconds since the epoch.
std::string FormatRfc3339Nano(int64_t unix_ns);

}  // namespace vigil::api
