// FaultInjectingFileSystem wraps another FileSystem (usually the POSIX one on a temp dir)
// and injects the failures storage code must survive:
//  * a write budget: once it is used up, appends fail with ENOSPC or EIO; the append that
//    crosses the limit writes the part that fits first (a short write);
//  * failing fsync (every Sync fails while set);
//  * a simulated crash: DropUnsyncedData() cuts every file written through this object
//    back to the size it had at its last successful Sync (files never synced become
//    empty), as a power cut does to data still in the page cache.
// Directory operations (create, rename, remove) pass through and are treated as durable.
// Rename keeps the "synced size" bookkeeping with the file.
//
// Thread-safe: the fault settings and bookkeeping are guarded by one mutex.
#pragma once

#include <cerrno>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "base/mutex.h"
#include "fs/file_system.h"

namespace vigil::fs {

class FaultInjectingFileSystem final : public FileSystem {
 public:
  // `base` must outlive this object.
  explicit FaultInjectingFileSystem(FileSystem* base) : base_(base) {}

  // Appends fail with `err` once `bytes` more bytes have been appended (in total, over all
  // files) from now on.
  void FailWritesAfter(uint64_t bytes, int err = ENOSPC);
  // Every Sync fails with `err` until ClearFaults().
  void FailSyncs(int err = EIO);
  // Creating files (NewWritableFile, NewAppendableFile of a missing file) fails with `err`
  // until ClearFaults(), as a file system out of inodes does.
  void FailCreates(int err = ENOSPC);
  // Limits the faults above to files whose path contains `substring` ("" : every file),
  // e.g. "chunks_head" to fail the head's chunk files while the WAL keeps working. Writes
  // to other files do not use up the write budget. Kept by ClearFaults().
  void SetFaultPathFilter(std::string substring);
  void ClearFaults();
  // Simulates a crash: see the file comment. Open handles keep working on the cut files.
  Status DropUnsyncedData();
  // Total bytes appended through this file system.
  uint64_t bytes_appended() const;

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override;
  Result<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& path) override {
    return base_->NewSequentialFile(path);
  }
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override {
    return base_->NewRandomAccessFile(path);
  }
  Result<std::unique_ptr<MappedFile>> MapFile(const std::string& path, size_t map_size) override {
    return base_->MapFile(path, map_size);
  }
  Result<std::vector<std::string>> ListDir(const std::string& dir) override {
    return base_->ListDir(dir);
  }
  Result<uint64_t> FileSize(const std::string& path) override { return base_->FileSize(path); }
  bool Exists(const std::string& path) override { return base_->Exists(path); }
  bool IsDirectory(const std::string& path) override { return base_->IsDirectory(path); }
  Status CreateDirs(const std::string& path) override { return base_->CreateDirs(path); }
  Status RemoveFile(const std::string& path) override;
  Status RemoveAll(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status TruncateFile(const std::string& path, uint64_t size) override;
  Status SyncDir(const std::string& dir) override { return base_->SyncDir(dir); }

 private:
  class File;
  friend class File;

  // How much of `want` bytes may be written now; sets *err when the budget ran out.
  uint64_t Admit(const std::string& path, uint64_t want, int* err);
  Status CheckSync(const std::string& path);
  Status CheckCreate(const std::string& path);
  void Track(const std::string& path, uint64_t size, bool synced);

  FileSystem* const base_;
  mutable Mutex mu_;
  bool write_limit_ VIGIL_GUARDED_BY(mu_) = false;
  uint64_t write_budget_ VIGIL_GUARDED_BY(mu_) = 0;
  int write_err_ VIGIL_GUARDED_BY(mu_) = ENOSPC;
  int sync_err_ VIGIL_GUARDED_BY(mu_) = 0;
  int create_err_ VIGIL_GUARDED_BY(mu_) = 0;
  std::string path_filter_ VIGIL_GUARDED_BY(mu_);
  uint64_t appended_ VIGIL_GUARDED_BY(mu_) = 0;
  std::map<std::string, uint64_t> synced_size_ VIGIL_GUARDED_BY(mu_);  // path -> durable bytes
};

}  // namespace vigil::fs
