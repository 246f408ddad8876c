// DB::Snapshot: hard links of the blocks plus the head written as a block.
#include <filesystem>
#include <system_error>

#include "base/logging.h"
#include "tsdb/block/block_writer.h"
#include "tsdb/db/db.h"

namespace vigil::tsdb {
namespace {

// Recreates the tree under `from` in `to`, hard-linking files (blocks are immutable, so a
// link is a snapshot); copies a file when linking fails (another file system).
Status LinkTree(const std::string& from, const std::string& to) {
  namespace sfs = std::filesystem;
  std::error_code ec;
  sfs::create_directories(to, ec);
  if (ec) return Status::IOError("mkdir " + to + ": " + ec.message());
  for (auto it = sfs::recursive_directory_iterator(from, ec);
       !ec && it != sfs::recursive_directory_iterator(); it.increment(ec)) {
    const sfs::path rel = sfs::relative(it->path(), from, ec);
    if (ec) break;
    const sfs::path dst = sfs::path(to) / rel;
    if (it->is_directory(ec)) {
      sfs::create_directories(dst, ec);
    } else {
      sfs::create_hard_link(it->path(), dst, ec);
      if (ec) {
        ec.clear();
        sfs::copy_file(it->path(), dst, ec);
      }
    }
    if (ec) return Status::IOError("snapshot " + it->path().string() + ": " + ec.message());
  }
  if (ec) return Status::IOError("snapshot " + from + ": " + ec.message());
  return Status::OK();
}

}  // namespace

Status DB::Snapshot(const std::string& dir, bool with_head) {
  // No compaction or retention renames a block directory while it is linked.
  MutexLock l(&compact_mu_);
  VIGIL_RETURN_IF_ERROR(fs_->CreateDirs(dir));
  for (const auto& b : Blocks()) {
    VIGIL_RETURN_IF_ERROR(LinkTree(b->dir(), fs::JoinPath(dir, b->meta().ulid.ToString())));
  }
  if (with_head && head_->NumSeries() > 0 && head_->MinTime() <= head_->MaxTime()) {
    const int64_t mint = head_->MinTime(), maxt = head_->MaxTime();
    const Context ctx = Context::Background();
    std::vector<std::string> symbols = head_->BlockSymbols();
    auto set = head_->NewChunkSeriesSet(ctx, mint, maxt);
    block::BlockWriterOptions bo;
    bo.mint = mint;
    bo.maxt = maxt + 1;
    bo.fs = fs_;
    bo.clock = clock_;
    auto meta = block::WriteBlock(ctx, dir, symbols, set.get(), bo);
    if (!meta.has_value()) return meta.error().WithPrefix("snapshot of the head");
  }
  VIGIL_RETURN_IF_ERROR(fs_->SyncDir(dir));
  VIGIL_LOG_INFO("tsdb", "Snapshot written", "dir={} head={}", LogQuote(dir), with_head);
  return Status::OK();
}

}  // namespace vigil::tsdb
