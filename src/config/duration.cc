#include "config/duration.h"

#include <cmath>
#include <cstdio>

namespace vigil::config {

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

struct Unit {
  std::string_view name;
  int pos;  // units must appear in increasing pos order (biggest first)
  uint64_t ns;
};

constexpr uint64_t kMs = 1000000;
constexpr Unit kUnits[] = {
    {"y", 1, 365ull * 24 * 3600 * 1000 * kMs},
    {"w", 2, 7ull * 24 * 3600 * 1000 * kMs},
    {"d", 3, 24ull * 3600 * 1000 * kMs},
    {"h", 4, 3600ull * 1000 * kMs},
    {"m", 5, 60ull * 1000 * kMs},
    {"s", 6, 1000 * kMs},
    {"ms", 7, kMs},
};

}  // namespace

Result<int64_t> ParseDuration(std::string_view s) {
  if (s == "0") return int64_t{0};
  if (s.empty()) return Status::InvalidArgument("empty duration string");
  const std::string_view orig = s;
  auto invalid = [&] {
    return Status::InvalidArgument("not a valid duration string: " + Quote(orig));
  };
  uint64_t total_ns = 0;
  int last_pos = 0;
  while (!s.empty()) {
    if (!IsDigit(s[0])) return invalid();
    size_t i = 0;
    uint64_t v = 0;
    for (; i < s.size() && IsDigit(s[i]); ++i) {
      uint64_t d = uint64_t(s[i] - '0');
      if (v > UINT64_MAX / 10 || (v == UINT64_MAX / 10 && d > UINT64_MAX % 10)) return invalid();
      v = v * 10 + d;
    }
    s.remove_prefix(i);
    for (i = 0; i < s.size() && !IsDigit(s[i]); ++i) {
    }
    if (i == 0) return invalid();
    std::string_view u = s.substr(0, i);
    s.remove_prefix(i);
    const Unit* unit = nullptr;
    for (const Unit& k : kUnits) {
      if (k.name == u) unit = &k;
    }
    if (unit == nullptr) {
      return Status::InvalidArgument("unknown unit " + Quote(u) + " in duration " + Quote(orig));
    }
    if (unit->pos <= last_pos) return invalid();
    last_pos = unit->pos;
    if (v > (uint64_t{1} << 63) / unit->ns) return Status::InvalidArgument("duration out of range");
    total_ns += v * unit->ns;
    if (total_ns > uint64_t(INT64_MAX)) return Status::InvalidArgument("duration out of range");
  }
  return int64_t(total_ns / kMs);
}

Result<int64_t> ParseDurationAllowNegative(std::string_view s) {
  if (s.empty() || s[0] != '-') return ParseDuration(s);
  VIGIL_ASSIGN_OR_RETURN(int64_t d, ParseDuration(s.substr(1)));
  return -d;
}

std::string FormatDuration(int64_t ms) {
  if (ms == 0) return "0s";
  std::string out;
  uint64_t v = 0;
  if (ms < 0) {
    out = "-";
    v = uint64_t(0) - uint64_t(ms);
  } else {
    v = uint64_t(ms);
  }
  auto unit = [&](const char* name, uint64_t mult, bool exact) {
    if (exact && v % mult != 0) return;
    if (uint64_t n = v / mult; n > 0) {
      out += std::to_string(n);
      out += name;
      v -= n * mult;
    }
  };
  unit("y", 365ull * 24 * 3600 * 1000, true);
  unit("w", 7ull * 24 * 3600 * 1000, true);
  unit("d", 24ull * 3600 * 1000, false);
  unit("h", 3600ull * 1000, false);
  unit("m", 60ull * 1000, false);
  unit("s", 1000, false);
  unit("ms", 1, false);
  return out;
}

Result<int64_t> ParseBytes(std::string_view s) {
  const std::string_view orig = s;
  auto invalid = [&] { return Status::InvalidArgument("units: invalid " + std::string(orig)); };
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return int64_t{0};
  if (s.empty()) return invalid();
  double total = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || IsDigit(s[0]))) return invalid();
    double g = 0;
    size_t i = 0;
    for (; i < s.size() && IsDigit(s[i]); ++i) {
      if (g >= double((int64_t{1} << 62))) return invalid();
      g = g * 10 + (s[i] - '0');
    }
    bool pre = i > 0;
    bool post = false;
    s.remove_prefix(i);
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      double scale = 1;
      for (i = 0; i < s.size() && IsDigit(s[i]); ++i) {
        scale /= 10;
        g += (s[i] - '0') * scale;
      }
      post = i > 0;
      s.remove_prefix(i);
    }
    if (!pre && !post) return invalid();
    for (i = 0; i < s.size() && s[i] != '.' && !IsDigit(s[i]); ++i) {
    }
    std::string_view u = s.substr(0, i);
    s.remove_prefix(i);
    double mult = 0;
    static constexpr std::string_view kPrefixes = "KMGTPE";
    if (u == "B") {
      mult = 1;
    } else if (u.size() >= 2 && kPrefixes.find(u[0]) != std::string_view::npos &&
               (u.substr(1) == "B" || u.substr(1) == "iB")) {
      mult = std::pow(1024.0, double(kPrefixes.find(u[0]) + 1));
    } else {
      return Status::InvalidArgument("units: unknown unit " + std::string(u) + " in " +
                                     std::string(orig));
    }
    total += g * mult;
  }
  if (neg) total = -total;
  if (total < -9223372036854775808.0 || total >= 9223372036854775808.0) {
    return Status::InvalidArgument("units: overflow parsing unit");
  }
  return int64_t(total);
}

std::string FormatBytes(int64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes == 0) return "0B";
  // Like alecthomas/units ToString: each non-zero base-1024 digit, biggest unit first; a
  // negative size gets one leading '-' so that it parses back.
  uint64_t n = bytes < 0 ? uint64_t(0) - uint64_t(bytes) : uint64_t(bytes);
  std::string parts[7];
  for (int i = 0; i < 7 && n != 0; ++i) {
    if (n % 1024 != 0) parts[i] = std::to_string(n % 1024) + kUnits[i];
    n /= 1024;
  }
  std::string out = bytes < 0 ? "-" : "";
  for (int i = 6; i >= 0; --i) out += parts[i];
  return out;
}

}  // namespace vigil::config
