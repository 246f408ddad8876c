// IndexReader::Verify: a full check of an index file for `vigil tool tsdb verify`. Open()
// already verified the TOC, the symbol table and the postings offset table; this walks the
// series section entry by entry, every label index and every postings list, and checks that
// postings and series agree.
#include <algorithm>
#include <unordered_map>

#include "base/coding.h"
#include "tsdb/index/index_reader.h"

namespace vigil::tsdb::index {
namespace {

uint64_t AlignUp(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

std::string PairKey(std::string_view name, std::string_view value) {
  std::string k(name);
  k.push_back('\xff');  // never inside UTF-8 text
  k.append(value);
  return k;
}

}  // namespace

std::vector<IndexProblem> IndexReader::Verify(
    const std::function<void(SeriesRef, const Labels&, const std::vector<chunks::Meta>&)>&
        on_series,
    size_t max_problems) const {
  std::vector<IndexProblem> problems;
  auto add = [&](std::string section, uint64_t off, std::string what) {
    if (problems.size() < max_problems) {
      problems.push_back(IndexProblem{std::move(section), off, std::move(what)});
    }
  };

  // All postings, if readable, let the series walk resynchronise after a damaged entry.
  std::vector<SeriesRef> all;
  if (Result<Postings> p = AllPostings(); p.has_value()) p->AppendTo(&all);

  // --- Series section.
  std::vector<SeriesRef> refs;
  std::unordered_map<std::string, uint32_t> pair_counts;
  Labels prev, labels;
  std::vector<chunks::Meta> chunks;
  bool have_prev = false;
  uint64_t pos = toc_.series;
  while (toc_.series != 0 && pos < series_end_ && problems.size() < max_problems) {
    const uint64_t aligned = AlignUp(pos, kSeriesAlignment);
    for (uint64_t p = pos; p < std::min(aligned, series_end_); ++p) {
      if (data_[p] != 0) {
        add("series", p, "non-zero padding byte");
        break;
      }
    }
    if (aligned >= series_end_) break;
    pos = aligned;
    std::string_view in = data_.substr(pos, series_end_ - pos);
    uint64_t len;
    bool ok = GetUvarint(&in, &len) && len <= in.size() && in.size() - len >= kCrcSize;
    std::string_view body = ok ? in.substr(0, len) : std::string_view();
    if (!ok) {
      add("series", pos, "entry length runs past the series section");
    } else if (Crc32cOf(body) != DecodeBE32(in.data() + len)) {
      add("series", pos, "checksum mismatch");
      ok = false;
    }
    if (!ok) {
      // Continue at the next entry the all-postings list names, if any.
      auto next = std::upper_bound(all.begin(), all.end(), SeriesRef(pos / kSeriesAlignment));
      if (next == all.end()) break;
      pos = uint64_t(*next) * kSeriesAlignment;
      have_prev = false;
      continue;
    }
    const SeriesRef ref = SeriesRef(pos / kSeriesAlignment);
    pos += (series_end_ - pos) - in.size() + len + kCrcSize;
    if (Status s = DecodeSeries(body, ref * kSeriesAlignment, &labels, &chunks); !s.ok()) {
      add("series", uint64_t(ref) * kSeriesAlignment, std::string(s.message()));
      continue;
    }
    refs.push_back(ref);
    if (labels.empty()) add("series", uint64_t(ref) * kSeriesAlignment, "empty label set");
    if (have_prev && Labels::Compare(prev, labels) >= 0) {
      add("series", uint64_t(ref) * kSeriesAlignment,
          "series " + labels.ToString() + " not sorted after " + prev.ToString());
    }
    for (size_t i = 0; i < chunks.size(); ++i) {
      if (chunks[i].mint > chunks[i].maxt) {
        add("series", uint64_t(ref) * kSeriesAlignment,
            "chunk " + std::to_string(i) + " of " + labels.ToString() + " has mint > maxt");
      } else if (i > 0 && chunks[i].mint <= chunks[i - 1].maxt) {
        add("series", uint64_t(ref) * kSeriesAlignment,
            "chunk " + std::to_string(i) + " of " + labels.ToString() +
                " overlaps the previous one");
      }
    }
    for (const LabelView& l : labels) ++pair_counts[PairKey(l.name, l.value)];
    on_series(ref, labels, chunks);
    prev = labels;
    have_prev = true;
  }

  // --- Postings lists, through the postings offset table (checked by Open()).
  const uint64_t postings_end =
      toc_.label_indices_table > toc_.postings ? toc_.label_indices_table : toc_.postings_table;
  uint64_t tpos = table_begin_;
  TableEntry e;
  for (uint32_t i = 0; i < table_count_ && problems.size() < max_problems; ++i) {
    if (!TableEntryAt(&tpos, table_end_, &e).ok()) break;
    const bool is_all = e.name.empty() && e.value.empty();
    const std::string what =
        is_all ? std::string("all postings")
               : "postings of " + std::string(e.name) + "=" + QuoteString(e.value);
    if (e.offset < toc_.postings || e.offset >= postings_end) {
      add("postings", e.offset, what + ": offset outside the postings section");
      continue;
    }
    Result<Postings> p = PostingsAt(e.offset);
    if (!p.has_value()) {
      add("postings", e.offset, what + ": " + std::string(p.error().message()));
      continue;
    }
    for (uint32_t k = 0; k < p->size(); ++k) {
      if (k > 0 && (*p)[k] <= (*p)[k - 1]) {
        add("postings", e.offset, what + ": series refs not ascending");
        break;
      }
      if (!std::binary_search(refs.begin(), refs.end(), (*p)[k])) {
        add("postings", e.offset,
            what + ": names series ref " + std::to_string((*p)[k]) + " that is no series entry");
        break;
      }
    }
    if (is_all) {
      if (p->size() != refs.size()) {
        add("postings", e.offset,
            "all postings list " + std::to_string(p->size()) + " series, the series section " +
                std::to_string(refs.size()));
      }
      continue;
    }
    auto it = pair_counts.find(PairKey(e.name, e.value));
    const uint32_t want = it == pair_counts.end() ? 0 : it->second;
    if (p->size() != want) {
      add("postings", e.offset,
          what + ": lists " + std::to_string(p->size()) + " series, " + std::to_string(want) +
              " series carry the pair");
    }
    if (it != pair_counts.end()) pair_counts.erase(it);
  }
  for (const auto& [key, count] : pair_counts) {
    const size_t sep = key.find('\xff');
    add("postings offset table", toc_.postings_table,
        "no postings for " + key.substr(0, sep) + "=" + QuoteString(key.substr(sep + 1)) +
            " (carried by " + std::to_string(count) + " series)");
  }

  // --- Alignment padding before the label indices and the postings must be zero.
  for (uint64_t start : {toc_.label_indices, toc_.postings}) {
    if (start == 0) continue;
    for (uint64_t p = start;
         p < std::min<uint64_t>(AlignUp(start, kPostingsAlignment), data_.size() - kTocSize); ++p) {
      if (data_[p] != 0) {
        add(start == toc_.postings ? "postings" : "label indices", p, "non-zero padding byte");
        break;
      }
    }
  }

  // --- Legacy label indices (Prometheus 2.x writes them; readers of v2 do not need them).
  if (toc_.label_indices_table != 0 && toc_.label_indices_table != toc_.postings_table) {
    Result<std::string_view> body = Section(toc_.label_indices_table, "label offset table");
    if (!body.has_value()) {
      add("label offset table", toc_.label_indices_table, std::string(body.error().message()));
    } else if (body->size() >= 4) {
      std::string_view in = body->substr(4);
      const uint32_t n = DecodeBE32(body->data());
      for (uint32_t i = 0; i < n && problems.size() < max_problems; ++i) {
        uint64_t keys, off;
        std::string_view name;
        if (!GetUvarint(&in, &keys) || keys != 1 || !GetLengthPrefixed(&in, &name) ||
            !GetUvarint(&in, &off)) {
          add("label offset table", toc_.label_indices_table, "undecodable entry");
          break;
        }
        Result<std::string_view> li = Section(off, "label index");
        if (!li.has_value()) {
          add("label index", off, std::string(li.error().message()));
          continue;
        }
        if (li->size() < 8 || DecodeBE32(li->data()) != 1 ||
            (li->size() - 8) != uint64_t(DecodeBE32(li->data() + 4)) * 4) {
          add("label index", off, "label index of " + std::string(name) + " has a bad shape");
          continue;
        }
        for (size_t k = 8; k < li->size(); k += 4) {
          if (DecodeBE32(li->data() + k) >= num_symbols_) {
            add("label index", off, "value symbol ref out of range");
            break;
          }
        }
      }
    }
  }
  return problems;
}

}  // namespace vigil::tsdb::index
