#include "scrape/scrape_cache.h"

#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

namespace vigil::scrape {

SeriesKey HashSeriesBytes(std::string_view series) {
  XXH128_hash_t h = XXH3_128bits(series.data(), series.size());
  return SeriesKey{h.low64, h.high64};
}

void ScrapeCache::Begin() {
  ++iter_;
  pos_ = 0;
  cur_order_.clear();
  cur_.clear();
}

uint32_t ScrapeCache::Find(std::string_view series, SeriesKey* key) {
  *key = HashSeriesBytes(series);
  size_t pos = pos_++;
  uint32_t idx = kNone;
  if (pos < prev_order_.size()) {
    uint32_t cand = prev_order_[pos];
    const Entry& e = entries_[cand];
    if (e.live && e.keyed && e.key == *key) idx = cand;
  }
  if (idx == kNone) {
    auto it = by_key_.find(*key);
    if (it == by_key_.end()) return kNone;
    idx = it->second;
  }
  entries_[idx].last_iter = iter_;
  cur_order_.push_back(idx);
  return idx;
}

uint32_t ScrapeCache::NewEntry() {
  uint32_t i;
  if (!free_.empty()) {
    i = free_.back();
    free_.pop_back();
    entries_[i] = Entry();
  } else {
    i = uint32_t(entries_.size());
    entries_.emplace_back();
  }
  entries_[i].live = true;
  entries_[i].canonical = i;
  ++live_;
  return i;
}

void ScrapeCache::Link(uint32_t i, uint64_t hash) {
  // Another line with the same label set (e.g. written differently) shares its staleness
  // record; otherwise this entry is the canonical one.
  auto [it, inserted] = by_hash_.emplace(hash, i);
  if (!inserted) {
    const Entry& other = entries_[it->second];
    if (other.live && other.hash == hash) {
      entries_[i].canonical = it->second;
      return;
    }
    it->second = i;
  }
}

uint32_t ScrapeCache::AddSeries(const SeriesKey& key, Labels lset, uint64_t hash) {
  uint32_t i = NewEntry();
  Entry& e = entries_[i];
  e.key = key;
  e.keyed = true;
  e.hash = hash;
  e.last_iter = iter_;
  by_key_[key] = i;
  if (keep_labels_) e.lset = std::move(lset);
  Link(i, hash);
  cur_order_.push_back(i);
  ++pos_;
  return i;
}

uint32_t ScrapeCache::AddDropped(const SeriesKey& key) {
  uint32_t i = NewEntry();
  Entry& e = entries_[i];
  e.key = key;
  e.keyed = true;
  e.dropped = true;
  e.last_iter = iter_;
  by_key_[key] = i;
  cur_order_.push_back(i);
  ++pos_;
  return i;
}

void ScrapeCache::Track(uint32_t i) {
  uint32_t c = entries_[i].canonical;
  Entry& e = entries_[c];
  if (e.seen_iter == iter_) return;
  e.seen_iter = iter_;
  cur_.push_back(c);
}

void ScrapeCache::Evict(uint32_t i) {
  Entry& e = entries_[i];
  if (e.keyed) {
    auto it = by_key_.find(e.key);
    if (it != by_key_.end() && it->second == i) by_key_.erase(it);
  }
  if (!e.dropped) {
    auto it = by_hash_.find(e.hash);
    if (it != by_hash_.end() && it->second == i) by_hash_.erase(it);
  }
  e = Entry();
  free_.push_back(i);
  --live_;
}

void ScrapeCache::End(bool successful) {
  size_t count = live_;
  bool flush = successful;
  if (successful) {
    successful_count_ = count;
  } else if (count > successful_count_ * 2 + 1000) {
    flush = true;  // failed scrapes with varying lines must not grow the cache forever
  }
  if (flush && live_ > cur_order_.size()) {
    for (uint32_t i = 0; i < entries_.size(); ++i) {
      Entry& e = entries_[i];
      if (!e.live || e.last_iter == iter_ || e.seen_iter == iter_) continue;
      // Keep canonical records that a line seen in this scrape still points to.
      Evict(i);
    }
    // Entries whose canonical record was evicted become their own canonical record.
    for (uint32_t i = 0; i < entries_.size(); ++i) {
      Entry& e = entries_[i];
      if (e.live && !entries_[e.canonical].live) {
        e.canonical = i;
        Link(i, e.hash);
      }
    }
  }
  std::swap(prev_, cur_);
  cur_.clear();
  std::swap(prev_order_, cur_order_);
  cur_order_.clear();
}

void ScrapeCache::Abort() {
  // prev_ and prev_order_ stay; the next Begin() starts a new iteration, so nothing tracked
  // in the abandoned one counts as seen.
  cur_.clear();
  cur_order_.clear();
}

void ScrapeCache::InvalidateKeys() {
  by_key_.clear();
  prev_order_.clear();
  for (uint32_t i = 0; i < entries_.size(); ++i) {
    Entry& e = entries_[i];
    if (!e.live) continue;
    if (e.dropped) {
      Evict(i);
      continue;
    }
    e.keyed = false;
  }
}

}  // namespace vigil::scrape
