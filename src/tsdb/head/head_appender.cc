// HeadAppender: one transaction of appends into the Head (see head.h for the locking).
#include <fmt/format.h>

#include <bit>

#include "base/logging.h"
#include "tsdb/head/head.h"
#include "tsdb/head/head_wal.h"

namespace vigil::tsdb {

class HeadAppender final : public storage::Appender {
 public:
  explicit HeadAppender(Head* head) : head_(head), min_valid_t_(head->MinValidTime()) {}
  ~HeadAppender() override {
    if (!done_) Rollback().IgnoreError();
  }

  Result<storage::SeriesRef> Append(storage::SeriesRef ref, const Labels& labels, int64_t t,
                                    double v) override {
    if (done_) return Status::Internal("append after commit or rollback");
    uint32_t id = 0;
    if (ref != 0 && ref < UINT32_MAX && head_->Live(uint32_t(ref))) {
      id = uint32_t(ref);
    } else {
      bool created = false;
      VIGIL_ASSIGN_OR_RETURN(id, head_->GetOrCreate(labels, &label_base_, &created));
    }
    if (t < min_valid_t_) {
      head_->c_.out_of_bounds.fetch_add(1, std::memory_order_relaxed);
      return Status::OutOfBounds("out of bounds");
    }
    bool dup = false;
    bool logged;
    {
      MutexLock l(&head_->StripeOf(id));
      const Head::SeriesState& s = head_->State(id);
      Status st = head_->CheckAppendable(s, t, v, &dup);
      if (!st.ok()) {
        (st.code() == StatusCode::kOutOfOrder ? head_->c_.out_of_order : head_->c_.duplicate)
            .fetch_add(1, std::memory_order_relaxed);
        return st;
      }
      logged = (s.next_at & Head::kFlagWalLogged) != 0;
    }
    // A series whose Series record is not in the WAL yet (new, or created by a concurrent
    // transaction that has not committed) is logged by this transaction too, so the WAL
    // never holds samples of an unknown series. Duplicate Series records are harmless.
    if (!logged && (series_.empty() || series_.back() != id)) series_.push_back(id);
    if (dup) return storage::SeriesRef(id);  // same t, same value: silently dropped
    samples_.push_back(Pending{id, t, v});
    return storage::SeriesRef(id);
  }

  Status Commit() override {
    if (done_) return Status::Internal("commit after commit or rollback");
    done_ = true;
    if (samples_.empty() && series_.empty()) return Status::OK();
    if (head_->wal_ != nullptr) {
      std::vector<std::string> records;
      EncodeRecords(&records);
      VIGIL_RETURN_IF_ERROR(head_->WriteWal(&records));
    }
    for (uint32_t id : series_) {
      MutexLock l(&head_->StripeOf(id));
      head_->State(id).next_at |= Head::kFlagWalLogged;
    }
    int64_t mint = INT64_MAX, maxt = INT64_MIN;
    uint64_t appended = 0, ooo = 0, dups = 0;
    for (const Pending& p : samples_) {
      MutexLock l(&head_->StripeOf(p.id));
      Head::SeriesState& s = head_->State(p.id);
      bool dup = false;
      Status st = head_->CheckAppendable(s, p.t, p.v, &dup);
      if (!st.ok()) {
        // A later sample of the same series in this transaction, or a concurrent one,
        // got there first. Counted, not reported (as Prometheus does on commit).
        (st.code() == StatusCode::kOutOfOrder ? ooo : dups)++;
        continue;
      }
      if (dup) continue;
      head_->AppendLocked(p.id, s, p.t, p.v);
      ++appended;
      mint = std::min(mint, p.t);
      maxt = std::max(maxt, p.t);
    }
    if (appended > 0) head_->UpdateMinMax(mint, maxt);
    head_->c_.samples_appended.fetch_add(appended, std::memory_order_relaxed);
    if (ooo) head_->c_.out_of_order.fetch_add(ooo, std::memory_order_relaxed);
    if (dups) head_->c_.duplicate.fetch_add(dups, std::memory_order_relaxed);
    samples_.clear();
    series_.clear();
    return Status::OK();
  }

  Status Rollback() override {
    done_ = true;
    samples_.clear();
    series_.clear();
    return Status::OK();
  }

 private:
  struct Pending {
    uint32_t id;
    int64_t t;
    double v;
  };

  void EncodeRecords(std::vector<std::string>* records) {
    if (!series_.empty()) {
      std::vector<WalSeries> series;
      series.reserve(series_.size());
      {
        ReaderLock l(&head_->index_mu_);
        for (uint32_t id : series_) series.push_back(WalSeries{id, head_->LabelsOf(id)});
      }
      records->push_back(EncodeSeriesRecord(series));
    }
    if (!samples_.empty()) {
      std::vector<WalSample> samples;
      samples.reserve(samples_.size());
      for (const Pending& p : samples_) samples.push_back(WalSample{p.id, p.t, p.v});
      records->push_back(EncodeSamplesRecord(samples));
    }
  }

  Head* head_;
  int64_t min_valid_t_;
  uint32_t label_base_ = LabelStore::kNoBase;
  bool done_ = false;
  std::vector<Pending> samples_;
  std::vector<uint32_t> series_;  // ids whose Series record this transaction writes
};

std::unique_ptr<storage::Appender> Head::NewAppender() {
  return std::make_unique<HeadAppender>(this);
}

Status Head::WriteWal(std::vector<std::string>* records) {
  std::unique_lock<std::mutex> lock(wal_mu_);
  if (!wal_error_.ok()) return wal_error_;
  for (auto& r : *records) wal_pending_.push_back(std::move(r));
  uint64_t my = ++wal_enqueued_;
  // Followers wait until a leader has written their records.
  wal_cv_.wait(lock, [&] { return !wal_writing_ || wal_done_ >= my; });
  if (wal_done_ >= my) return wal_error_;
  // Leader: write everything queued so far, outside the lock; repeat while more arrive.
  wal_writing_ = true;
  while (wal_done_ < wal_enqueued_) {
    std::vector<std::string> batch;
    batch.swap(wal_pending_);
    uint64_t upto = wal_enqueued_;
    lock.unlock();
    size_t bytes = 0;
    for (const auto& r : batch) bytes += r.size();
    Status st = wal_->Log(batch);
    if (st.ok() && opts_.wal_sync_on_commit) {
      st = wal_->Sync();
      if (st.ok()) c_.wal_fsyncs.fetch_add(1, std::memory_order_relaxed);
    }
    c_.wal_bytes.fetch_add(bytes, std::memory_order_relaxed);
    c_.wal_commits.fetch_add(1, std::memory_order_relaxed);
    lock.lock();
    if (!st.ok()) {
      VIGIL_LOG_ERROR("tsdb", "WAL write failed", "err={}", LogQuote(st.ToString()));
      wal_error_ = st;
    }
    wal_done_ = upto;
    wal_cv_.notify_all();
  }
  wal_writing_ = false;
  return wal_error_;
}

}  // namespace vigil::tsdb
