// Chunk encodings: the one-byte identifiers Prometheus stores beside every chunk in block
// chunk files, head chunk files and remote-read responses (tsdb/chunkenc/chunk.go).
// Format pages: docs/format/xor.md, docs/format/chunks.md. Pure constants; thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

namespace vigil::tsdb::chunkenc {

enum class Encoding : uint8_t {
  kNone = 0,
  kXor = 1,             // float samples, Gorilla-style (xor.h)
  kHistogram = 2,       // native histograms (not written by Vigil yet)
  kFloatHistogram = 3,  // float native histograms (not written by Vigil yet)
  kXor2 = 4,            // newer float encoding (not written by Vigil yet)
};

// Number of bytes of the sample-count header that starts every chunk (BE16).
inline constexpr int kChunkHeaderSize = 2;

// Largest number of samples a chunk can hold (the header is a uint16).
inline constexpr uint32_t kMaxSamplesPerChunk = 0xFFFF;

// "XOR", "histogram", ... as Prometheus prints them; "<unknown>" otherwise.
inline std::string_view EncodingName(Encoding e) {
  switch (e) {
    case Encoding::kNone:
      return "none";
    case Encoding::kXor:
      return "XOR";
    case Encoding::kHistogram:
      return "histogram";
    case Encoding::kFloatHistogram:
      return "floathistogram";
    case Encoding::kXor2:
      return "XOR2";
  }
  return "<unknown>";
}

}  // namespace vigil::tsdb::chunkenc
