// ScrapeCache: what one scrape loop remembers between scrapes so that a steady scrape does
// no label work: for every series line it has seen (keyed by a 128-bit hash of the raw
// series bytes, `name{labels}` exactly as exposed) the storage SeriesRef, the hash of the
// final label set (after target labels and metric_relabel_configs) and optionally the label
// set itself; lines dropped by relabeling are remembered as dropped.
//
// Lookups try the entry at the same position in the previous scrape first (expositions
// rarely reorder), then a hash map. The cache also tracks which series were appended in the
// previous and in the current scrape, to write staleness markers for series that disappear:
// two lines that relabel to the same label set share one staleness record.
//
// Bounds: entries not seen in a successful scrape are evicted at its end (like Prometheus'
// iterDone), so the cache holds about one scrape's worth of series; if failed scrapes keep
// adding entries it is flushed once it doubles (+1000).
//
// Memory: a 48-byte Entry, two IndexTable slots (8-16 bytes each) and two positions (8
// bytes) per series line, about 90 bytes; plus the label set when keep_labels is on (the
// server turns it off: the head honours refs, and a line whose ref died is relabeled again).
//
// Not thread-safe: owned by one ScrapeLoop, used by one thread at a time.
#pragma once

#include <cstdint>
#include <deque>
#include <string_view>
#include <vector>

#include "model/labels.h"
#include "scrape/index_table.h"
#include "storage/interface.h"

namespace vigil::scrape {

// 128-bit hash of the raw series bytes.
struct SeriesKey {
  uint64_t lo = 0, hi = 0;
  friend bool operator==(const SeriesKey&, const SeriesKey&) = default;
};
SeriesKey HashSeriesBytes(std::string_view series);

class ScrapeCache {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  struct Entry {
    SeriesKey key;
    storage::SeriesRef ref = 0;
    uint64_t hash = 0;       // hash of the final label set
    uint32_t last_iter = 0;  // last scrape (iteration, mod 2^32) in which the key was seen
    uint32_t seen_iter = 0;  // last scrape in which this series was appended (canonical)
    uint32_t canonical = 0;  // entry holding the staleness record for this label set
    bool dropped = false;    // metric relabeling dropped the line
    bool live = false;       // slot in use
    bool keyed = false;      // reachable by key (false after InvalidateKeys)
  };
  static_assert(sizeof(Entry) == 48);

  // keep_labels: keep each series' labels (needed when the storage does not honour refs,
  // e.g. MemoryStorage, and for stale markers of series whose ref died).
  explicit ScrapeCache(bool keep_labels = true) : keep_labels_(keep_labels) {}

  // Starts a scrape.
  void Begin();
  // Looks up the next series line of this scrape. Returns the entry index or kNone (then
  // *key is the key to Add* with). Records the line's position for the next scrape.
  uint32_t Find(std::string_view series, SeriesKey* key);
  // Adds the line just looked up (Find returned kNone) as a series / as dropped.
  uint32_t AddSeries(const SeriesKey& key, Labels lset, uint64_t hash);
  uint32_t AddDropped(const SeriesKey& key);

  Entry& at(uint32_t i) { return entries_[i]; }
  const Entry& at(uint32_t i) const { return entries_[i]; }
  // The labels to append entry i with (empty if not kept).
  const Labels& LabelsOf(uint32_t i) const { return keep_labels_ ? labels_[i] : empty_; }

  // Records that entry i's series got a sample in this scrape (for staleness).
  void Track(uint32_t i);
  // Calls f(const Entry&, const Labels&) for every series appended in the previous
  // completed scrape but not in this one (labels empty when not kept). Call after all
  // samples of this scrape.
  template <typename F>
  void ForEachStale(F&& f) const {
    for (uint32_t c : prev_) {
      if (entries_[c].live && entries_[c].seen_iter != uint32_t(iter_)) f(entries_[c], LabelsOf(c));
    }
  }
  // Ends a completed scrape (also an empty one after a failure): this scrape's series become
  // the "previous" ones. `successful`: the body was non-empty and fully appended, so entries
  // not seen in it are evicted.
  void End(bool successful);
  // Abandons a scrape whose append failed: the previous scrape's series stay "previous".
  void Abort();
  // Forgets every key (e.g. metric_relabel_configs changed) but keeps the staleness records,
  // so series that reappear under a new key are not marked stale.
  void InvalidateKeys();

  size_t size() const { return live_; }
  size_t series_in_last_scrape() const { return prev_.size(); }
  // Bytes held (entries, tables, position lists; label sets not counted).
  size_t bytes() const;
  uint64_t iteration() const { return iter_; }

 private:
  uint32_t NewEntry();
  void Evict(uint32_t i);
  void Link(uint32_t i, uint64_t hash);
  auto KeyHashOf() const {
    return [this](uint32_t i) { return entries_[i].key.lo; };
  }
  auto LabelHashOf() const {
    return [this](uint32_t i) { return entries_[i].hash; };
  }

  bool keep_labels_;
  std::deque<Entry> entries_;
  std::deque<Labels> labels_;  // per entry, only when keep_labels_
  const Labels empty_;
  std::vector<uint32_t> free_;
  size_t live_ = 0;
  IndexTable by_key_;                             // live keyed entries by key.lo
  IndexTable by_hash_;                            // canonical entry per label-set hash
  std::vector<uint32_t> prev_order_, cur_order_;  // entry per line, for positional lookups
  std::vector<uint32_t> prev_, cur_;              // canonical entries appended per scrape
  uint64_t iter_ = 0;
  size_t pos_ = 0;
  size_t successful_count_ = 0;
};

}  // namespace vigil::scrape
