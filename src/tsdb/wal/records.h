// WAL record codecs, byte-compatible with Prometheus' tsdb/record (docs/format/wal.md).
// A record starts with a one-byte type:
//   1 Series      repeat: BE64 ref · uvarint #labels · (uvarint-len name, uvarint-len value)*
//   2 Samples     BE64 base ref · BE64 base t · per sample (including the first):
//                 varint (ref - base) · varint (t - base t) · BE64 value bits
//   3 Tombstones  repeat: BE64 ref · varint mint · varint maxt
//   4 Exemplars   like Samples, each sample followed by a label set
//   6 Metadata    repeat: uvarint ref · 1 B type · uvarint #fields · (name, value)*
//                 with fields UNIT and HELP (uvarint-len strings)
// Other types (histograms, mmap markers) are recognised by RecordTypeOf but not decoded.
//
// Encoders append to a caller-owned string (reuse it across records: no per-record
// allocation once warm). Decoders append to the given vector and return Corruption
// naming the record type and problem on malformed input, leaving the vector unspecified.
// All functions are thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "model/labels.h"

namespace vigil::tsdb::wal {

enum class RecordType : uint8_t {
  kSeries = 1,
  kSamples = 2,
  kTombstones = 3,
  kExemplars = 4,
  kMmapMarkers = 5,
  kMetadata = 6,
  kHistogramSamples = 7,
  kFloatHistogramSamples = 8,
  kCustomBucketsHistogramSamples = 9,
  kCustomBucketsFloatHistogramSamples = 10,
  kUnknown = 255,
};

// The type of a record; kUnknown for an empty record or an unknown type byte.
RecordType RecordTypeOf(std::string_view rec);

// Metric types as stored in Metadata records (Prometheus record.MetricType).
enum class MetricType : uint8_t {
  kUnknown = 0,
  kCounter = 1,
  kGauge = 2,
  kHistogram = 3,
  kGaugeHistogram = 4,
  kSummary = 5,
  kInfo = 6,
  kStateset = 7,
};

struct RefSeries {
  uint64_t ref = 0;
  Labels labels;
};

struct RefSample {
  uint64_t ref = 0;
  int64_t t = 0;
  double v = 0;
};

// One deleted interval [mint, maxt] of a series.
struct RefTombstone {
  uint64_t ref = 0;
  int64_t mint = 0;
  int64_t maxt = 0;
};

struct RefExemplar {
  uint64_t ref = 0;
  int64_t t = 0;
  double v = 0;
  Labels labels;
};

struct RefMetadata {
  uint64_t ref = 0;
  uint8_t type = 0;  // MetricType
  std::string unit;
  std::string help;
};

void EncodeSeries(std::span<const RefSeries> series, std::string* out);
// The Series record entry for one series, for callers that build records incrementally
// (out must already hold the type byte: out->push_back(char(RecordType::kSeries))).
void AppendSeriesEntry(uint64_t ref, const Labels& labels, std::string* out);
void EncodeSamples(std::span<const RefSample> samples, std::string* out);
void EncodeTombstones(std::span<const RefTombstone> stones, std::string* out);
void EncodeExemplars(std::span<const RefExemplar> exemplars, std::string* out);
void EncodeMetadata(std::span<const RefMetadata> metadata, std::string* out);

// Labels of a decoded series are sorted and de-duplicated (last value wins); pairs with
// an empty value are dropped, as Vigil's Labels never store them.
Status DecodeSeries(std::string_view rec, std::vector<RefSeries>* out);
Status DecodeSamples(std::string_view rec, std::vector<RefSample>* out);
Status DecodeTombstones(std::string_view rec, std::vector<RefTombstone>* out);
Status DecodeExemplars(std::string_view rec, std::vector<RefExemplar>* out);
// Unknown fields are skipped; a missing UNIT or HELP decodes as "".
Status DecodeMetadata(std::string_view rec, std::vector<RefMetadata>* out);

}  // namespace vigil::tsdb::wal
