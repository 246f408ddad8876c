#include "tsdb/wal/read_ahead.h"

#include <algorithm>
#include <utility>

namespace vigil::tsdb::wal {

ReadAhead::ReadAhead(std::unique_ptr<Reader> reader) : reader_(std::move(reader)) {
  thread_ = std::thread([this] { Run(); });
}

ReadAhead::~ReadAhead() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ReadAhead::Run() {
  Batch b;
  // Hands `b` to the consumer; false if the consumer is gone.
  auto push = [&]() {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return stop_ || queue_.size() < kMaxQueued; });
    if (stop_) return false;
    queue_.push_back(std::move(b));
    l.unlock();
    cv_.notify_all();
    b = Batch();
    return true;
  };
  while (reader_->Next()) {
    const std::string_view rec = reader_->Record();
    if (!b.entries.empty() && b.bytes.size() + rec.size() > kBatchBytes && !push()) return;
    if (b.bytes.empty()) b.bytes.reserve(std::max(kBatchBytes, rec.size()));
    b.entries.push_back(Batch::Entry{b.bytes.size(), rec.size(), reader_->Segment()});
    b.bytes.append(rec);
  }
  if (!b.entries.empty() && !push()) return;
  {
    std::lock_guard<std::mutex> l(mu_);
    done_ = true;
  }
  cv_.notify_all();
}

bool ReadAhead::Next() {
  if (finished_) return false;
  while (next_entry_ >= current_.entries.size()) {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return !queue_.empty() || done_; });
    if (queue_.empty()) {  // done_: every batch was taken
      l.unlock();
      thread_.join();  // Err() and corruption() are final now
      finished_ = true;
      record_ = {};
      return false;
    }
    current_ = std::move(queue_.front());
    queue_.pop_front();
    l.unlock();
    cv_.notify_all();
    next_entry_ = 0;
  }
  const Batch::Entry& e = current_.entries[next_entry_++];
  record_ = std::string_view(current_.bytes).substr(e.offset, e.size);
  segment_ = e.segment;
  return true;
}

}  // namespace vigil::tsdb::wal
