// Head::Open / Close: directories, head chunk files and WAL replay.
#include <fmt/format.h>

#include "base/logging.h"
#include "tsdb/head/head.h"
#include "tsdb/head/head_wal.h"

namespace vigil::tsdb {

Result<std::unique_ptr<Head>> Head::Open(HeadOptions opts) {
  if (opts.chunk_range_ms <= 0 || opts.chunk_range_ms > int64_t(kNextAtMask)) {
    return Status::InvalidArgument(
        fmt::format("chunk range must be in (0, {}] ms", int64_t(kNextAtMask)));
  }
  if (opts.samples_per_chunk < 4 || opts.samples_per_chunk > 30000) {
    return Status::InvalidArgument("samples per chunk must be in [4, 30000]");
  }
  std::unique_ptr<Head> head(new Head(std::move(opts)));
  VIGIL_RETURN_IF_ERROR(head->Init());
  return head;
}

Status Head::Init() {
  if (opts_.dir.empty()) {
    chunks_ = std::make_unique<MemoryChunkStore>();
    return Status::OK();
  }
  return Status::Unavailable("on-disk head needs tsdb/wal and tsdb/chunks");
}

Status Head::Close() {
  if (wal_ == nullptr) return Status::OK();
  Status s = wal_->Close();
  wal_.reset();
  return s;
}

}  // namespace vigil::tsdb
