// A small file-system abstraction for everything Vigil writes to disk (WAL, head chunks,
// blocks), so that tests can inject faults: short writes, ENOSPC/EIO, failing fsync, and
// crashes that lose whatever was not synced (see fault_injecting_file_system.h).
//
// Ownership: every New*/Map* call returns a uniquely owned handle; handles close their
// descriptor when destroyed. Thread-safety: a FileSystem is thread-safe; a single file
// handle is used by one thread at a time (a const RandomAccessFile or MappedFile may be read
// by many). Errors are Status::IOError("<op> <path>: <strerror>") unless stated otherwise;
// a missing file is NotFound.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/status.h"

namespace vigil::fs {

// A file opened for appending.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // Appends all of `data`. On error a prefix of it may have reached the file; Size() then
  // tells how much, and Truncate() can cut it off again.
  virtual Status Append(std::string_view data) = 0;
  // Makes the appended data durable (fdatasync).
  virtual Status Sync() = 0;
  // Cuts the file to `size` bytes; later appends continue there.
  virtual Status Truncate(uint64_t size) = 0;
  // Closes the descriptor; later calls fail. Calling Close twice is OK.
  virtual Status Close() = 0;
  // Bytes in the file as seen through this handle.
  virtual uint64_t Size() const = 0;
  virtual const std::string& path() const = 0;
};

// A file read front to back.
class SequentialFile {
 public:
  virtual ~SequentialFile() = default;
  // Reads up to n bytes into buf; returns the count, 0 at end of file.
  virtual Result<size_t> Read(char* buf, size_t n) = 0;
};

// A file read at arbitrary offsets. ReadAt is const and thread-safe.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to n bytes at `offset`; fewer only at end of file.
  virtual Result<size_t> ReadAt(uint64_t offset, char* buf, size_t n) const = 0;
  virtual Result<uint64_t> Size() const = 0;
};

// A read-only memory mapping of a file. The bytes stay valid while this object lives.
class MappedFile {
 public:
  virtual ~MappedFile() = default;
  virtual const char* data() const = 0;
  // Size of the mapping (may exceed the file's size when asked for; touching bytes past
  // the end of the file is not allowed).
  virtual size_t size() const = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // Creates `path` or truncates it to zero length.
  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) = 0;
  // Opens `path` for appending at its end, creating it if missing.
  virtual Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) = 0;
  virtual Result<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& path) = 0;
  virtual Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) = 0;
  // Maps `path` read-only. map_size 0 maps the whole file; a larger map_size reserves room
  // for data appended later (readers must stay below the file's current size).
  virtual Result<std::unique_ptr<MappedFile>> MapFile(const std::string& path,
                                                      size_t map_size = 0) = 0;

  // Names of the entries of `dir` (no "." / ".."), unsorted.
  virtual Result<std::vector<std::string>> ListDir(const std::string& dir) = 0;
  virtual Result<uint64_t> FileSize(const std::string& path) = 0;
  virtual bool Exists(const std::string& path) = 0;
  virtual bool IsDirectory(const std::string& path) = 0;
  // mkdir -p.
  virtual Status CreateDirs(const std::string& path) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;
  // rm -rf; OK if missing.
  virtual Status RemoveAll(const std::string& path) = 0;
  // Atomic rename (files or directories); replaces an existing file at `to`.
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  virtual Status TruncateFile(const std::string& path, uint64_t size) = 0;
  // fsyncs a directory so that created, renamed and removed entries are durable.
  virtual Status SyncDir(const std::string& dir) = 0;
};

// The process-wide POSIX file system (never null, never freed).
FileSystem* DefaultFileSystem();

// A SequentialFile over bytes in memory (tests, fuzzers).
std::unique_ptr<SequentialFile> NewStringSequentialFile(std::string data);

// Reads a whole file.
Result<std::string> ReadFileToString(FileSystem* fs, const std::string& path);
// Writes `data` to path.tmp, fsyncs it, renames it over `path` and fsyncs the directory.
Status WriteFileAtomic(FileSystem* fs, const std::string& path, std::string_view data);

// "dir/name" without doubling separators.
std::string JoinPath(std::string_view dir, std::string_view name);
// The parent directory of `path` ("." if none).
std::string DirName(std::string_view path);

// IOError("<op> <path>: <strerror(err)>"); NotFound for ENOENT.
Status ErrnoStatus(std::string_view op, std::string_view path, int err);

}  // namespace vigil::fs
