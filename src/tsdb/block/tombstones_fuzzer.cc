// Fuzzes the block tombstones decoder: arbitrary bytes must decode or fail with Corruption,
// never crash or over-allocate; whatever decodes must re-encode to a file that decodes to
// the same intervals. The input is also wrapped in a valid header and checksum, so that the
// entry parser is reached by most inputs.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/coding.h"
#include "tsdb/block/tombstones.h"

using namespace vigil::tsdb::block;  // NOLINT: fuzzer entry point file

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void RoundTrip(std::string_view file) {
  vigil::Result<Tombstones> t = DecodeTombstones(file);
  if (!t.has_value()) {
    Check(t.error().IsCorruption());
    return;
  }
  vigil::Result<Tombstones> again = DecodeTombstones(EncodeTombstones(*t));
  Check(again.has_value() && again->all() == t->all());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  RoundTrip(in);
  std::string wrapped;
  vigil::PutBE32(&wrapped, kTombstonesMagic);
  wrapped.push_back(char(kTombstonesFormatV1));
  wrapped.append(in);
  vigil::PutBE32(&wrapped, vigil::Crc32cOf(in));
  RoundTrip(wrapped);
  return 0;
}
