// Fuzzes XorIterator over arbitrary bytes: it must never read out of bounds or crash, and
// whatever it accepts must survive a re-encode and a resumed append unchanged.
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "tsdb/chunkenc/xor.h"

namespace {

using vigil::tsdb::chunkenc::XorChunk;
using vigil::tsdb::chunkenc::XorIterator;

struct Sample {
  int64_t t;
  uint64_t bits;
  bool operator==(const Sample&) const = default;
};

std::vector<Sample> DecodeAll(std::string_view b, bool* ok) {
  std::vector<Sample> out;
  XorIterator it(b);
  while (it.Next()) out.push_back({it.AtT(), it.AtVBits()});
  *ok = it.Err().ok();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  bool ok;
  std::vector<Sample> got = DecodeAll(in, &ok);

  XorIterator seeker(in);
  if (seeker.Seek(0)) (void)seeker.AtV();

  if (!ok) return 0;
  // Accepted input: re-encoding the samples must decode to the same samples.
  XorChunk again;
  for (const Sample& s : got) again.Append(s.t, std::bit_cast<double>(s.bits));
  bool ok2;
  if (DecodeAll(again.Bytes(), &ok2) != got || !ok2) std::abort();

  // Resuming the accepted bytes and appending must keep the old samples and add the new one.
  auto resumed = XorChunk::FromBytes(in);
  if (!resumed.has_value()) std::abort();
  if (got.size() < 0xFFFF) {
    const Sample extra{got.empty() ? 0 : int64_t(uint64_t(got.back().t) + 15000),
                       0x4045000000000000ull};
    resumed->Append(extra.t, std::bit_cast<double>(extra.bits));
    got.push_back(extra);
    if (DecodeAll(resumed->Bytes(), &ok2) != got || !ok2) std::abort();
  }
  return 0;
}
