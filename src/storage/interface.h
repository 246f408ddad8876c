// The storage seam: the only view of samples that promql, scrape, rules, remote and the
// API have. tsdb implements it for the local head + blocks; query/ implements it over
// remote-read endpoints; store/ over bucket blocks. (Like Prometheus' storage/interface.go.)
//
// Thread-safety: Appendable and Queryable are thread-safe. A single Appender, Querier,
// SeriesSet or SampleIterator is used by one thread at a time.
//
// Timestamps are int64 milliseconds; mint/maxt are inclusive.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/context.h"
#include "base/result.h"
#include "model/labels.h"
#include "model/matcher.h"
#include "model/value.h"

namespace vigil::storage {

// A storage-specific handle for a series that lets appends skip the label lookup.
// 0 means "unknown". A ref stays valid while the series lives in the head; a stale ref
// is detected and the labels are used instead.
using SeriesRef = uint64_t;

// Appender collects samples of one transaction (typically one scrape or one remote-write
// request). Samples become visible to queries and durable (WAL) only on Commit().
class Appender {
 public:
  virtual ~Appender() = default;

  // Appends a float sample. If `ref` is non-zero and names a live series, `labels` may be
  // empty and is not read. Returns the series' ref for later appends.
  // Errors (the sample is skipped; the transaction stays usable):
  //   OutOfOrder      "out of order sample": t is older than the series' newest sample
  //   AlreadyExists   "duplicate sample for timestamp": same t, different value
  //   OutOfBounds     "out of bounds": t is before the head's appendable window
  //   ResourceExhausted  a series limit refused a new series
  //   InvalidArgument labels are empty, unsorted, or repeat a name
  virtual Result<SeriesRef> Append(SeriesRef ref, const Labels& labels, int64_t t, double v) = 0;

  // Makes all appended samples durable and visible. After Commit or Rollback the
  // Appender must not be used again.
  virtual Status Commit() = 0;
  // Discards the appended samples (series created by this Appender may remain, empty).
  virtual Status Rollback() = 0;
};

class Appendable {
 public:
  virtual ~Appendable() = default;
  virtual std::unique_ptr<Appender> NewAppender() = 0;
};

// Iterates over the float samples of one series in ascending time order.
class SampleIterator {
 public:
  virtual ~SampleIterator() = default;
  // Advances to the next sample; false at the end or on error (see Err()).
  virtual bool Next() = 0;
  // Advances to the first sample with timestamp >= t. If the current sample already
  // satisfies it, stays. Returns false if there is no such sample.
  virtual bool Seek(int64_t t) = 0;
  // The current sample; valid after Next()/Seek() returned true.
  virtual int64_t AtT() const = 0;
  virtual double AtV() const = 0;
  virtual Status Err() const { return Status::OK(); }

  // Batch form of Next(): advances up to `max` times and stores each sample in ts[i], vs[i].
  // Returns the number stored; fewer than `max` means the iterator is exhausted (or failed, see
  // Err()). Afterwards the iterator stands where `n` calls of Next() would have left it.
  // Implementations override it to decode without a virtual call per sample (the PromQL engine
  // reads series into column buffers with it).
  virtual size_t NextBatch(int64_t* ts, double* vs, size_t max) {
    size_t n = 0;
    while (n < max && Next()) {
      ts[n] = AtT();
      vs[n] = AtV();
      ++n;
    }
    return n;
  }
};

class Series {
 public:
  virtual ~Series() = default;
  virtual const Labels& labels() const = 0;
  // A fresh iterator over this series' samples. The Series must outlive it.
  virtual std::unique_ptr<SampleIterator> Iterator() const = 0;
};

// A set of series, sorted by labels (Labels::Compare) when Select was asked to sort.
class SeriesSet {
 public:
  virtual ~SeriesSet() = default;
  virtual bool Next() = 0;
  // The current series; valid until the next call to Next().
  virtual const Series& At() const = 0;
  virtual Status Err() const { return Status::OK(); }
  // Non-fatal problems (e.g. a partial response); shown as API warnings.
  virtual std::vector<std::string> Warnings() const { return {}; }
};

// What the caller will do with the selected data; storage may use it to read less.
struct SelectHints {
  int64_t start = 0;  // ms, inclusive: first sample the query may read
  int64_t end = 0;    // ms, inclusive
  int64_t step = 0;   // ms, 0 for instant queries
  std::string func;   // surrounding function, e.g. "rate"; "series" for metadata only
  int64_t range = 0;  // ms of the range selector, 0 for instant selectors
  bool by = false;    // aggregation grouping: by (true) or without (false)
  std::vector<std::string> grouping;
};

class Querier {
 public:
  virtual ~Querier() = default;

  // Series matching all matchers (at least one matcher must not match the empty string),
  // restricted to [hints->start, hints->end] when hints are given, else to the querier's
  // [mint, maxt]. Errors are reported through SeriesSet::Err().
  virtual std::unique_ptr<SeriesSet> Select(const Context& ctx, bool sorted,
                                            const SelectHints* hints,
                                            const std::vector<Matcher>& matchers) = 0;

  // Sorted, unique values of label `name` among series matching `matchers` (all series if
  // empty). limit 0 = no limit.
  virtual Result<std::vector<std::string>> LabelValues(const Context& ctx, std::string_view name,
                                                       const std::vector<Matcher>& matchers,
                                                       size_t limit) = 0;
  // Sorted, unique label names among series matching `matchers`.
  virtual Result<std::vector<std::string>> LabelNames(const Context& ctx,
                                                      const std::vector<Matcher>& matchers,
                                                      size_t limit) = 0;
};

class Queryable {
 public:
  virtual ~Queryable() = default;
  // A querier over samples in [mint, maxt]. The querier keeps what it reads alive.
  virtual Result<std::unique_ptr<Querier>> NewQuerier(int64_t mint, int64_t maxt) = 0;
};

// Full storage: what the server hands to scrape (Appendable) and to promql/api (Queryable).
class Storage : public Appendable, public Queryable {};

}  // namespace vigil::storage
