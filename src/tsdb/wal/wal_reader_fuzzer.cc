// Fuzzes the WAL segment reader: arbitrary segment bytes (split into two segments at a
// position taken from the first two bytes) must yield records or a Corruption error,
// never a crash, an out-of-bounds read or an endless loop.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fs/file_system.h"
#include "tsdb/wal/reader.h"
#include "tsdb/wal/records.h"

using namespace vigil::tsdb::wal;  // NOLINT: fuzzer entry point file

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t split = std::min<size_t>(size - 2, (size_t(data[0]) << 8 | data[1]) * 16);
  std::vector<std::string> segs = {
      std::string(reinterpret_cast<const char*>(data) + 2, split),
      std::string(reinterpret_cast<const char*>(data) + 2 + split, size - 2 - split)};
  Reader r({{"mem", 0}, {"mem", 1}},
           [&segs](const Reader::SegmentRef& s)
               -> vigil::Result<std::unique_ptr<vigil::fs::SequentialFile>> {
             return vigil::fs::NewStringSequentialFile(segs[size_t(s.index)]);
           });
  size_t n = 0;
  while (r.Next()) {
    const std::string_view rec = r.Record();
    if (rec.size() > kMaxRecordSize) std::abort();
    std::vector<RefSample> samples;
    std::vector<RefSeries> series;
    if (RecordTypeOf(rec) == RecordType::kSamples) (void)DecodeSamples(rec, &samples);
    if (RecordTypeOf(rec) == RecordType::kSeries) (void)DecodeSeries(rec, &series);
    ++n;
  }
  if (!r.Err().ok() && !r.Err().IsCorruption()) std::abort();
  if (r.Err().IsCorruption() && r.corruption() == nullptr) std::abort();
  return 0;
}
