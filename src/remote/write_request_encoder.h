// WriteRequestEncoder: builds a Prometheus remote-write 1.0 `prometheus.WriteRequest`
// (protobuf wire format, the counterpart of remote/write_request.h's decoder) one TimeSeries
// at a time, without libprotobuf.
//
//   WriteRequest { repeated TimeSeries timeseries = 1; }
//   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
//   Label        { string name = 1; string value = 2; }
//   Sample       { double value = 1; int64 timestamp = 2; }
//
// The bytes equal what libprotobuf (and Prometheus' gogo-protobuf code) serialize for the
// same message: fields in number order, proto3 defaults omitted (a value whose bits are all
// zero, a zero timestamp, an empty label value), negative timestamps as 10-byte varints.
// Exemplars, histograms and metadata are not written.
//
// A series' labels can be encoded once (EncodeLabels) and reused for every request that
// carries the series: appending a series then costs a memcpy of its labels plus the samples.
// The encoder keeps its buffer's capacity across Clear(), so a sender that reuses one
// encoder allocates nothing per request in steady state. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"
#include "model/labels.h"
#include "model/value.h"

namespace vigil::remote {

class WriteRequestEncoder {
 public:
  // Appends the repeated `Label` fields of a TimeSeries for `labels` to *out (the labels in
  // their order, which for a Labels is sorted by name as receivers require).
  static void EncodeLabels(const Labels& labels, std::string* out);
  // The same for one label; appends nothing for an empty name, omits an empty value.
  static void EncodeLabel(std::string_view name, std::string_view value, std::string* out);

  // Appends one TimeSeries with `labels` and `samples` (in the given order; receivers want
  // them in increasing time). A series with no samples is still written.
  void AddSeries(const Labels& labels, std::span<const Sample> samples);
  // As AddSeries, with labels already encoded by EncodeLabels/EncodeLabel.
  void AddSeriesEncoded(std::string_view encoded_labels, std::span<const Sample> samples);

  size_t num_series() const { return num_series_; }
  size_t num_samples() const { return num_samples_; }
  // The serialized WriteRequest of everything added since the last Clear().
  std::string_view bytes() const { return buf_; }
  // Starts a new request (keeps the capacity).
  void Clear();

 private:
  std::string buf_;
  std::string scratch_labels_;
  size_t num_series_ = 0;
  size_t num_samples_ = 0;
};

// Snappy block-compresses `message` into *out (replacing its contents): the body of a
// remote-write request.
void SnappyCompress(std::string_view message, std::string* out);

// Snappy-decompresses `compressed` into *out. InvalidArgument for corrupt input,
// ResourceExhausted when the decoded size would exceed max_bytes.
Status SnappyUncompress(std::string_view compressed, size_t max_bytes, std::string* out);

}  // namespace vigil::remote
