// ReadAhead: a wal::Reader run on a thread of its own, so that reading pages, checking
// CRCs and decompressing (about a seventh of WAL replay) overlaps with applying the
// records. Records come out in the same order and with the same end state as the Reader's
// (Err(), corruption()); each is copied once into a batch.
//
// Memory is bounded: batches of about kBatchBytes (one bigger record is a batch of its
// own), at most kMaxQueued of them waiting.
//
// Thread-compatible like Reader: one consumer thread calls Next()/Record(); the reading
// thread is internal and joined by the end of Next() returning false, or by the destructor.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tsdb/wal/reader.h"

namespace vigil::tsdb::wal {

class ReadAhead {
 public:
  static constexpr size_t kBatchBytes = 1 << 20;
  static constexpr size_t kMaxQueued = 4;

  // Starts reading `reader` at once.
  explicit ReadAhead(std::unique_ptr<Reader> reader);
  // Stops the reading thread (if still running) and joins it.
  ~ReadAhead();
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;

  // Advances to the next record; false at the end or on error (then Err()/corruption()).
  bool Next();
  // The current record; valid until the next Next().
  std::string_view Record() const { return record_; }
  // Segment index of the current record (Reader::Segment()).
  int Segment() const { return segment_; }
  // Valid once Next() returned false.
  Status Err() const { return reader_->Err(); }
  const CorruptionInfo* corruption() const { return reader_->corruption(); }

 private:
  struct Batch {
    std::string bytes;
    struct Entry {
      size_t offset, size;
      int segment;
    };
    std::vector<Entry> entries;
  };

  void Run();  // the reading thread

  std::unique_ptr<Reader> reader_;
  std::mutex mu_;
  std::condition_variable cv_;  // both directions: a batch queued / a slot freed or stop
  std::deque<Batch> queue_;     // guarded by mu_
  bool done_ = false;           // guarded by mu_: the reader hit its end, no more batches
  bool stop_ = false;           // guarded by mu_: the consumer is gone
  std::thread thread_;

  Batch current_;  // consumer side
  size_t next_entry_ = 0;
  std::string_view record_;
  int segment_ = -1;
  bool finished_ = false;
};

}  // namespace vigil::tsdb::wal
