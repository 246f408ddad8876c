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
    idx = by_key_.Find(key->lo, [&](uint32_t i) { return entries_[i].key == *key; });
    if (idx == IndexTable::kNone) return kNone;
  }
  entries_[idx].last_iter = uint32_t(iter_);
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
    if (keep_labels_) labels_.emplace_back();
  }
  entries_[i].live = true;
  entries_[i].canonical = i;
  ++live_;
  return i;
}

void ScrapeCache::Link(uint32_t i, uint64_t hash) {
  // Another line with the same label set (e.g. written differently) shares its staleness
  // record; otherwise this entry is the canonical one. Only live entries are in by_hash_.
  uint32_t other = by_hash_.Find(hash, [&](uint32_t j) { return entries_[j].hash == hash; });
  if (other != IndexTable::kNone && other != i) {
    entries_[i].canonical = other;
    return;
  }
  if (other == IndexTable::kNone) by_hash_.Insert(hash, i, LabelHashOf());
}

uint32_t ScrapeCache::AddSeries(const SeriesKey& key, Labels lset, uint64_t hash) {
  uint32_t i = NewEntry();
  Entry& e = entries_[i];
  e.key = key;
  e.keyed = true;
  e.hash = hash;
  e.last_iter = uint32_t(iter_);
  by_key_.Insert(key.lo, i, KeyHashOf());
  if (keep_labels_) labels_[i] = std::move(lset);
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
  e.last_iter = uint32_t(iter_);
  by_key_.Insert(key.lo, i, KeyHashOf());
  cur_order_.push_back(i);
  ++pos_;
  return i;
}

void ScrapeCache::Track(uint32_t i) {
  uint32_t c = entries_[i].canonical;
  Entry& e = entries_[c];
  if (e.seen_iter == uint32_t(iter_)) return;
  e.seen_iter = uint32_t(iter_);
  cur_.push_back(c);
}

void ScrapeCache::Evict(uint32_t i) {
  Entry& e = entries_[i];
  if (e.keyed) by_key_.Erase(e.key.lo, i, KeyHashOf());
  if (!e.dropped) by_hash_.Erase(e.hash, i, LabelHashOf());
  e = Entry();
  if (keep_labels_) labels_[i] = Labels();
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
  uint32_t iter = uint32_t(iter_);
  if (flush && live_ > cur_order_.size()) {
    for (uint32_t i = 0; i < entries_.size(); ++i) {
      Entry& e = entries_[i];
      if (!e.live || e.last_iter == iter || e.seen_iter == iter) continue;
      // Keep canonical records that a line seen in this scrape still points to.
      Evict(i);
    }
    // Entries whose canonical record was evicted become their own canonical record.
    for (uint32_t i = 0; i < entries_.size(); ++i) {
      Entry& e = entries_[i];
      if (e.live && !e.dropped && !entries_[e.canonical].live) {
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
  by_key_.Clear();
  prev_order_.clear();
  for (uint32_t i = 0; i < entries_.size(); ++i) {
    Entry& e = entries_[i];
    if (!e.live) continue;
    if (e.dropped) {
      e.keyed = false;  // not in by_key_ any more
      Evict(i);
      continue;
    }
    e.keyed = false;
  }
}

size_t ScrapeCache::bytes() const {
  return entries_.size() * sizeof(Entry) + free_.capacity() * sizeof(uint32_t) + by_key_.bytes() +
         by_hash_.bytes() +
         (prev_order_.capacity() + cur_order_.capacity() + prev_.capacity() + cur_.capacity()) *
             sizeof(uint32_t);
}

}  // namespace vigil::scrape
