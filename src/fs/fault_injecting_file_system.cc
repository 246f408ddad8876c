#include "fs/fault_injecting_file_system.h"

#include <cstring>

namespace vigil::fs {

class FaultInjectingFileSystem::File final : public WritableFile {
 public:
  File(FaultInjectingFileSystem* fs, std::unique_ptr<WritableFile> base)
      : fs_(fs), base_(std::move(base)) {}

  Status Append(std::string_view data) override {
    int err = 0;
    const uint64_t ok = fs_->Admit(base_->path(), data.size(), &err);
    if (ok > 0) VIGIL_RETURN_IF_ERROR(base_->Append(data.substr(0, size_t(ok))));
    if (err != 0) return ErrnoStatus("write", base_->path(), err);
    return Status::OK();
  }

  Status Sync() override {
    VIGIL_RETURN_IF_ERROR(fs_->CheckSync(base_->path()));
    VIGIL_RETURN_IF_ERROR(base_->Sync());
    fs_->Track(base_->path(), base_->Size(), /*synced=*/true);
    return Status::OK();
  }

  Status Truncate(uint64_t size) override {
    VIGIL_RETURN_IF_ERROR(base_->Truncate(size));
    fs_->Track(base_->path(), size, /*synced=*/false);
    return Status::OK();
  }

  Status Close() override { return base_->Close(); }
  uint64_t Size() const override { return base_->Size(); }
  const std::string& path() const override { return base_->path(); }

 private:
  FaultInjectingFileSystem* fs_;
  std::unique_ptr<WritableFile> base_;
};

void FaultInjectingFileSystem::FailWritesAfter(uint64_t bytes, int err) {
  MutexLock l(&mu_);
  write_limit_ = true;
  write_budget_ = bytes;
  write_err_ = err;
}

void FaultInjectingFileSystem::FailSyncs(int err) {
  MutexLock l(&mu_);
  sync_err_ = err;
}

void FaultInjectingFileSystem::FailCreates(int err) {
  MutexLock l(&mu_);
  create_err_ = err;
}

Status FaultInjectingFileSystem::CheckCreate(const std::string& path) {
  MutexLock l(&mu_);
  if (create_err_ != 0 && path.find(path_filter_) != std::string::npos) {
    return ErrnoStatus("open", path, create_err_);
  }
  return Status::OK();
}

void FaultInjectingFileSystem::SetFaultPathFilter(std::string substring) {
  MutexLock l(&mu_);
  path_filter_ = std::move(substring);
}

void FaultInjectingFileSystem::ClearFaults() {
  MutexLock l(&mu_);
  write_limit_ = false;
  sync_err_ = 0;
  create_err_ = 0;
}

uint64_t FaultInjectingFileSystem::bytes_appended() const {
  MutexLock l(&mu_);
  return appended_;
}

uint64_t FaultInjectingFileSystem::Admit(const std::string& path, uint64_t want, int* err) {
  MutexLock l(&mu_);
  uint64_t ok = want;
  const bool limited = write_limit_ && path.find(path_filter_) != std::string::npos;
  if (limited && want > write_budget_) {
    ok = write_budget_;
    *err = write_err_;
  }
  if (limited) write_budget_ -= ok;
  appended_ += ok;
  return ok;
}

Status FaultInjectingFileSystem::CheckSync(const std::string& path) {
  MutexLock l(&mu_);
  if (sync_err_ != 0 && path.find(path_filter_) != std::string::npos) {
    return ErrnoStatus("fdatasync", path, sync_err_);
  }
  return Status::OK();
}

void FaultInjectingFileSystem::Track(const std::string& path, uint64_t size, bool synced) {
  MutexLock l(&mu_);
  auto it = synced_size_.find(path);
  if (synced) {
    synced_size_[path] = size;
  } else if (it != synced_size_.end() && it->second > size) {
    it->second = size;  // a truncation below the synced size is durable enough for our model
  } else if (it == synced_size_.end()) {
    synced_size_[path] = 0;
  }
}

Result<std::unique_ptr<WritableFile>> FaultInjectingFileSystem::NewWritableFile(
    const std::string& path) {
  VIGIL_RETURN_IF_ERROR(CheckCreate(path));
  VIGIL_ASSIGN_OR_RETURN(auto f, base_->NewWritableFile(path));
  Track(path, 0, /*synced=*/true);  // the truncation to zero is what a crash would keep
  return std::unique_ptr<WritableFile>(new File(this, std::move(f)));
}

Result<std::unique_ptr<WritableFile>> FaultInjectingFileSystem::NewAppendableFile(
    const std::string& path) {
  if (!base_->Exists(path)) VIGIL_RETURN_IF_ERROR(CheckCreate(path));
  VIGIL_ASSIGN_OR_RETURN(auto f, base_->NewAppendableFile(path));
  {
    MutexLock l(&mu_);
    // Existing bytes count as durable unless this object wrote them unsynced.
    if (synced_size_.find(path) == synced_size_.end()) synced_size_[path] = f->Size();
  }
  return std::unique_ptr<WritableFile>(new File(this, std::move(f)));
}

Status FaultInjectingFileSystem::RemoveFile(const std::string& path) {
  VIGIL_RETURN_IF_ERROR(base_->RemoveFile(path));
  MutexLock l(&mu_);
  synced_size_.erase(path);
  return Status::OK();
}

Status FaultInjectingFileSystem::RemoveAll(const std::string& path) {
  VIGIL_RETURN_IF_ERROR(base_->RemoveAll(path));
  MutexLock l(&mu_);
  const std::string prefix = path + "/";
  for (auto it = synced_size_.begin(); it != synced_size_.end();) {
    if (it->first == path || it->first.compare(0, prefix.size(), prefix) == 0) {
      it = synced_size_.erase(it);
    } else {
      ++it;
    }
  }
  return Status::OK();
}

Status FaultInjectingFileSystem::Rename(const std::string& from, const std::string& to) {
  VIGIL_RETURN_IF_ERROR(base_->Rename(from, to));
  MutexLock l(&mu_);
  std::map<std::string, uint64_t> moved;
  const std::string prefix = from + "/";
  for (auto it = synced_size_.begin(); it != synced_size_.end();) {
    if (it->first == from) {
      moved[to] = it->second;
      it = synced_size_.erase(it);
    } else if (it->first.compare(0, prefix.size(), prefix) == 0) {
      moved[to + it->first.substr(from.size())] = it->second;
      it = synced_size_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [p, s] : moved) synced_size_[p] = s;
  return Status::OK();
}

Status FaultInjectingFileSystem::TruncateFile(const std::string& path, uint64_t size) {
  VIGIL_RETURN_IF_ERROR(base_->TruncateFile(path, size));
  Track(path, size, /*synced=*/false);
  return Status::OK();
}

Status FaultInjectingFileSystem::DropUnsyncedData() {
  std::map<std::string, uint64_t> sizes;
  {
    MutexLock l(&mu_);
    sizes = synced_size_;
  }
  for (const auto& [path, synced] : sizes) {
    if (!base_->Exists(path)) continue;
    VIGIL_ASSIGN_OR_RETURN(uint64_t size, base_->FileSize(path));
    if (size > synced) VIGIL_RETURN_IF_ERROR(base_->TruncateFile(path, synced));
  }
  return Status::OK();
}

}  // namespace vigil::fs
