// HeadWal: what the head needs from the write-ahead log: append encoded records (Series,
// Samples) as one write, fsync, cut segments, close. OpenHeadWal() implements it over
// tsdb/wal's Writer (Prometheus' format: 32 KiB pages, segments, snappy records), so the WAL
// is readable by Prometheus and its tools.
// Thread-safety: the head calls it from one group-commit leader at a time (or with the
// leader role held, for NextSegment/Close); BufferBytes() may be called from any thread.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "fs/file_system.h"
#include "model/labels.h"

namespace vigil::tsdb {

struct WalSeries {
  uint64_t ref;
  Labels labels;
};
struct WalSample {
  uint64_t ref;
  int64_t t;
  double v;
};

class HeadWal {
 public:
  virtual ~HeadWal() = default;
  // Appends the records (each a full WAL record) in order, as one write. On error the log
  // holds no partial record of the batch (except records already moved into a finished
  // segment when the batch cut one), and the WAL stays usable unless Broken().
  virtual Status Log(std::span<const std::string_view> records) = 0;
  virtual Status Sync() = 0;
  // Finishes the current segment (pad + fsync) and starts the next; returns its index.
  virtual Result<int> NextSegment() = 0;
  // Index of the segment being written.
  virtual int Segment() const = 0;
  // True after a failure that leaves the writer unusable (failed fsync, failed undo); the
  // head then closes it and opens a new one.
  virtual bool Broken() = 0;
  virtual Status Close() = 0;
  // Anonymous memory held by write buffers.
  virtual size_t BufferBytes() const = 0;
};

struct HeadWalOptions {
  fs::FileSystem* fs = nullptr;  // nullptr: fs::DefaultFileSystem()
  uint64_t segment_bytes = 0;    // 0: Prometheus' 128 MiB
  bool compression = true;       // snappy (what Prometheus 2.x reads)
};

// Opens the WAL in `dir` (created if missing). A torn tail of the last segment is repaired
// and a new segment is started, as Prometheus does. Corruption if the last segment is
// damaged before its end (replay and repair first).
Result<std::unique_ptr<HeadWal>> OpenHeadWal(const std::string& dir, const HeadWalOptions& opts);

// Prometheus record type 1 (Series) and 2 (Samples).
std::string EncodeSeriesRecord(const std::vector<WalSeries>& series);
std::string EncodeSamplesRecord(const std::vector<WalSample>& samples);

namespace walenc {

inline char* PutUvarint(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = char(v | 0x80);
    v >>= 7;
  }
  *p++ = char(v);
  return p;
}
inline char* PutBE64(char* p, uint64_t v) {
  v = __builtin_bswap64(v);
  std::memcpy(p, &v, 8);
  return p + 8;
}

}  // namespace walenc

// Appends a Samples record of n samples to *out (cleared first) without temporaries:
// sample(i, &ref, &t, &v) yields the i-th sample. Byte-identical to wal::EncodeSamples.
template <typename SampleAt>
void EncodeSamplesRecordTo(std::string* out, size_t n, SampleAt&& sample) {
  out->resize(1 + 16 + n * 28);  // type, base ref/t, per sample <= 10 + 10 + 8 bytes
  char* p = out->data();
  *p++ = char(2);
  uint64_t base_ref = 0;
  int64_t base_t = 0;
  for (size_t i = 0; i < n; ++i) {
    uint64_t ref;
    int64_t t;
    double v;
    sample(i, &ref, &t, &v);
    if (i == 0) {
      base_ref = ref;
      base_t = t;
      p = walenc::PutBE64(p, base_ref);
      p = walenc::PutBE64(p, uint64_t(base_t));
    }
    const int64_t dref = int64_t(ref - base_ref);
    const int64_t dt = int64_t(uint64_t(t) - uint64_t(base_t));
    p = walenc::PutUvarint(p, (uint64_t(dref) << 1) ^ uint64_t(dref >> 63));
    p = walenc::PutUvarint(p, (uint64_t(dt) << 1) ^ uint64_t(dt >> 63));
    p = walenc::PutBE64(p, std::bit_cast<uint64_t>(v));
  }
  out->resize(size_t(p - out->data()));
}

}  // namespace vigil::tsdb
