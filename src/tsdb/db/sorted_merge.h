// SortedMerge: walks several series sets, each sorted by labels, in label order. At each
// step the children positioned at the smallest label set are "current" (one label set may
// be current in several children: the same series in several blocks or the head). Both the
// querier's MergeSeriesSet and compaction's MergeChunkSeriesSet step this way.
//
// Ownership: owns the children. Thread-safety: one thread.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

#include "model/labels.h"
#include "storage/interface.h"
#include "tsdb/chunks/chunk_series.h"

namespace vigil::tsdb {

inline const Labels& CurrentLabels(const storage::SeriesSet& s) { return s.At().labels(); }
inline const Labels& CurrentLabels(const chunks::ChunkSeriesSet& s) { return s.labels(); }

template <typename Set>
class SortedMerge {
 public:
  explicit SortedMerge(std::vector<std::unique_ptr<Set>> sets)
      : sets_(std::move(sets)), ok_(sets_.size(), false), current_(sets_.size(), false) {}

  // Advances the children that were current (all of them on the first call), then marks
  // those at the smallest label set. False once every child is exhausted (or failed: the
  // child's Err() says which).
  bool Next() {
    for (size_t i = 0; i < sets_.size(); ++i) {
      if (!started_ || current_[i]) ok_[i] = sets_[i]->Next();
    }
    started_ = true;
    const Labels* min = nullptr;
    for (size_t i = 0; i < sets_.size(); ++i) {
      current_[i] = false;
      if (!ok_[i]) continue;
      const Labels& l = CurrentLabels(*sets_[i]);
      if (min == nullptr || Labels::Compare(l, *min) < 0) {
        min = &l;
        first_ = i;
      }
    }
    if (min == nullptr) return false;
    for (size_t i = 0; i < sets_.size(); ++i) {
      current_[i] = ok_[i] && Labels::Compare(CurrentLabels(*sets_[i]), *min) == 0;
    }
    return true;
  }

  size_t size() const { return sets_.size(); }
  Set& set(size_t i) const { return *sets_[i]; }
  // After Next() returned true: whether child i is at the current label set, and the
  // lowest such i.
  bool current(size_t i) const { return current_[i]; }
  size_t first() const { return first_; }
  // The first error of a child.
  Status Err() const {
    for (const auto& s : sets_) {
      if (Status st = s->Err(); !st.ok()) return st;
    }
    return Status::OK();
  }

 private:
  std::vector<std::unique_ptr<Set>> sets_;
  std::vector<bool> ok_, current_;
  bool started_ = false;
  size_t first_ = 0;
};

}  // namespace vigil::tsdb
