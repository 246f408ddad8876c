// Fuzzes the remote-write decoder and receiver with untrusted bytes.
//
// The input is treated twice: as an uncompressed WriteRequest (decoder + validation +
// append into a sink), and as a snappy-compressed body (the HTTP path). Differential check:
// whenever our decoder accepts a message, libprotobuf must accept it too and see the same
// series, labels and samples (ours is stricter: known fields with wrong wire types are errors).
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "base/clock.h"
#include "remote/testproto/remote_write.pb.h"
#include "remote/write_handler.h"
#include "remote/write_request.h"

namespace {

class SinkAppender final : public vigil::storage::Appender {
 public:
  vigil::Result<vigil::storage::SeriesRef> Append(vigil::storage::SeriesRef, const vigil::Labels& l,
                                                  int64_t t, double) override {
    if (l.empty()) return vigil::Status::InvalidArgument("empty labelset");
    if (t % 7 == 0) return vigil::Status::OutOfOrder("out of order sample");
    return vigil::storage::SeriesRef(1);
  }
  vigil::Status Commit() override { return vigil::Status::OK(); }
  vigil::Status Rollback() override { return vigil::Status::OK(); }
};

class Sink final : public vigil::storage::Appendable {
 public:
  std::unique_ptr<vigil::storage::Appender> NewAppender() override {
    return std::make_unique<SinkAppender>();
  }
};

void Check(bool cond) {
  if (!cond) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  static Sink sink;
  static vigil::ManualClock clock(1'700'000'000'000);
  static vigil::remote::WriteHandler handler(&sink, &clock, {.max_decoded_bytes = 1 << 20});

  vigil::remote::WriteRequestView view;
  if (vigil::remote::DecodeWriteRequest(in, &view).ok()) {
    prometheus::WriteRequest pb;
    Check(pb.ParseFromArray(in.data(), int(in.size())));
    Check(size_t(pb.timeseries_size()) == view.series.size());
    Check(size_t(pb.metadata_size()) == view.metadata);
    for (int i = 0; i < pb.timeseries_size(); ++i) {
      const auto& ts = pb.timeseries(i);
      const auto& ref = view.series[i];
      Check(ref.labels_end - ref.labels_begin == uint32_t(ts.labels_size()));
      for (int j = 0; j < ts.labels_size(); ++j) {
        Check(view.labels[ref.labels_begin + j].name == ts.labels(j).name());
        Check(view.labels[ref.labels_begin + j].value == ts.labels(j).value());
      }
      Check(ref.samples_end - ref.samples_begin == uint32_t(ts.samples_size()));
      for (int j = 0; j < ts.samples_size(); ++j) {
        const auto& s = view.samples[ref.samples_begin + j];
        Check(s.t == ts.samples(j).timestamp());
        Check(std::bit_cast<uint64_t>(s.v) == std::bit_cast<uint64_t>(ts.samples(j).value()));
      }
      Check(ref.exemplars == uint32_t(ts.exemplars_size()));
      Check(ref.histograms == uint32_t(ts.histograms_size()));
    }
  }

  vigil::remote::WriteStats stats;
  handler.WriteDecoded(in, &stats).IgnoreError();
  handler.Write(in, &stats).IgnoreError();
  return 0;
}
