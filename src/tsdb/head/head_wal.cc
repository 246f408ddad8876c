#include "tsdb/head/head_wal.h"

#include "tsdb/wal/records.h"

namespace vigil::tsdb {

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
