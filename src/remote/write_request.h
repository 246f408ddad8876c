// A zero-copy decoder for the Prometheus remote-write 1.0 message `prometheus.WriteRequest`
// (protobuf, already snappy-decompressed). Field numbers (prompb/remote.proto, types.proto):
//
//   WriteRequest { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
//   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2;
//                  repeated Exemplar exemplars = 3; repeated Histogram histograms = 4; }
//   Label        { string name = 1; string value = 2; }
//   Sample       { double value = 1; int64 timestamp = 2; }
//
// The decoder checks the whole wire format (tags, wire types of known fields, lengths,
// varints, nested messages; unknown fields and groups are skipped) and fills a
// WriteRequestView whose label strings point into the input: no string is copied. Exemplars,
// histograms and metadata are checked (down to exemplar labels, histogram spans and packed
// fields, so that whatever we accept libprotobuf accepts too) and counted, not decoded
// (Vigil's storage has no native histograms or exemplars yet).
//
// Known fields with the wrong wire type are errors, as in Prometheus' gogo-protobuf code
// (C++ protobuf would skip them as unknown). Repeated scalar fields keep the last value, as
// protobuf does.
//
// Reusing one WriteRequestView across requests keeps its vectors' capacity, so steady-state
// decoding allocates nothing. Thread-safety: DecodeWriteRequest is reentrant; a view is used
// by one thread at a time.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "model/value.h"

namespace vigil::remote {

struct LabelRef {
  std::string_view name;
  std::string_view value;
};

// One TimeSeries: its labels are view.labels[labels_begin, labels_end) in wire order, its
// samples view.samples[samples_begin, samples_end) in wire order.
struct TimeSeriesRef {
  uint32_t labels_begin = 0;
  uint32_t labels_end = 0;
  uint32_t samples_begin = 0;
  uint32_t samples_end = 0;
  uint32_t exemplars = 0;
  uint32_t histograms = 0;
};

struct WriteRequestView {
  std::vector<TimeSeriesRef> series;
  std::vector<LabelRef> labels;
  std::vector<Sample> samples;
  size_t exemplars = 0;
  size_t histograms = 0;
  size_t metadata = 0;

  // Empties the view, keeping capacity.
  void Clear();
};

// Decodes `data` into `*out` (cleared first). The views in *out point into `data`, which must
// outlive their use. Error: InvalidArgument with a description of the first wire-format
// problem ("proto: ..."); *out is then unspecified.
Status DecodeWriteRequest(std::string_view data, WriteRequestView* out);

}  // namespace vigil::remote
