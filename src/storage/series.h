// Simple in-memory implementations of the storage interfaces' building blocks:
// a series backed by a vector of samples, a set backed by a vector of series, and the
// empty and error sets. Used by tests, by merges, and by queriers that decode eagerly.
#pragma once

#include <memory>
#include <vector>

#include "storage/interface.h"

namespace vigil::storage {

class ListSampleIterator final : public SampleIterator {
 public:
  // `samples` must outlive the iterator and be sorted by t.
  explicit ListSampleIterator(const std::vector<Sample>* samples) : s_(samples) {}
  bool Next() override { return ++i_ < s_->size(); }
  bool Seek(int64_t t) override;
  int64_t AtT() const override { return (*s_)[i_].t; }
  double AtV() const override { return (*s_)[i_].v; }
  size_t NextBatch(int64_t* ts, double* vs, size_t max) override;

 private:
  const std::vector<Sample>* s_;
  size_t i_ = size_t(-1);
};

class ListSeries final : public Series {
 public:
  ListSeries(Labels labels, std::vector<Sample> samples)
      : labels_(std::move(labels)), samples_(std::move(samples)) {}
  const Labels& labels() const override { return labels_; }
  std::unique_ptr<SampleIterator> Iterator() const override {
    return std::make_unique<ListSampleIterator>(&samples_);
  }
  const std::vector<Sample>& samples() const { return samples_; }

 private:
  Labels labels_;
  std::vector<Sample> samples_;
};

class ListSeriesSet final : public SeriesSet {
 public:
  explicit ListSeriesSet(std::vector<std::unique_ptr<Series>> series,
                         std::vector<std::string> warnings = {})
      : series_(std::move(series)), warnings_(std::move(warnings)) {}
  bool Next() override { return ++i_ < series_.size(); }
  const Series& At() const override { return *series_[i_]; }
  std::vector<std::string> Warnings() const override { return warnings_; }

 private:
  std::vector<std::unique_ptr<Series>> series_;
  std::vector<std::string> warnings_;
  size_t i_ = size_t(-1);
};

class ErrorSeriesSet final : public SeriesSet {
 public:
  explicit ErrorSeriesSet(Status s) : s_(std::move(s)) {}
  bool Next() override { return false; }
  const Series& At() const override;
  Status Err() const override { return s_; }

 private:
  Status s_;
};

std::unique_ptr<SeriesSet> EmptySeriesSet();

}  // namespace vigil::storage
