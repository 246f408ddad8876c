// `vigil tool tsdb list|analyze|dump|verify`: promtool's `tsdb` utilities over a data
// directory of blocks (tsdb/block), with promtool's output formats:
//   list [-r] [DIR]                      one row per block (ULID, times, counts, size)
//   analyze [--limit N] [--extended] [DIR] [BLOCK]
//                                        cardinality of one block (default: the newest);
//                                        --extended adds where its bytes per sample go
//   dump [--min-time] [--max-time] [--match SELECTOR] [DIR]
//                                        every sample as `{labels} value timestamp`
//   verify DIR...                        every CRC and structure of blocks (a block
//                                        directory, or a data directory of blocks);
//                                        exit 1 naming file, section and offset of damage
// DIR defaults to "data/" as in promtool. Exit codes: 0 ok, 1 failure, 2 usage.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <map>
#include <string>
#include <vector>

#include "cmd/commands.h"
#include "promql/parser/parser.h"
#include "textparse/float.h"
#include "tsdb/block/block.h"
#include "tsdb/block/block_size.h"
#include "tsdb/block/block_verify.h"

namespace vigil::cmd {
namespace {

using tsdb::block::Block;

// Parses flags; returns -1 to continue, else the exit code.
int Parse(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return -1;
}

// Go's time.Duration.String() for a whole number of milliseconds.
std::string GoDuration(int64_t ms) {
  if (ms == 0) return "0s";
  std::string sign = ms < 0 ? "-" : "";
  uint64_t u = ms < 0 ? uint64_t(-(ms + 1)) + 1 : uint64_t(ms);
  if (u < 1000) return sign + std::to_string(u) + "ms";
  const uint64_t s = u / 1000, frac = u % 1000;
  std::string secs = std::to_string(s % 60);
  if (frac != 0) {
    std::string f = std::to_string(1000 + frac).substr(1);
    while (f.back() == '0') f.pop_back();
    secs += "." + f;
  }
  secs += "s";
  if (s < 60) return sign + secs;
  const std::string mins = std::to_string((s / 60) % 60) + "m";
  if (s < 3600) return sign + mins + secs;
  return sign + std::to_string(s / 3600) + "h" + mins + secs;
}

// promtool -r: Go's time.Unix(s, 0).UTC().String().
std::string HumanTime(int64_t ms) {
  const time_t secs = time_t(ms / 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
  return buf;
}

// promtool -r: units.Base2Bytes(n).String(), e.g. "1MiB181KiB647B".
std::string HumanBytes(uint64_t n) {
  static const char* kUnits[] = {"", "K", "M", "G", "T", "P", "E"};
  if (n == 0) return "0B";
  std::string out;
  for (int i = 0; n > 0 && i < 7; ++i) {
    if (n % 1024 != 0) out = std::to_string(n % 1024) + kUnits[i] + (i == 0 ? "B" : "iB") + out;
    n /= 1024;
  }
  return out;
}

// Rows in columns like Go's text/tabwriter(minwidth 13, padding 2): every cell but a row's
// last is padded to its column's width.
void PrintTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> w;
  for (const auto& r : rows) {
    for (size_t i = 0; i + 1 < r.size(); ++i) {
      if (w.size() <= i) w.resize(i + 1, 0);
      w[i] = std::max(w[i], std::max<size_t>(13, r[i].size() + 2));
    }
  }
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line.append(w[i] - r[i].size(), ' ');
    }
    std::printf("%s\n", line.c_str());
  }
}

Result<std::vector<std::shared_ptr<Block>>> OpenDir(const std::string& dir) {
  auto blocks = tsdb::block::OpenBlocks(dir);
  if (!blocks.has_value()) return blocks.error().WithPrefix("opening " + dir);
  return blocks;
}

int Fail(const Status& s) {
  std::fprintf(stderr, "%s\n", s.ToString().c_str());
  return 1;
}

// The extended part of analyze: the block's bytes per sample, split by what they encode.
int PrintBlockSize(const Block& b) {
  auto s = tsdb::block::MeasureBlockSize(b);
  if (!s.has_value()) return Fail(s.error());
  const double n = s->samples > 0 ? double(s->samples) : 1.0;
  std::printf("\nCompaction analysis:\n");
  std::printf("Samples: %" PRIu64 ", chunks: %" PRIu64 " (%.1f samples per chunk)\n", s->samples,
              s->chunks, s->chunks > 0 ? double(s->samples) / double(s->chunks) : 0.0);
  std::printf("Bytes per sample: %.3f (index %.3f, chunks %.3f)\n",
              double(s->index_bytes + s->chunk_bytes) / n, double(s->index_bytes) / n,
              double(s->chunk_bytes) / n);
  std::printf("  chunk framing (length, encoding, CRC32), segment headers: %.3f\n",
              double(s->chunk_framing + s->segment_headers) / n);
  std::printf("  chunk heads (sample count, first timestamp, first value): %.3f\n",
              double(s->chunk_heads) / n);
  std::printf("  timestamps after the first: %.3f\n", double(s->timestamp_bits) / 8 / n);
  std::printf("  values after the first: %.3f\n", double(s->value_bits) / 8 / n);
  if (s->other_encoding_chunks > 0) {
    std::printf("  (%" PRIu64 " chunks of other encodings counted as heads)\n",
                s->other_encoding_chunks);
  }
  std::printf("Chunks if every series were one XOR chunk: %.3f bytes per sample\n",
              double(s->single_chunk_bytes + s->segment_headers) / n);
  return 0;
}

}  // namespace

int RunToolTsdbList(int argc, char** argv) {
  CLI::App app{"List the blocks of a data directory", "vigil tool tsdb list"};
  std::string dir = "data/";
  bool human = false;
  app.add_flag("-r,--human-readable", human, "print human readable values");
  app.add_option("db-path", dir, "data directory")->capture_default_str();
  if (int rc = Parse(app, argc, argv); rc >= 0) return rc;
  auto blocks = OpenDir(dir);
  if (!blocks.has_value()) return Fail(blocks.error());
  std::vector<std::vector<std::string>> rows = {{"BLOCK ULID", "MIN TIME", "MAX TIME", "DURATION",
                                                 "NUM SAMPLES", "NUM CHUNKS", "NUM SERIES",
                                                 "SIZE"}};
  for (const auto& b : *blocks) {
    const auto& m = b->meta();
    rows.push_back({m.ulid.ToString(), human ? HumanTime(m.min_time) : std::to_string(m.min_time),
                    human ? HumanTime(m.max_time) : std::to_string(m.max_time),
                    GoDuration(m.max_time - m.min_time), std::to_string(m.stats.num_samples),
                    std::to_string(m.stats.num_chunks), std::to_string(m.stats.num_series),
                    human ? HumanBytes(b->size_bytes()) : std::to_string(b->size_bytes())});
  }
  PrintTable(rows);
  return 0;
}

int RunToolTsdbAnalyze(int argc, char** argv) {
  CLI::App app{"Analyze the churn, label pair cardinality and compaction efficiency of a block",
               "vigil tool tsdb analyze"};
  std::string dir = "data/", block_id;
  size_t limit = 20;
  bool extended = false;
  app.add_option("db-path", dir, "data directory")->capture_default_str();
  app.add_option("block-id", block_id, "block to analyze (default: the newest)");
  app.add_option("--limit", limit, "how many items to show in each list")->capture_default_str();
  app.add_flag("--extended", extended, "also show where the block's bytes per sample go");
  if (int rc = Parse(app, argc, argv); rc >= 0) return rc;
  auto blocks = OpenDir(dir);
  if (!blocks.has_value()) return Fail(blocks.error());
  if (blocks->empty()) return Fail(Status::NotFound("no blocks found"));
  std::shared_ptr<Block> b = blocks->back();
  if (!block_id.empty()) {
    b = nullptr;
    for (const auto& x : *blocks) {
      if (x->meta().ulid.ToString() == block_id) b = x;
    }
    if (b == nullptr) return Fail(Status::NotFound("block " + block_id + " not found"));
  }
  const auto& meta = b->meta();
  const tsdb::index::IndexReader& ir = b->index();
  const int64_t span = meta.max_time - meta.min_time;
  std::printf("Block ID: %s\n", meta.ulid.ToString().c_str());
  std::printf("Duration: %s\n", GoDuration(span).c_str());
  std::printf("Series: %" PRIu64 "\n", meta.stats.num_series);
  const std::vector<std::string> names = ir.LabelNames();
  std::printf("Label names: %zu\n", names.size());

  // Per label pair / name: series count and the block time not covered by its series.
  std::map<std::string, uint64_t> pair_uncovered, name_uncovered, pair_count;
  uint64_t entries = 0;
  auto all = ir.AllPostings();
  if (!all.has_value()) return Fail(all.error());
  Labels l;
  std::vector<tsdb::chunks::Meta> chks;
  for (uint32_t i = 0; i < all->size(); ++i) {
    if (Status s = ir.Series((*all)[i], &l, &chks); !s.ok()) return Fail(s);
    const uint64_t uncovered =
        chks.empty() ? uint64_t(span) : uint64_t(span - (chks.back().maxt - chks.front().mint));
    for (const LabelView& lv : l) {
      const std::string key = std::string(lv.name) + "=" + std::string(lv.value);
      name_uncovered[std::string(lv.name)] += uncovered;
      pair_uncovered[key] += uncovered;
      ++pair_count[key];
      ++entries;
    }
  }
  std::printf("Postings (unique label pairs): %zu\n", pair_uncovered.size());
  std::printf("Postings entries (total label pairs): %" PRIu64 "\n", entries);

  auto print = [&](const char* title, std::vector<std::pair<uint64_t, std::string>> v) {
    std::printf("\n%s\n", title);
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    for (size_t i = 0; i < v.size() && i < limit; ++i) {
      std::printf("%" PRIu64 " %s\n", v[i].first, v[i].second.c_str());
    }
  };
  auto churn = [&](const std::map<std::string, uint64_t>& m) {
    std::vector<std::pair<uint64_t, std::string>> v;
    for (const auto& [k, u] : m)
      v.emplace_back(span > 0 ? uint64_t(double(u) / double(span)) : 0, k);
    return v;
  };
  print("Label pairs most involved in churning:", churn(pair_uncovered));
  print("Label names most involved in churning:", churn(name_uncovered));
  std::vector<std::pair<uint64_t, std::string>> common, lengths, cardinality, metrics;
  for (const auto& [k, c] : pair_count) common.emplace_back(c, k);
  print("Most common label pairs:", common);
  for (const std::string& n : names) {
    auto values = ir.LabelValues(n);
    if (!values.has_value()) return Fail(values.error());
    uint64_t bytes = 0;
    for (const std::string& v : *values) bytes += v.size();
    lengths.emplace_back(bytes, n);
    cardinality.emplace_back(values->size(), n);
  }
  print("Label names with highest cumulative label value length:", lengths);
  print("Highest cardinality labels:", cardinality);
  Status err;
  Status st = ir.ForEachLabelValue(kMetricName, [&](std::string_view v, uint64_t off) {
    auto p = ir.PostingsAt(off);
    if (!p.has_value()) {
      err = p.error();
      return false;
    }
    metrics.emplace_back(p->size(), std::string(v));
    return true;
  });
  if (!st.ok()) return Fail(st);
  if (!err.ok()) return Fail(err);
  print("Highest cardinality metric names:", metrics);
  return extended ? PrintBlockSize(*b) : 0;
}

int RunToolTsdbDump(int argc, char** argv) {
  CLI::App app{"Dump samples from a TSDB", "vigil tool tsdb dump"};
  std::string dir = "data/", match = "{__name__=~\"(?s:.*)\"}";
  int64_t mint = INT64_MIN, maxt = INT64_MAX;
  app.add_option("db-path", dir, "data directory")->capture_default_str();
  app.add_option("--min-time", mint, "minimum timestamp to dump (ms)");
  app.add_option("--max-time", maxt, "maximum timestamp to dump (ms)");
  app.add_option("--match", match, "series selector")->capture_default_str();
  if (int rc = Parse(app, argc, argv); rc >= 0) return rc;
  auto matchers = promql::parser::ParseMetricSelector(match);
  if (!matchers.has_value()) return Fail(matchers.error());
  auto blocks = OpenDir(dir);
  if (!blocks.has_value()) return Fail(blocks.error());

  // Merge the blocks' sorted series sets so that a series spanning blocks prints once, its
  // samples in time order (blocks are sorted by min time; overlaps keep the first sample).
  std::vector<std::unique_ptr<storage::Querier>> queriers;
  std::vector<std::unique_ptr<storage::SeriesSet>> sets;
  std::vector<bool> live;
  for (const auto& b : *blocks) {
    auto q = b->NewQuerier(mint, maxt);
    if (!q.has_value()) return Fail(q.error());
    sets.push_back((*q)->Select(Context(), true, nullptr, *matchers));
    queriers.push_back(std::move(*q));
    live.push_back(sets.back()->Next());
    if (!live.back() && !sets.back()->Err().ok()) return Fail(sets.back()->Err());
  }
  std::string line;
  char num[textparse::kMaxFloatChars + 1];
  while (true) {
    const Labels* min = nullptr;
    for (size_t i = 0; i < sets.size(); ++i) {
      if (live[i] && (min == nullptr || sets[i]->At().labels() < *min)) {
        min = &sets[i]->At().labels();
      }
    }
    if (min == nullptr) break;
    const Labels cur = *min;
    const std::string prefix = cur.ToString() + " ";
    int64_t last = INT64_MIN;
    for (size_t i = 0; i < sets.size(); ++i) {
      if (!live[i] || !(sets[i]->At().labels() == cur)) continue;
      auto it = sets[i]->At().Iterator();
      while (it->Next()) {
        if (it->AtT() <= last) continue;
        last = it->AtT();
        line = prefix;
        line.append(num, textparse::FormatFloatTo(num, it->AtV()));
        line += " " + std::to_string(last) + "\n";
        std::fputs(line.c_str(), stdout);
      }
      if (!it->Err().ok()) return Fail(it->Err());
      live[i] = sets[i]->Next();
      if (!live[i] && !sets[i]->Err().ok()) return Fail(sets[i]->Err());
    }
  }
  return 0;
}

int RunToolTsdbVerify(int argc, char** argv) {
  CLI::App app{"Check every checksum and structure of blocks; exit 1 on damage",
               "vigil tool tsdb verify"};
  std::vector<std::string> dirs;
  app.add_option("dirs", dirs, "block directories or data directories of blocks")->required();
  if (int rc = Parse(app, argc, argv); rc >= 0) return rc;
  fs::FileSystem* fs = fs::DefaultFileSystem();
  std::vector<std::string> block_dirs;
  for (const std::string& d : dirs) {
    if (fs->Exists(fs::JoinPath(d, tsdb::block::kMetaFilename)) ||
        fs->Exists(fs::JoinPath(d, "index"))) {
      block_dirs.push_back(d);
      continue;
    }
    auto names = fs->ListDir(d);
    if (!names.has_value()) return Fail(names.error());
    std::sort(names->begin(), names->end());
    size_t found = 0;
    for (const std::string& n : *names) {
      if (tsdb::block::Ulid::Parse(n).has_value() && fs->IsDirectory(fs::JoinPath(d, n))) {
        block_dirs.push_back(fs::JoinPath(d, n));
        ++found;
      }
    }
    if (found == 0) return Fail(Status::NotFound(d + ": no blocks found"));
  }
  int damaged = 0;
  for (const std::string& d : block_dirs) {
    tsdb::block::BlockVerifyResult r = tsdb::block::VerifyBlock(d, fs);
    if (r.problems.empty()) {
      std::printf("OK %s (%" PRIu64 " series, %" PRIu64 " chunks, %" PRIu64 " samples)\n",
                  d.c_str(), r.series, r.chunks, r.samples);
      continue;
    }
    ++damaged;
    std::printf("DAMAGED %s\n", d.c_str());
    for (const auto& p : r.problems) std::printf("  %s\n", p.ToString().c_str());
  }
  return damaged > 0 ? 1 : 0;
}

}  // namespace vigil::cmd
