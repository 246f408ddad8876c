// HeadWal: what the head needs from the write-ahead log: append encoded records (Series,
// Samples) as one write, fsync, close. The implementation over tsdb/wal lives in
// head_wal.cc; records use Prometheus' formats so the WAL is readable by Prometheus tools.
// Thread-safety: the head calls Log/Sync from one group-commit leader at a time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
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
  // Appends the records (each a full WAL record) in order.
  virtual Status Log(const std::vector<std::string>& records) = 0;
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
  // Anonymous memory held by write buffers.
  virtual size_t BufferBytes() const = 0;
};

// Prometheus record type 1 (Series) and 2 (Samples).
std::string EncodeSeriesRecord(const std::vector<WalSeries>& series);
std::string EncodeSamplesRecord(const std::vector<WalSample>& samples);

}  // namespace vigil::tsdb
