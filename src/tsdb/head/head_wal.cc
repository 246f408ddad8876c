#include "tsdb/head/head_wal.h"

#include <snappy.h>

#include <atomic>

#include "tsdb/wal/records.h"
#include "tsdb/wal/writer.h"

namespace vigil::tsdb {
namespace {

class PrometheusWal final : public HeadWal {
 public:
  explicit PrometheusWal(std::unique_ptr<wal::Writer> w) : w_(std::move(w)) {
    segment_.store(w_->segment(), std::memory_order_relaxed);
  }

  Status Log(std::span<const std::string_view> records) override {
    size_t biggest = 0;
    for (std::string_view r : records) biggest = std::max(biggest, r.size());
    if (biggest > max_record_.load(std::memory_order_relaxed)) {
      max_record_.store(biggest, std::memory_order_relaxed);
    }
    Status s = w_->Log(records);
    segment_.store(w_->segment(), std::memory_order_relaxed);
    return s;
  }
  Status Sync() override { return w_->Sync(); }
  Result<int> NextSegment() override {
    Result<int> r = w_->NextSegment();
    segment_.store(w_->segment(), std::memory_order_relaxed);
    return r;
  }
  int Segment() const override { return segment_.load(std::memory_order_relaxed); }
  // Writer::Log checks for a broken writer before it looks at the (empty) batch, so an
  // empty Log is a side-effect-free probe.
  bool Broken() override { return !w_->Log(std::span<const std::string_view>()).ok(); }
  Status Close() override { return w_->Close(); }
  size_t BufferBytes() const override {
    // The page being filled plus the compression scratch (sized for the largest record).
    return wal::kPageSize +
           snappy::MaxCompressedLength(max_record_.load(std::memory_order_relaxed));
  }

 private:
  std::unique_ptr<wal::Writer> w_;
  std::atomic<int> segment_{0};
  std::atomic<size_t> max_record_{0};
};

}  // namespace

Result<std::unique_ptr<HeadWal>> OpenHeadWal(const std::string& dir, const HeadWalOptions& opts) {
  wal::WriterOptions wo;
  wo.fs = opts.fs;
  if (opts.segment_bytes != 0) wo.segment_size = opts.segment_bytes;
  wo.compression = opts.compression ? wal::Compression::kSnappy : wal::Compression::kNone;
  VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<wal::Writer> w, wal::Writer::Open(dir, wo));
  return std::unique_ptr<HeadWal>(new PrometheusWal(std::move(w)));
}

// The head's record types mirror tsdb/wal's; encoding is tsdb/wal's (Prometheus format).
std::string EncodeSeriesRecord(const std::vector<WalSeries>& series) {
  std::vector<wal::RefSeries> rs;
  rs.reserve(series.size());
  for (const auto& s : series) rs.push_back(wal::RefSeries{s.ref, s.labels});
  std::string out;
  wal::EncodeSeries(rs, &out);
  return out;
}

std::string EncodeSamplesRecord(const std::vector<WalSample>& samples) {
  std::vector<wal::RefSample> rs;
  rs.reserve(samples.size());
  for (const auto& s : samples) rs.push_back(wal::RefSample{s.ref, s.t, s.v});
  std::string out;
  wal::EncodeSamples(rs, &out);
  return out;
}

}  // namespace vigil::tsdb
