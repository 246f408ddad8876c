// Byte-scanning helpers shared by the exposition parsers (internal to textparse).
//
// Every function takes the end of the range it may look at and never reads past it, except
// ScanQuoted, which may load up to `load_limit` (>= end, the end of the whole body) in
// 16-byte blocks but never interprets bytes at or after `end`. All functions are pure.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace vigil::textparse::internal {

enum CharClass : uint8_t {
  kMetricStart = 1,  // [a-zA-Z_:]
  kMetricChar = 2,   // [a-zA-Z0-9_:]
  kLabelStart = 4,   // [a-zA-Z_]
  kLabelChar = 8,    // [a-zA-Z0-9_]
  kBlank = 16,       // ' ' '\t'
  kDigit = 32,       // [0-9]
};

inline constexpr std::array<uint8_t, 256> kCharClasses = [] {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    bool digit = c >= '0' && c <= '9';
    uint8_t v = 0;
    if (alpha || c == ':') v |= kMetricStart | kMetricChar;
    if (digit) v |= kMetricChar | kLabelChar | kDigit;
    if (alpha) v |= kLabelStart | kLabelChar;
    if (c == ' ' || c == '\t') v |= kBlank;
    t[c] = v;
  }
  return t;
}();

inline bool Is(char c, uint8_t cls) { return (kCharClasses[static_cast<uint8_t>(c)] & cls) != 0; }

// Returns the first position in [p, end) whose byte is not of class `cls` (or end).
inline const char* SkipClass(const char* p, const char* end, uint8_t cls) {
  while (p < end && Is(*p, cls)) ++p;
  return p;
}
inline const char* SkipBlanks(const char* p, const char* end) { return SkipClass(p, end, kBlank); }
// SkipBlanks for places where a blank is rare: one well-predicted test in the common case.
inline const char* SkipRareBlanks(const char* p, const char* end) {
  if (p < end && (*p == ' ' || *p == '\t')) [[unlikely]] {
    return SkipBlanks(p, end);
  }
  return p;
}

// Returns the first position in [p, end) that cannot continue a metric name ([a-zA-Z0-9_:],
// with_colon) or label name ([a-zA-Z0-9_]). Like ScanQuoted, may load (not use) bytes up to
// load_limit.
inline const char* SkipNameChars(const char* p, const char* end, const char* load_limit,
                                 bool with_colon) {
#if defined(__SSE2__)
  const __m128i case_bit = _mm_set1_epi8(0x20);
  const __m128i before_a = _mm_set1_epi8('a' - 1);
  const __m128i after_z = _mm_set1_epi8('z' + 1);
  const __m128i before_0 = _mm_set1_epi8('0' - 1);
  const __m128i after_9 = _mm_set1_epi8('9' + 1);
  const __m128i underscore = _mm_set1_epi8('_');
  const __m128i colon = _mm_set1_epi8(with_colon ? ':' : '_');
  while (p < end && load_limit - p >= 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // Bytes >= 0x80 are negative as signed and fail every range test.
    __m128i lower = _mm_or_si128(v, case_bit);
    __m128i alpha = _mm_and_si128(_mm_cmpgt_epi8(lower, before_a), _mm_cmplt_epi8(lower, after_z));
    __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, before_0), _mm_cmplt_epi8(v, after_9));
    __m128i ok =
        _mm_or_si128(_mm_or_si128(alpha, digit),
                     _mm_or_si128(_mm_cmpeq_epi8(v, underscore), _mm_cmpeq_epi8(v, colon)));
    unsigned stop = ~unsigned(_mm_movemask_epi8(ok)) & 0xFFFFu;
    if (stop != 0) {
      const char* q = p + __builtin_ctz(stop);
      return q < end ? q : end;
    }
    p += 16;
  }
  if (p >= end) return end;
#else
  (void)load_limit;
#endif
  return SkipClass(p, end, with_colon ? kMetricChar : kLabelChar);
}

// Returns the first ' ', '\t' or '{' in [p, end), or end: the end of a Prometheus text value
// or timestamp token. May load (not use) bytes up to load_limit.
inline const char* SkipValueChars(const char* p, const char* end, const char* load_limit) {
#if defined(__SSE2__)
  const __m128i space = _mm_set1_epi8(' ');
  const __m128i tab = _mm_set1_epi8('\t');
  const __m128i brace = _mm_set1_epi8('{');
  while (p < end && load_limit - p >= 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, space), _mm_cmpeq_epi8(v, tab)),
                               _mm_cmpeq_epi8(v, brace));
    unsigned stop = unsigned(_mm_movemask_epi8(hit));
    if (stop != 0) {
      const char* q = p + __builtin_ctz(stop);
      return q < end ? q : end;
    }
    p += 16;
  }
  if (p >= end) return end;
#else
  (void)load_limit;
#endif
  while (p < end && !Is(*p, kBlank) && *p != '{') ++p;
  return p;
}

// Scans a quoted string whose opening quote is at p[-1]: returns the position of the closing
// quote, or nullptr if there is none before `end`. A backslash escapes the next byte, which
// must be before `end`. Sets *escaped if a backslash was seen and *non_ascii if a byte >= 0x80
// was seen (both are only ever set, never cleared).
inline const char* ScanQuoted(const char* p, const char* end, const char* load_limit, bool* escaped,
                              bool* non_ascii) {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  while (p < end && load_limit - p >= 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    unsigned stop = unsigned(
        _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash))));
    unsigned high = unsigned(_mm_movemask_epi8(v));
    if (stop == 0) {
      if (end - p <= 16) return nullptr;  // no stop byte before the end of the line
      if (high != 0) *non_ascii = true;
      p += 16;
      continue;
    }
    unsigned i = unsigned(__builtin_ctz(stop));
    if (end - p <= ptrdiff_t(i)) return nullptr;
    if ((high & ((1u << i) - 1)) != 0) *non_ascii = true;
    p += i;
    if (*p == '"') return p;
    *escaped = true;
    if (end - p < 2) return nullptr;
    if (static_cast<unsigned char>(p[1]) >= 0x80) *non_ascii = true;
    p += 2;
  }
#else
  (void)load_limit;
#endif
  while (p < end) {
    char c = *p;
    if (c == '"') return p;
    if (c == '\\') {
      *escaped = true;
      if (end - p < 2) return nullptr;
      if (static_cast<unsigned char>(p[1]) >= 0x80) *non_ascii = true;
      p += 2;
      continue;
    }
    if (static_cast<unsigned char>(c) >= 0x80) *non_ascii = true;
    ++p;
  }
  return nullptr;
}

// Go's utf8.Valid: rejects overlong forms, surrogates and code points above U+10FFFF.
inline bool ValidUtf8(const char* s, size_t n) {
  const auto* p = reinterpret_cast<const unsigned char*>(s);
  const auto* e = p + n;
  while (p < e) {
    if (e - p >= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      if ((w & 0x8080808080808080ull) == 0) {
        p += 8;
        continue;
      }
    }
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    auto cont = [&](ptrdiff_t i, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
      return e - p > i && p[i] >= lo && p[i] <= hi;
    };
    if (c >= 0xC2 && c <= 0xDF) {
      if (!cont(1)) return false;
      p += 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      unsigned char lo = c == 0xE0 ? 0xA0 : 0x80;
      unsigned char hi = c == 0xED ? 0x9F : 0xBF;
      if (!cont(1, lo, hi) || !cont(2)) return false;
      p += 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      unsigned char lo = c == 0xF0 ? 0x90 : 0x80;
      unsigned char hi = c == 0xF4 ? 0x8F : 0xBF;
      if (!cont(1, lo, hi) || !cont(2) || !cont(3)) return false;
      p += 4;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace vigil::textparse::internal
