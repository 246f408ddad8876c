#include "remote/write_request_encoder.h"

#include <snappy.h>

#include <bit>

#include "base/coding.h"

namespace vigil::remote {
namespace {

// Tags: (field number << 3) | wire type.
constexpr char kTagTimeSeries = 0x0A;   // WriteRequest.timeseries, length-delimited
constexpr char kTagLabel = 0x0A;        // TimeSeries.labels, length-delimited
constexpr char kTagSample = 0x12;       // TimeSeries.samples, length-delimited
constexpr char kTagName = 0x0A;         // Label.name, length-delimited
constexpr char kTagValue = 0x12;        // Label.value, length-delimited
constexpr char kTagSampleValue = 0x09;  // Sample.value, fixed64
constexpr char kTagTimestamp = 0x10;    // Sample.timestamp, varint

size_t UvarintLen(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

size_t SampleSize(const Sample& s) {
  size_t n = 0;
  if (std::bit_cast<uint64_t>(s.v) != 0) n += 9;
  if (s.t != 0) n += 1 + UvarintLen(uint64_t(s.t));
  return n;
}

void PutFixed64LE(std::string* out, uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = char(v >> (8 * i));
  out->append(b, 8);
}

}  // namespace

void WriteRequestEncoder::EncodeLabel(std::string_view name, std::string_view value,
                                      std::string* out) {
  if (name.empty()) return;
  size_t body = 1 + UvarintLen(name.size()) + name.size();
  if (!value.empty()) body += 1 + UvarintLen(value.size()) + value.size();
  out->push_back(kTagLabel);
  PutUvarint(out, body);
  out->push_back(kTagName);
  PutUvarint(out, name.size());
  out->append(name);
  if (!value.empty()) {
    out->push_back(kTagValue);
    PutUvarint(out, value.size());
    out->append(value);
  }
}

void WriteRequestEncoder::EncodeLabels(const Labels& labels, std::string* out) {
  for (const LabelView& l : labels) EncodeLabel(l.name, l.value, out);
}

void WriteRequestEncoder::AddSeries(const Labels& labels, std::span<const Sample> samples) {
  scratch_labels_.clear();
  EncodeLabels(labels, &scratch_labels_);
  AddSeriesEncoded(scratch_labels_, samples);
}

void WriteRequestEncoder::AddSeriesEncoded(std::string_view encoded_labels,
                                           std::span<const Sample> samples) {
  size_t body = encoded_labels.size();
  for (const Sample& s : samples) {
    size_t n = SampleSize(s);
    body += 1 + UvarintLen(n) + n;
  }
  buf_.push_back(kTagTimeSeries);
  PutUvarint(&buf_, body);
  buf_.append(encoded_labels);
  for (const Sample& s : samples) {
    buf_.push_back(kTagSample);
    PutUvarint(&buf_, SampleSize(s));
    uint64_t bits = std::bit_cast<uint64_t>(s.v);
    if (bits != 0) {
      buf_.push_back(kTagSampleValue);
      PutFixed64LE(&buf_, bits);
    }
    if (s.t != 0) {
      buf_.push_back(kTagTimestamp);
      PutUvarint(&buf_, uint64_t(s.t));
    }
  }
  ++num_series_;
  num_samples_ += samples.size();
}

void WriteRequestEncoder::Clear() {
  buf_.clear();
  num_series_ = 0;
  num_samples_ = 0;
}

void SnappyCompress(std::string_view message, std::string* out) {
  out->resize(snappy::MaxCompressedLength(message.size()));
  size_t n = 0;
  snappy::RawCompress(message.data(), message.size(), out->data(), &n);
  out->resize(n);
}

Status SnappyUncompress(std::string_view compressed, size_t max_bytes, std::string* out) {
  size_t len = 0;
  if (!snappy::GetUncompressedLength(compressed.data(), compressed.size(), &len)) {
    return Status::InvalidArgument("snappy: corrupt input");
  }
  if (len > max_bytes) {
    return Status::ResourceExhausted("snappy: decoded size " + std::to_string(len) +
                                     " exceeds the limit of " + std::to_string(max_bytes));
  }
  out->resize(len);
  if (!snappy::RawUncompress(compressed.data(), compressed.size(), out->data())) {
    return Status::InvalidArgument("snappy: corrupt input");
  }
  return Status::OK();
}

}  // namespace vigil::remote
