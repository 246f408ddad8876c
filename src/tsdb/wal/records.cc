#include "tsdb/wal/records.h"

#include <bit>

#include "base/coding.h"

namespace vigil::tsdb::wal {
namespace {

constexpr std::string_view kUnitField = "UNIT";
constexpr std::string_view kHelpField = "HELP";

void PutString(std::string* out, std::string_view s) {
  PutUvarint(out, s.size());
  out->append(s);
}

Status Bad(std::string_view kind, std::string_view what, size_t entries) {
  return Status::Corruption("wal " + std::string(kind) + " record: " + std::string(what) +
                            " after " + std::to_string(entries) + " entries");
}

// Checks the type byte and strips it.
bool StripType(std::string_view* rec, RecordType want) {
  if (rec->empty() || uint8_t((*rec)[0]) != uint8_t(want)) return false;
  rec->remove_prefix(1);
  return true;
}

// Decodes a label set (uvarint count, then name/value strings).
bool GetLabels(std::string_view* in, Labels* out) {
  uint64_t n;
  if (!GetUvarint(in, &n)) return false;
  // Each pair takes at least two bytes: bound the count before reserving.
  if (n > in->size() / 2) return false;
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  pairs.reserve(size_t(n));
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view name, value;
    if (!GetLengthPrefixed(in, &name) || !GetLengthPrefixed(in, &value)) return false;
    pairs.emplace_back(name, value);
  }
  *out = Labels::FromPairs(std::move(pairs));
  return true;
}

}  // namespace

RecordType RecordTypeOf(std::string_view rec) {
  if (rec.empty()) return RecordType::kUnknown;
  const uint8_t t = uint8_t(rec[0]);
  if (t >= uint8_t(RecordType::kSeries) &&
      t <= uint8_t(RecordType::kCustomBucketsFloatHistogramSamples)) {
    return RecordType(t);
  }
  return RecordType::kUnknown;
}

void AppendSeriesEntry(uint64_t ref, const Labels& labels, std::string* out) {
  PutBE64(out, ref);
  PutUvarint(out, labels.size());
  // Labels' flat buffer is exactly the WAL's pair encoding.
  out->append(labels.data());
}

void EncodeSeries(std::span<const RefSeries> series, std::string* out) {
  out->push_back(char(RecordType::kSeries));
  for (const RefSeries& s : series) AppendSeriesEntry(s.ref, s.labels, out);
}

void EncodeSamples(std::span<const RefSample> samples, std::string* out) {
  out->push_back(char(RecordType::kSamples));
  if (samples.empty()) return;
  const RefSample& first = samples[0];
  PutBE64(out, first.ref);
  PutBE64(out, uint64_t(first.t));
  for (const RefSample& s : samples) {
    PutVarint(out, int64_t(s.ref - first.ref));
    PutVarint(out, int64_t(uint64_t(s.t) - uint64_t(first.t)));
    PutBE64(out, std::bit_cast<uint64_t>(s.v));
  }
}

void EncodeTombstones(std::span<const RefTombstone> stones, std::string* out) {
  out->push_back(char(RecordType::kTombstones));
  for (const RefTombstone& s : stones) {
    PutBE64(out, s.ref);
    PutVarint(out, s.mint);
    PutVarint(out, s.maxt);
  }
}

void EncodeExemplars(std::span<const RefExemplar> exemplars, std::string* out) {
  out->push_back(char(RecordType::kExemplars));
  if (exemplars.empty()) return;
  const RefExemplar& first = exemplars[0];
  PutBE64(out, first.ref);
  PutBE64(out, uint64_t(first.t));
  for (const RefExemplar& e : exemplars) {
    PutVarint(out, int64_t(e.ref - first.ref));
    PutVarint(out, int64_t(uint64_t(e.t) - uint64_t(first.t)));
    PutBE64(out, std::bit_cast<uint64_t>(e.v));
    PutUvarint(out, e.labels.size());
    out->append(e.labels.data());
  }
}

void EncodeMetadata(std::span<const RefMetadata> metadata, std::string* out) {
  out->push_back(char(RecordType::kMetadata));
  for (const RefMetadata& m : metadata) {
    PutUvarint(out, m.ref);
    out->push_back(char(m.type));
    PutUvarint(out, 2);
    PutString(out, kUnitField);
    PutString(out, m.unit);
    PutString(out, kHelpField);
    PutString(out, m.help);
  }
}

Status DecodeSeries(std::string_view rec, std::vector<RefSeries>* out) {
  if (!StripType(&rec, RecordType::kSeries)) return Bad("series", "wrong record type", 0);
  size_t n = 0;
  while (!rec.empty()) {
    RefSeries s;
    if (!GetBE64(&rec, &s.ref)) return Bad("series", "truncated ref", n);
    if (!GetLabels(&rec, &s.labels)) return Bad("series", "invalid label set", n);
    out->push_back(std::move(s));
    ++n;
  }
  return Status::OK();
}

Status DecodeSamples(std::string_view rec, std::vector<RefSample>* out) {
  if (!StripType(&rec, RecordType::kSamples)) return Bad("samples", "wrong record type", 0);
  if (rec.empty()) return Status::OK();
  uint64_t base_ref, base_t;
  if (!GetBE64(&rec, &base_ref) || !GetBE64(&rec, &base_t)) {
    return Bad("samples", "truncated base ref/time", 0);
  }
  size_t n = 0;
  while (!rec.empty()) {
    int64_t dref, dt;
    uint64_t bits;
    if (!GetVarint(&rec, &dref) || !GetVarint(&rec, &dt) || !GetBE64(&rec, &bits)) {
      return Bad("samples", "truncated sample", n);
    }
    out->push_back(RefSample{base_ref + uint64_t(dref), int64_t(base_t + uint64_t(dt)),
                             std::bit_cast<double>(bits)});
    ++n;
  }
  return Status::OK();
}

Status DecodeTombstones(std::string_view rec, std::vector<RefTombstone>* out) {
  if (!StripType(&rec, RecordType::kTombstones)) return Bad("tombstones", "wrong record type", 0);
  size_t n = 0;
  while (!rec.empty()) {
    RefTombstone s;
    if (!GetBE64(&rec, &s.ref) || !GetVarint(&rec, &s.mint) || !GetVarint(&rec, &s.maxt)) {
      return Bad("tombstones", "truncated entry", n);
    }
    out->push_back(s);
    ++n;
  }
  return Status::OK();
}

Status DecodeExemplars(std::string_view rec, std::vector<RefExemplar>* out) {
  if (!StripType(&rec, RecordType::kExemplars)) return Bad("exemplars", "wrong record type", 0);
  if (rec.empty()) return Status::OK();
  uint64_t base_ref, base_t;
  if (!GetBE64(&rec, &base_ref) || !GetBE64(&rec, &base_t)) {
    return Bad("exemplars", "truncated base ref/time", 0);
  }
  size_t n = 0;
  while (!rec.empty()) {
    int64_t dref, dt;
    uint64_t bits;
    RefExemplar e;
    if (!GetVarint(&rec, &dref) || !GetVarint(&rec, &dt) || !GetBE64(&rec, &bits)) {
      return Bad("exemplars", "truncated exemplar", n);
    }
    if (!GetLabels(&rec, &e.labels)) return Bad("exemplars", "invalid label set", n);
    e.ref = base_ref + uint64_t(dref);
    e.t = int64_t(base_t + uint64_t(dt));
    e.v = std::bit_cast<double>(bits);
    out->push_back(std::move(e));
    ++n;
  }
  return Status::OK();
}

Status DecodeMetadata(std::string_view rec, std::vector<RefMetadata>* out) {
  if (!StripType(&rec, RecordType::kMetadata)) return Bad("metadata", "wrong record type", 0);
  size_t n = 0;
  while (!rec.empty()) {
    RefMetadata m;
    uint64_t fields;
    if (!GetUvarint(&rec, &m.ref) || rec.empty()) return Bad("metadata", "truncated entry", n);
    m.type = uint8_t(rec[0]);
    rec.remove_prefix(1);
    if (!GetUvarint(&rec, &fields)) return Bad("metadata", "truncated field count", n);
    if (fields > rec.size() / 2) return Bad("metadata", "implausible field count", n);
    for (uint64_t i = 0; i < fields; ++i) {
      std::string_view name, value;
      if (!GetLengthPrefixed(&rec, &name) || !GetLengthPrefixed(&rec, &value)) {
        return Bad("metadata", "truncated field", n);
      }
      if (name == kUnitField) {
        m.unit.assign(value);
      } else if (name == kHelpField) {
        m.help.assign(value);
      }
    }
    out->push_back(std::move(m));
    ++n;
  }
  return Status::OK();
}

}  // namespace vigil::tsdb::wal
