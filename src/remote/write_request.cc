#include "remote/write_request.h"

#include <bit>
#include <string>

namespace vigil::remote {

namespace {

enum WireType : int {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5,
};

// Groups of unknown fields may nest; bound the depth so hostile input cannot loop forever.
constexpr int kMaxGroupDepth = 64;

Status Error(std::string_view msg) { return Status::InvalidArgument("proto: " + std::string(msg)); }

// Reads protobuf wire-format values from a byte range. Methods return false on malformed
// input and leave the reason in error() (a static string, so the hot path never allocates).
class Reader {
 public:
  explicit Reader(std::string_view data)
      : p_(reinterpret_cast<const uint8_t*>(data.data())), end_(p_ + data.size()) {}

  bool done() const { return p_ == end_; }
  const std::string& error() const { return err_; }

  bool Varint(uint64_t* v) {
    uint64_t result = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (p_ == end_) return Fail("unexpected EOF");
      uint8_t b = *p_++;
      if (shift < 64) result |= uint64_t(b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        *v = result;
        return true;
      }
    }
    return Fail("integer overflow");
  }

  // A tag is a 32-bit varint: more than 5 bytes (an overlong encoding, which no encoder
  // writes and libprotobuf refuses) is malformed even when the value would fit.
  bool Tag(uint32_t* field, int* wt) {
    const uint8_t* start = p_;
    uint64_t t = 0;
    if (!Varint(&t)) return false;
    if (p_ - start > 5) return Fail("illegal tag: varint longer than 5 bytes");
    if (t > 0xFFFFFFFFull) return Fail("illegal tag " + std::to_string(t));
    *wt = int(t & 7);
    *field = uint32_t(t >> 3);
    if (*field == 0) return Fail("illegal tag 0 (wire type " + std::to_string(*wt) + ")");
    return true;
  }

  bool Fixed64(uint64_t* v) {
    if (end_ - p_ < 8) return Fail("unexpected EOF");
    uint64_t x = 0;
    for (int i = 7; i >= 0; --i) x = (x << 8) | p_[i];
    p_ += 8;
    *v = x;
    return true;
  }

  bool Bytes(std::string_view* out) {
    uint64_t len = 0;
    if (!Varint(&len)) return false;
    if (len > uint64_t(end_ - p_)) return Fail("unexpected EOF");
    *out = std::string_view(reinterpret_cast<const char*>(p_), size_t(len));
    p_ += len;
    return true;
  }

  // Skips the value of a field of wire type `wt` (whose tag was just read).
  bool Skip(uint32_t field, int wt) {
    uint32_t open[kMaxGroupDepth];
    int depth = 0;
    for (;;) {
      switch (wt) {
        case kVarint: {
          uint64_t v = 0;
          if (!Varint(&v)) return false;
          break;
        }
        case kFixed64:
          if (end_ - p_ < 8) return Fail("unexpected EOF");
          p_ += 8;
          break;
        case kLengthDelimited: {
          std::string_view v;
          if (!Bytes(&v)) return false;
          break;
        }
        case kStartGroup:
          if (depth == kMaxGroupDepth) return Fail("groups nested too deeply");
          open[depth++] = field;
          break;
        case kEndGroup:
          if (depth == 0 || open[depth - 1] != field) return Fail("unexpected end group");
          --depth;
          break;
        case kFixed32:
          if (end_ - p_ < 4) return Fail("unexpected EOF");
          p_ += 4;
          break;
        default:
          return Fail("illegal wireType " + std::to_string(wt));
      }
      if (depth == 0) return true;
      if (!Tag(&field, &wt)) return false;
    }
  }

  bool WrongWireType(int wt, std::string_view field) {
    return Fail("wrong wireType = " + std::to_string(wt) + " for field " + std::string(field));
  }

  bool Fail(std::string msg) {
    err_ = std::move(msg);
    return false;
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
  std::string err_;
};

// Each decoder returns false with the reason in *err.
bool DecodeLabel(std::string_view data, LabelRef* out, std::string* err) {
  Reader r(data);
  while (!r.done()) {
    uint32_t field = 0;
    int wt = 0;
    bool ok;
    if (!r.Tag(&field, &wt)) {
      ok = false;
    } else if (field == 1 || field == 2) {
      ok = wt == kLengthDelimited ? r.Bytes(field == 1 ? &out->name : &out->value)
                                  : r.WrongWireType(wt, field == 1 ? "Name" : "Value");
    } else {
      ok = r.Skip(field, wt);
    }
    if (!ok) {
      *err = r.error();
      return false;
    }
  }
  return true;
}

bool DecodeSample(std::string_view data, Sample* out, std::string* err) {
  Reader r(data);
  while (!r.done()) {
    uint32_t field = 0;
    int wt = 0;
    bool ok = r.Tag(&field, &wt);
    if (ok && field == 1) {
      uint64_t bits = 0;
      ok = wt == kFixed64 ? r.Fixed64(&bits) : r.WrongWireType(wt, "Value");
      if (ok) out->v = std::bit_cast<double>(bits);
    } else if (ok && field == 2) {
      uint64_t v = 0;
      ok = wt == kVarint ? r.Varint(&v) : r.WrongWireType(wt, "Timestamp");
      if (ok) out->t = static_cast<int64_t>(v);
    } else if (ok) {
      ok = r.Skip(field, wt);
    }
    if (!ok) {
      *err = r.error();
      return false;
    }
  }
  return true;
}

// Checks that `data` is a well-formed message (any fields), for the parts we only count.
bool CheckMessage(std::string_view data, std::string* err) {
  Reader r(data);
  while (!r.done()) {
    uint32_t field = 0;
    int wt = 0;
    if (!r.Tag(&field, &wt) || !r.Skip(field, wt)) {
      *err = r.error();
      return false;
    }
  }
  return true;
}

// Checks an Exemplar {repeated Label labels = 1; double value = 2; int64 timestamp = 3;} down
// to its labels, so that everything we accept a protobuf library accepts too.
bool CheckExemplar(std::string_view data, std::string* err) {
  Reader r(data);
  while (!r.done()) {
    uint32_t field = 0;
    int wt = 0;
    bool ok = r.Tag(&field, &wt);
    if (ok && field == 1 && wt == kLengthDelimited) {
      std::string_view msg;
      LabelRef l;
      ok = r.Bytes(&msg);
      if (ok && !DecodeLabel(msg, &l, err)) return false;
    } else if (ok) {
      ok = r.Skip(field, wt);
    }
    if (!ok) {
      *err = r.error();
      return false;
    }
  }
  return true;
}

// Checks a native Histogram message: spans (8, 11) are messages; deltas (9, 12) packed
// varints; counts (10, 13) and custom values (16) packed doubles.
bool CheckHistogram(std::string_view data, std::string* err) {
  Reader r(data);
  while (!r.done()) {
    uint32_t field = 0;
    int wt = 0;
    if (!r.Tag(&field, &wt)) {
      *err = r.error();
      return false;
    }
    if (wt != kLengthDelimited) {
      if (!r.Skip(field, wt)) {
        *err = r.error();
        return false;
      }
      continue;
    }
    std::string_view msg;
    if (!r.Bytes(&msg)) {
      *err = r.error();
      return false;
    }
    if (field == 8 || field == 11) {
      if (!CheckMessage(msg, err)) return false;
    } else if (field == 9 || field == 12) {
      Reader packed(msg);
      while (!packed.done()) {
        uint64_t v = 0;
        if (!packed.Varint(&v)) {
          *err = packed.error();
          return false;
        }
      }
    } else if ((field == 10 || field == 13 || field == 16) && msg.size() % 8 != 0) {
      *err = "unexpected EOF";
      return false;
    }
  }
  return true;
}

bool DecodeTimeSeries(std::string_view data, WriteRequestView* out, std::string* err) {
  static constexpr std::string_view kNames[] = {"", "Labels", "Samples", "Exemplars", "Histograms"};
  TimeSeriesRef ts;
  ts.labels_begin = ts.labels_end = uint32_t(out->labels.size());
  ts.samples_begin = ts.samples_end = uint32_t(out->samples.size());
  Reader r(data);
  while (!r.done()) {
    uint32_t field = 0;
    int wt = 0;
    if (!r.Tag(&field, &wt)) {
      *err = r.error();
      return false;
    }
    if (field < 1 || field > 4) {
      if (!r.Skip(field, wt)) {
        *err = r.error();
        return false;
      }
      continue;
    }
    std::string_view msg;
    if (wt != kLengthDelimited) r.WrongWireType(wt, kNames[field]);
    if (wt != kLengthDelimited || !r.Bytes(&msg)) {
      *err = r.error();
      return false;
    }
    switch (field) {
      case 1: {
        LabelRef l;
        if (!DecodeLabel(msg, &l, err)) return false;
        out->labels.push_back(l);
        break;
      }
      case 2: {
        Sample s;
        if (!DecodeSample(msg, &s, err)) return false;
        out->samples.push_back(s);
        break;
      }
      case 3:
        if (!CheckExemplar(msg, err)) return false;
        ++ts.exemplars;
        break;
      case 4:
        if (!CheckHistogram(msg, err)) return false;
        ++ts.histograms;
        break;
    }
  }
  // Labels and samples of one series may interleave on the wire; they are pushed in wire
  // order and stay contiguous because nothing else is pushed while this series is decoded.
  ts.labels_end = uint32_t(out->labels.size());
  ts.samples_end = uint32_t(out->samples.size());
  out->exemplars += ts.exemplars;
  out->histograms += ts.histograms;
  out->series.push_back(ts);
  return true;
}

}  // namespace

void WriteRequestView::Clear() {
  series.clear();
  labels.clear();
  samples.clear();
  exemplars = histograms = metadata = 0;
}

Status DecodeWriteRequest(std::string_view data, WriteRequestView* out) {
  out->Clear();
  // Every label and sample takes at least two bytes on the wire, so uint32 indices suffice
  // for any input below 8 GiB.
  if (data.size() >= (uint64_t(1) << 33)) return Error("message too large");
  Reader r(data);
  std::string err;
  while (!r.done()) {
    uint32_t field = 0;
    int wt = 0;
    if (!r.Tag(&field, &wt)) return Error(r.error());
    if (field != 1 && field != 3) {
      if (!r.Skip(field, wt)) return Error(r.error());
      continue;
    }
    std::string_view msg;
    if (wt != kLengthDelimited) {
      r.WrongWireType(wt, field == 1 ? "Timeseries" : "Metadata");
      return Error(r.error());
    }
    if (!r.Bytes(&msg)) return Error(r.error());
    if (field == 1) {
      if (!DecodeTimeSeries(msg, out, &err)) return Error(err);
    } else {
      if (!CheckMessage(msg, &err)) return Error(err);
      ++out->metadata;
    }
  }
  return Status::OK();
}

}  // namespace vigil::remote
