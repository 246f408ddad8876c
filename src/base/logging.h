// Structured logging in Prometheus' logfmt style:
//   ts=2026-11-25T16:00:00.000Z level=info component=scrape msg="..." key=value
// Thread-safe: each line is written with one write(2) to stderr.
#pragma once

#include <fmt/format.h>

#include <string_view>

namespace vigil {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
// Parses "debug", "info", "warn", "error"; returns false if unknown.
bool ParseLogLevel(std::string_view s, LogLevel* out);

// Writes one line; `kv` is already-formatted `key=value ...` text (may be empty).
void LogLine(LogLevel level, std::string_view component, std::string_view msg, std::string_view kv);

// Quotes a value for logfmt if it contains spaces, quotes or '='.
std::string LogQuote(std::string_view v);

}  // namespace vigil

#define VIGIL_LOG(level, component, msg, ...)                                                  \
  do {                                                                                         \
    if (::vigil::LogLevel::level >= ::vigil::GetLogLevel())                                    \
      ::vigil::LogLine(::vigil::LogLevel::level, component, msg, fmt::format("" __VA_ARGS__)); \
  } while (0)
#define VIGIL_LOG_DEBUG(component, msg, ...) VIGIL_LOG(kDebug, component, msg, ##__VA_ARGS__)
#define VIGIL_LOG_INFO(component, msg, ...) VIGIL_LOG(kInfo, component, msg, ##__VA_ARGS__)
#define VIGIL_LOG_WARN(component, msg, ...) VIGIL_LOG(kWarn, component, msg, ##__VA_ARGS__)
#define VIGIL_LOG_ERROR(component, msg, ...) VIGIL_LOG(kError, component, msg, ##__VA_ARGS__)

// Bugs only (never for input from the network, disk or user).
#define VIGIL_CHECK(cond)                                         \
  do {                                                            \
    if (!(cond)) ::vigil::CheckFailed(__FILE__, __LINE__, #cond); \
  } while (0)
#ifdef NDEBUG
#define VIGIL_DCHECK(cond) \
  do {                     \
  } while (0)
#else
#define VIGIL_DCHECK(cond) VIGIL_CHECK(cond)
#endif

namespace vigil {
[[noreturn]] void CheckFailed(const char* file, int line, const char* cond);
}
