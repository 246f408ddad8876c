// Block chunk segment files (<block>/chunks/000001, ...), as Prometheus' tsdb/chunks
// writes and reads them (docs/format/chunks.md):
//
//   header: BE32 0x85BD40DD · 1 B version 1 · 3 zero bytes
//   record: uvarint len(data) · 1 B encoding · data · BE32 CRC32C(encoding · data)
//
// ChunkSegmentWriter is used by the block writer (one thread); chunks are appended in the
// order the index will reference them, and a new file is cut when the next chunk would
// push the current one past segment_size. ChunkSegmentReader maps every file read-only;
// it is immutable after Open and thread-safe; the views it returns live as long as it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "fs/file_system.h"
#include "tsdb/chunks/format.h"

namespace vigil::tsdb::chunks {

struct ChunkSegmentWriterOptions {
  uint64_t segment_size = kDefaultChunkSegmentSize;
  fs::FileSystem* fs = nullptr;  // nullptr: fs::DefaultFileSystem()
};

class ChunkSegmentWriter {
 public:
  // Creates `dir` (which must not hold chunk files yet). AlreadyExists if it does.
  static Result<std::unique_ptr<ChunkSegmentWriter>> Create(
      const std::string& dir, const ChunkSegmentWriterOptions& opts = {});
  ~ChunkSegmentWriter();  // Close(), errors ignored

  // Appends one chunk and returns its reference. InvalidArgument for chunks over 4 GiB.
  Result<BlockChunkRef> Write(chunkenc::Encoding encoding, std::string_view data);
  // Writes out buffered bytes, fsyncs every file and the directory. Idempotent.
  Status Close();

  uint64_t bytes_written() const { return total_bytes_; }
  int num_segments() const { return seq_; }

 private:
  ChunkSegmentWriter(std::string dir, const ChunkSegmentWriterOptions& opts);
  Status Cut();
  Status FlushBuffer();

  const std::string dir_;
  const ChunkSegmentWriterOptions opts_;
  fs::FileSystem* const fs_;
  std::unique_ptr<fs::WritableFile> file_;
  int seq_ = 0;             // files created so far; the current file is seq_ (1-based name)
  uint64_t file_size_ = 0;  // bytes of the current file, buffered ones included
  uint64_t total_bytes_ = 0;
  bool file_has_chunks_ = false;
  std::string buf_;  // write buffer
  bool closed_ = false;
};

class ChunkSegmentReader {
 public:
  // Maps every chunk file of `dir`. Corruption on a bad header or a gap in the names.
  static Result<std::unique_ptr<ChunkSegmentReader>> Open(const std::string& dir,
                                                          fs::FileSystem* fs = nullptr);

  // The chunk at `ref`, its CRC verified. NotFound for a ref outside the files;
  // Corruption if the record is cut short or its checksum does not match.
  Result<ChunkView> Chunk(BlockChunkRef ref) const;

  size_t num_segments() const { return files_.size(); }
  uint64_t size_bytes() const;

 private:
  std::vector<std::unique_ptr<fs::MappedFile>> files_;
  std::vector<std::string> names_;
  std::string dir_;
};

}  // namespace vigil::tsdb::chunks
