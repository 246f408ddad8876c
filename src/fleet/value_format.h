// AppendValue: fast formatting of sample values for the simulated fleet's expositions.
// Integral values below 1e15 print without a fraction ("42"), like client libraries print
// counts; others print the shortest text that reads back to the same double (std::to_chars),
// which the Prometheus and OpenMetrics parsers accept. Pure; thread-safe.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>

namespace vigil::fleet {

// Writes v into buf (at least 32 bytes) and returns the end.
inline char* FormatValue(double v, char* buf) {
  if (std::isnan(v)) {
    buf[0] = 'N', buf[1] = 'a', buf[2] = 'N';
    return buf + 3;
  }
  if (std::isinf(v)) {
    buf[0] = v > 0 ? '+' : '-', buf[1] = 'I', buf[2] = 'n', buf[3] = 'f';
    return buf + 4;
  }
  if (std::fabs(v) < 1e15 && v == std::trunc(v)) {
    return std::to_chars(buf, buf + 32, int64_t(v)).ptr;
  }
  return std::to_chars(buf, buf + 32, v).ptr;
}

inline void AppendValue(std::string* out, double v) {
  char buf[32];
  char* end = FormatValue(v, buf);
  out->append(buf, size_t(end - buf));
}

}  // namespace vigil::fleet
