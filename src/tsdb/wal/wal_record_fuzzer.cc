// Fuzzes the WAL record decoders: arbitrary bytes must decode or fail with Corruption,
// never crash or over-allocate; whatever decodes must re-encode and decode to the same.
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "tsdb/wal/records.h"

using namespace vigil::tsdb::wal;  // NOLINT: fuzzer entry point file

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string re;
  {
    std::vector<RefSeries> v;
    if (DecodeSeries(in, &v).ok()) {
      EncodeSeries(v, &re);
      std::vector<RefSeries> w;
      Check(DecodeSeries(re, &w).ok() && w.size() == v.size());
      for (size_t i = 0; i < v.size(); ++i)
        Check(w[i].ref == v[i].ref && w[i].labels == v[i].labels);
    }
  }
  {
    std::vector<RefSample> v;
    if (DecodeSamples(in, &v).ok()) {
      re.clear();
      EncodeSamples(v, &re);
      std::vector<RefSample> w;
      Check(DecodeSamples(re, &w).ok() && w.size() == v.size());
      for (size_t i = 0; i < v.size(); ++i) {
        Check(w[i].ref == v[i].ref && w[i].t == v[i].t &&
              std::bit_cast<uint64_t>(w[i].v) == std::bit_cast<uint64_t>(v[i].v));
      }
    }
  }
  {
    std::vector<RefTombstone> v;
    if (DecodeTombstones(in, &v).ok()) {
      re.clear();
      EncodeTombstones(v, &re);
      std::vector<RefTombstone> w;
      Check(DecodeTombstones(re, &w).ok() && w.size() == v.size());
      for (size_t i = 0; i < v.size(); ++i) {
        Check(w[i].ref == v[i].ref && w[i].mint == v[i].mint && w[i].maxt == v[i].maxt);
      }
    }
  }
  {
    std::vector<RefMetadata> v;
    if (DecodeMetadata(in, &v).ok()) {
      re.clear();
      EncodeMetadata(v, &re);
      std::vector<RefMetadata> w;
      Check(DecodeMetadata(re, &w).ok() && w.size() == v.size());
      for (size_t i = 0; i < v.size(); ++i) {
        Check(w[i].ref == v[i].ref && w[i].type == v[i].type && w[i].unit == v[i].unit &&
              w[i].help == v[i].help);
      }
    }
  }
  {
    std::vector<RefExemplar> v;
    if (DecodeExemplars(in, &v).ok()) {
      re.clear();
      EncodeExemplars(v, &re);
      std::vector<RefExemplar> w;
      Check(DecodeExemplars(re, &w).ok() && w.size() == v.size());
    }
  }
  (void)RecordTypeOf(in);
  return 0;
}
