// HeadAppender: one transaction of appends into the Head (see head.h for the locking), and
// the group-committed WAL write behind Commit().
#include <fmt/format.h>

#include <bit>

#include "base/logging.h"
#include "tsdb/head/head.h"
#include "tsdb/head/head_wal.h"

namespace vigil::tsdb {

class HeadAppender final : public storage::Appender {
 public:
  explicit HeadAppender(Head* head) : head_(head), min_valid_t_(head->MinValidTime()) {
    head_->AppenderStarted(&epoch_);
  }
  ~HeadAppender() override {
    if (!done_) Rollback().IgnoreError();
    head_->AppenderDone(epoch_);
  }

  Result<storage::SeriesRef> Append(storage::SeriesRef ref, const Labels& labels, int64_t t,
                                    double v) override {
    if (done_) return Status::Internal("append after commit or rollback");
    if (t < min_valid_t_) {
      head_->c_.out_of_bounds.fetch_add(1, std::memory_order_relaxed);
      return Status::OutOfBounds("out of bounds");
    }
    uint32_t id = 0, handle = 0;
    if (ref != 0 && uint32_t(ref) <= Head::kMaxSeriesId && head_->Live(uint32_t(ref))) {
      id = uint32_t(ref);
      handle = uint32_t(ref >> 32);
    }
    bool dup = false;
    bool logged = false;
    // A stale ref (the series was removed, or its id now names another series) and a
    // series removed between lookup and lock both fall back to the labels.
    for (int attempt = 0;; ++attempt) {
      if (id == 0) {
        if (attempt >= 3) return Status::Unavailable("series removed concurrently; retry");
        bool created = false;
        VIGIL_ASSIGN_OR_RETURN(id, head_->GetOrCreate(labels, &label_base_, &created, &handle));
      }
      MutexLock l(&head_->StripeOf(id));
      Head::SeriesState& s = head_->State(id);
      if (s.labels != handle || handle == 0) {
        id = 0;
        continue;
      }
      Status st = head_->CheckAppendable(s, t, v, &dup);
      if (!st.ok()) {
        (st.code() == StatusCode::kOutOfOrder ? head_->c_.out_of_order : head_->c_.duplicate)
            .fetch_add(1, std::memory_order_relaxed);
        return st;
      }
      // Keeps Truncate() from removing the series while this transaction holds samples.
      s.next_at |= Head::kFlagPending;
      logged = (s.next_at & Head::kFlagWalLogged) != 0;
      break;
    }
    // A series whose Series record is not in the WAL yet (new, or created by a concurrent
    // transaction that has not committed) is logged by this transaction too, so the WAL
    // never holds samples of an unknown series. Duplicate Series records are harmless.
    if (!logged && (series_.empty() || series_.back().id != id)) series_.push_back({id, handle});
    if (!dup) samples_.push_back(Pending{id, handle, t, v});  // same t and value: dropped
    return Head::MakeRef(id, handle);
  }

  Status Commit() override {
    if (done_) return Status::Internal("commit after commit or rollback");
    done_ = true;
    if (samples_.empty() && series_.empty()) return Status::OK();
    if (head_->persistent_) {
      std::vector<std::string> records;
      int64_t max_t = EncodeRecords(&records);
      Status st = head_->WriteWal(&records, max_t);
      if (!st.ok()) {
        ClearPending();
        return st.WithPrefix("commit failed, samples not appended: WAL write");
      }
    }
    for (const Ids& x : series_) {
      MutexLock l(&head_->StripeOf(x.id));
      Head::SeriesState& s = head_->State(x.id);
      if (s.labels == x.handle) s.next_at |= Head::kFlagWalLogged;
    }
    // The pending flag keeps Truncate() from removing a series until this transaction's
    // samples are in: it is cleared as soon as a sample is appended (the open chunk then
    // keeps the series), and at the end for series that got none.
    int64_t mint = INT64_MAX, maxt = INT64_MIN;
    uint64_t appended = 0, ooo = 0, dups = 0, removed = 0;
    bool unflagged = false;
    for (const Pending& p : samples_) {
      MutexLock l(&head_->StripeOf(p.id));
      Head::SeriesState& s = head_->State(p.id);
      if (s.labels != p.handle) {
        ++removed;  // removed by Truncate() despite the pending flag (another commit cleared it)
        continue;
      }
      bool dup = false;
      Status st = head_->CheckAppendable(s, p.t, p.v, &dup);
      if (!st.ok() || dup) {
        // A later sample of the same series in this transaction, or a concurrent one,
        // got there first. Counted, not reported (as Prometheus does on commit).
        if (!st.ok()) (st.code() == StatusCode::kOutOfOrder ? ooo : dups)++;
        unflagged = true;
        continue;
      }
      head_->AppendLocked(p.id, s, p.t, p.v);
      s.next_at &= ~Head::kFlagPending;
      ++appended;
      mint = std::min(mint, p.t);
      maxt = std::max(maxt, p.t);
    }
    if (unflagged || !series_.empty()) ClearPending(/*samples=*/unflagged);
    if (appended > 0) head_->UpdateMinMax(mint, maxt);
    head_->c_.samples_appended.fetch_add(appended, std::memory_order_relaxed);
    if (ooo) head_->c_.out_of_order.fetch_add(ooo, std::memory_order_relaxed);
    if (dups) head_->c_.duplicate.fetch_add(dups, std::memory_order_relaxed);
    if (removed) head_->c_.dropped_removed.fetch_add(removed, std::memory_order_relaxed);
    samples_.clear();
    series_.clear();
    return Status::OK();
  }

  Status Rollback() override {
    done_ = true;
    ClearPending();
    samples_.clear();
    series_.clear();
    return Status::OK();
  }

 private:
  struct Pending {
    uint32_t id;
    uint32_t handle;  // label-set handle when appended: detects a removed series
    int64_t t;
    double v;
  };
  struct Ids {
    uint32_t id;
    uint32_t handle;
  };

  void ClearPending(bool samples = true) {
    auto clear = [&](uint32_t id, uint32_t handle) {
      MutexLock l(&head_->StripeOf(id));
      Head::SeriesState& s = head_->State(id);
      if (s.labels == handle) s.next_at &= ~Head::kFlagPending;
    };
    uint32_t last = 0;
    for (const Pending& p : samples_) {
      if (!samples) break;
      if (p.id != last) clear(p.id, p.handle);
      last = p.id;
    }
    for (const Ids& x : series_) clear(x.id, x.handle);
  }

  // Series record (new series) then Samples record; returns the newest sample time.
  int64_t EncodeRecords(std::vector<std::string>* records) {
    if (!series_.empty()) {
      std::string rec(1, char(1));  // Series
      {
        ReaderLock l(&head_->index_mu_);
        for (const Ids& x : series_) {
          if (head_->LabelsHandle(x.id) != x.handle) continue;
          Labels lset = head_->LabelsOf(x.id);
          char buf[10];
          rec.append(buf, walenc::PutBE64(buf, x.id));
          rec.append(buf, walenc::PutUvarint(buf, lset.size()));
          rec.append(lset.data());  // Labels' flat buffer is the WAL's pair encoding
        }
      }
      if (rec.size() > 1) records->push_back(std::move(rec));
    }
    int64_t max_t = INT64_MIN;
    if (!samples_.empty()) {
      std::string rec;
      EncodeSamplesRecordTo(&rec, samples_.size(),
                            [&](size_t i, uint64_t* ref, int64_t* t, double* v) {
                              const Pending& p = samples_[i];
                              *ref = p.id;
                              *t = p.t;
                              *v = p.v;
                              max_t = std::max(max_t, p.t);
                            });
      records->push_back(std::move(rec));
    }
    return max_t;
  }

  Head* head_;
  int64_t min_valid_t_;
  uint64_t epoch_ = 0;
  uint32_t label_base_ = LabelStore::kNoBase;
  bool done_ = false;
  std::vector<Pending> samples_;
  std::vector<Ids> series_;  // series whose Series record this transaction writes
};

std::unique_ptr<storage::Appender> Head::NewAppender() {
  return std::make_unique<HeadAppender>(this);
}

void Head::AppenderStarted(uint64_t* epoch) {
  MutexLock l(&appenders_mu_);
  *epoch = gc_epoch_.load(std::memory_order_relaxed);
  ++live_appenders_[*epoch];
}

void Head::AppenderDone(uint64_t epoch) {
  MutexLock l(&appenders_mu_);
  auto it = live_appenders_.find(epoch);
  if (it != live_appenders_.end() && --it->second == 0) live_appenders_.erase(it);
}

uint64_t Head::MinLiveAppenderEpoch() {
  MutexLock l(&appenders_mu_);
  return live_appenders_.empty() ? UINT64_MAX : live_appenders_.begin()->first;
}

Status Head::ReopenWal() {
  const bool replacing = wal_ != nullptr || wal_reopen_count_ > 0;
  if (wal_ != nullptr) {
    wal_->Close().IgnoreError();
    wal_.reset();
  }
  ++wal_reopen_count_;
  HeadWalOptions wo;
  wo.fs = fs_;
  wo.segment_bytes = opts_.wal_segment_bytes;
  wo.compression = opts_.wal_compression;
  Result<std::unique_ptr<HeadWal>> w = OpenHeadWal(wal_dir_, wo);
  if (!w.has_value()) return w.error().WithPrefix("reopening the WAL");
  wal_ = std::move(w).value();
  if (replacing) {
    VIGIL_LOG_WARN("tsdb", "WAL writer reopened after a failure", "segment={}", wal_->Segment());
  }
  return Status::OK();
}

Status Head::WriteWal(std::vector<std::string>* records, int64_t max_t) {
  std::unique_lock<std::mutex> lock(wal_mu_);
  if (wal_closed_) return Status::Internal("head is closed");
  Status result;
  for (auto& r : *records) wal_pending_.push_back(std::move(r));
  wal_pending_results_.push_back(&result);
  wal_pending_maxt_ = std::max(wal_pending_maxt_, max_t);
  uint64_t my = ++wal_enqueued_;
  // Followers wait until a leader has written their records (and stored their result).
  wal_cv_.wait(lock, [&] { return !wal_writing_ || wal_done_ >= my; });
  if (wal_done_ >= my) return result;
  // Leader: write everything queued so far, outside the lock; repeat while more arrive.
  wal_writing_ = true;
  std::vector<std::string> batch;
  std::vector<Status*> results;
  std::vector<std::string_view> views;
  while (wal_done_ < wal_enqueued_) {
    batch.clear();
    results.clear();
    batch.swap(wal_pending_);
    results.swap(wal_pending_results_);
    const int64_t batch_maxt = wal_pending_maxt_;
    wal_pending_maxt_ = INT64_MIN;
    const uint64_t upto = wal_enqueued_;
    const bool reopen = wal_reopen_ || wal_ == nullptr;
    lock.unlock();
    Status st;
    if (reopen) st = ReopenWal();
    int seg0 = -1, seg1 = -1;
    bool broken = false;
    size_t bytes = 0;
    if (st.ok()) {
      views.clear();
      for (const auto& r : batch) {
        views.emplace_back(r);
        bytes += r.size();
      }
      seg0 = wal_->Segment();
      st = wal_->Log(views);
      if (st.ok() && opts_.wal_sync_on_commit) {
        st = wal_->Sync();
        if (st.ok()) c_.wal_fsyncs.fetch_add(1, std::memory_order_relaxed);
      }
      seg1 = wal_->Segment();
      broken = !st.ok() && wal_->Broken();
      wal_buffer_bytes_.store(wal_->BufferBytes(), std::memory_order_relaxed);
    }
    if (st.ok()) c_.wal_bytes.fetch_add(bytes, std::memory_order_relaxed);
    c_.wal_commits.fetch_add(1, std::memory_order_relaxed);
    lock.lock();
    if (reopen && wal_ != nullptr) wal_reopen_ = false;
    if (!st.ok()) {
      VIGIL_LOG_ERROR("tsdb", "WAL write failed; the commits of this batch fail", "err={}",
                      LogQuote(st.ToString()));
      c_.wal_write_errors.fetch_add(1, std::memory_order_relaxed);
      if (broken) wal_reopen_ = true;
    }
    // Records may have reached [seg0, seg1] even if the write failed half-way.
    for (int seg = seg0; seg >= 0 && seg <= seg1; ++seg) {
      auto [it, inserted] = seg_maxt_.emplace(seg, batch_maxt);
      if (!inserted) it->second = std::max(it->second, batch_maxt);
    }
    for (Status* r : results) *r = st;
    wal_done_ = upto;
    wal_cv_.notify_all();
  }
  wal_writing_ = false;
  wal_cv_.notify_all();
  return result;
}

Status Head::WithWalExclusive(const std::function<Status(HeadWal*)>& fn) {
  std::unique_lock<std::mutex> lock(wal_mu_);
  wal_cv_.wait(lock, [&] { return !wal_writing_; });
  if (wal_closed_) return Status::Internal("head is closed");
  wal_writing_ = true;
  const bool reopen = wal_reopen_ || wal_ == nullptr;
  lock.unlock();
  Status st;
  if (reopen) st = ReopenWal();
  if (st.ok()) st = fn(wal_.get());
  lock.lock();
  if (reopen && wal_ != nullptr) wal_reopen_ = false;
  if (!st.ok() && wal_ != nullptr && wal_->Broken()) wal_reopen_ = true;
  wal_writing_ = false;
  // Commits that queued meanwhile wait for a leader: wake them so one takes over.
  wal_cv_.notify_all();
  return st;
}

}  // namespace vigil::tsdb
