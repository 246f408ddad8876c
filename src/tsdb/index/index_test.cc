// IndexWriter + IndexReader round trips, the writer's contract (error table), matcher
// selection against a linear scan, and Verify on good files.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <random>
#include <set>

#include "base/coding.h"
#include "fs/temp_dir.h"
#include "tsdb/index/index_reader.h"
#include "tsdb/index/index_writer.h"
#include "tsdb/index/postings_for_matchers.h"

namespace vigil::tsdb::index {
namespace {

struct TestSeries {
  Labels labels;
  std::vector<chunks::Meta> chunks;
};

// Sorted, unique series with varied label sets (unicode values, differing label counts) and
// 0..5 chunk metas each.
std::vector<TestSeries> MakeSeries(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  const std::vector<std::string> metrics = {"up", "http_requests_total", "node_cpu_seconds",
                                            "größe_bytes", "a"};
  const std::vector<std::string> values = {"x", "y", "zürich", "東京", "a b", "\"q\"", "0"};
  std::set<Labels> seen;
  std::vector<TestSeries> out;
  while (out.size() < n) {
    LabelsBuilder b;
    b.Set("__name__", metrics[rng() % metrics.size()]);
    b.Set("instance", "host-" + std::to_string(rng() % 50));
    if (rng() % 2) b.Set("job", values[rng() % values.size()]);
    if (rng() % 3 == 0) b.Set("le", std::to_string(rng() % 10));
    if (rng() % 5 == 0) b.Set("zz_" + std::to_string(rng() % 4), values[rng() % values.size()]);
    Labels l = b.Build();
    if (!seen.insert(l).second) continue;
    out.push_back(TestSeries{l, {}});
  }
  std::sort(out.begin(), out.end(), [](const TestSeries& a, const TestSeries& b) {
    return Labels::Compare(a.labels, b.labels) < 0;
  });
  uint64_t ref = 8;
  for (TestSeries& s : out) {
    int64_t t = int64_t(rng() % 100000) - 50000;
    for (uint32_t c = 0, nc = rng() % 6; c < nc; ++c) {
      chunks::Meta m;
      m.mint = t + int64_t(rng() % 3);
      m.maxt = m.mint + int64_t(rng() % 100000);
      m.ref = ref;
      ref += 20 + rng() % 500;
      t = m.maxt + 1;
      s.chunks.push_back(m);
    }
  }
  return out;
}

std::vector<std::string> SymbolsOf(const std::vector<TestSeries>& series) {
  std::set<std::string> syms = {""};
  for (const auto& s : series) {
    for (const auto& l : s.labels) {
      syms.emplace(l.name);
      syms.emplace(l.value);
    }
  }
  return {syms.begin(), syms.end()};
}

// Writes `series` into dir/index and returns the refs.
std::vector<SeriesRef> WriteIndex(const std::string& path, const std::vector<TestSeries>& series) {
  auto w = IndexWriter::Create(path);
  EXPECT_TRUE(w.has_value()) << w.error().ToString();
  for (const std::string& s : SymbolsOf(series)) EXPECT_TRUE((*w)->AddSymbol(s).ok());
  std::vector<SeriesRef> refs;
  for (const auto& s : series) {
    auto r = (*w)->AddSeries(s.labels, s.chunks);
    EXPECT_TRUE(r.has_value()) << r.error().ToString();
    refs.push_back(r.value_or(0));
  }
  Status st = (*w)->Close();
  EXPECT_TRUE(st.ok()) << st.ToString();
  return refs;
}

TEST(IndexTest, RoundTrip) {
  fs::TempDir dir;
  const auto series = MakeSeries(3000, 1);
  const std::string path = dir.Sub("index");
  const std::vector<SeriesRef> refs = WriteIndex(path, series);
  auto r = IndexReader::Open(path);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  const IndexReader& ir = **r;
  EXPECT_EQ(ir.version(), kFormatV2);

  // Symbols.
  const std::vector<std::string> syms = SymbolsOf(series);
  ASSERT_EQ(ir.num_symbols(), syms.size());
  std::vector<std::string> got;
  ASSERT_TRUE(ir.ForEachSymbol([&](std::string_view s) {
                  got.emplace_back(s);
                  return Status::OK();
                }).ok());
  EXPECT_EQ(got, syms);
  for (uint32_t i = 0; i < syms.size(); ++i) {
    EXPECT_EQ(ir.Symbol(i).value_or("?"), syms[i]);
    EXPECT_EQ(ir.SymbolRef(syms[i]).value_or(UINT32_MAX), i);
  }
  EXPECT_TRUE(ir.SymbolRef("not-a-symbol").error().IsNotFound());
  EXPECT_TRUE(ir.Symbol(uint32_t(syms.size())).error().IsCorruption());

  // Refs are entry offsets / 16, ascending in label order.
  EXPECT_TRUE(std::is_sorted(refs.begin(), refs.end()));
  // The TOC points at the end of the symbols; the first entry follows the 16-byte padding.
  EXPECT_EQ(uint64_t(refs[0]) * kSeriesAlignment, (ir.toc().series + 15) / 16 * 16);

  // Series decode back to what was written.
  Labels l;
  std::vector<chunks::Meta> chks;
  for (size_t i = 0; i < series.size(); ++i) {
    ASSERT_TRUE(ir.Series(refs[i], &l, &chks).ok());
    EXPECT_EQ(l, series[i].labels);
    ASSERT_EQ(chks.size(), series[i].chunks.size());
    for (size_t c = 0; c < chks.size(); ++c) {
      EXPECT_EQ(chks[c].mint, series[i].chunks[c].mint);
      EXPECT_EQ(chks[c].maxt, series[i].chunks[c].maxt);
      EXPECT_EQ(chks[c].ref, series[i].chunks[c].ref);
    }
  }
  EXPECT_TRUE(ir.Series(0, &l, &chks).IsNotFound());

  // Postings and label values agree with the series.
  std::map<std::string, std::map<std::string, std::vector<SeriesRef>>> want;
  for (size_t i = 0; i < series.size(); ++i) {
    for (const auto& lv : series[i].labels) {
      want[std::string(lv.name)][std::string(lv.value)].push_back(refs[i]);
    }
  }
  std::vector<std::string> names;
  for (const auto& [n, vs] : want) names.push_back(n);
  EXPECT_EQ(ir.LabelNames(), names);
  for (const auto& [n, vs] : want) {
    std::vector<std::string> values;
    for (const auto& [v, ids] : vs) {
      values.push_back(v);
      auto p = ir.ReadPostings(n, v);
      ASSERT_TRUE(p.has_value());
      std::vector<SeriesRef> ids_got;
      p->AppendTo(&ids_got);
      EXPECT_EQ(ids_got, ids) << n << "=" << v;
    }
    EXPECT_EQ(ir.LabelValues(n).value_or(std::vector<std::string>{}), values);
    EXPECT_TRUE(ir.ReadPostings(n, "no-such-value")->empty());
  }
  EXPECT_TRUE(ir.ReadPostings("no_such_name", "x")->empty());
  std::vector<SeriesRef> all;
  ir.AllPostings()->AppendTo(&all);
  EXPECT_EQ(all, refs);

  // Verify finds nothing wrong and visits every series.
  size_t visited = 0;
  auto problems =
      ir.Verify([&](SeriesRef, const Labels&, const std::vector<chunks::Meta>&) { ++visited; });
  EXPECT_TRUE(problems.empty()) << problems[0].ToString();
  EXPECT_EQ(visited, series.size());
  // The reader keeps only samples of the tables in memory.
  EXPECT_LT(ir.MemoryBytes(), ir.size_bytes());
}

TEST(IndexTest, LayoutFollowsTheFormat) {
  fs::TempDir dir;
  const auto series = MakeSeries(200, 2);
  const std::string path = dir.Sub("index");
  const std::vector<SeriesRef> refs = WriteIndex(path, series);
  auto bytes = fs::ReadFileToString(fs::DefaultFileSystem(), path);
  ASSERT_TRUE(bytes.has_value());
  const std::string& b = *bytes;
  EXPECT_EQ(DecodeBE32(b.data()), kMagicIndex);
  EXPECT_EQ(uint8_t(b[4]), 2);
  // TOC: six offsets and a CRC of those 48 bytes. Fields: symbols, series, label indices,
  // label offset table, postings, postings offset table; in the file the postings come
  // before the label offset table.
  const char* toc = b.data() + b.size() - kTocSize;
  EXPECT_EQ(DecodeBE32(toc + 48), Crc32c(toc, 48));
  uint64_t prev = 0;
  for (int i : {0, 1, 2, 4, 3, 5}) {
    const uint64_t off = DecodeBE64(toc + 8 * i);
    EXPECT_GT(off, prev) << "section " << i;
    prev = off;
  }
  EXPECT_EQ(DecodeBE64(toc), kHeaderSize);  // symbols right after the header
  // Symbol table: len counts the bytes between itself and the CRC.
  const uint32_t sym_len = DecodeBE32(b.data() + 5);
  EXPECT_EQ(DecodeBE32(b.data() + 9), SymbolsOf(series).size());
  EXPECT_EQ(DecodeBE32(b.data() + 9 + sym_len), Crc32c(b.data() + 9, sym_len));
  // Every series entry sits at ref * 16: uvarint len · body · CRC32C(body).
  for (SeriesRef r : refs) {
    std::string_view in = std::string_view(b).substr(uint64_t(r) * 16);
    uint64_t len;
    ASSERT_TRUE(GetUvarint(&in, &len));
    EXPECT_EQ(DecodeBE32(in.data() + len), Crc32c(in.data(), len)) << "series ref " << r;
  }
  // Postings lists are 4-byte aligned.
  auto ir = IndexReader::Open(path);
  ASSERT_TRUE(ir.has_value());
  EXPECT_TRUE((*ir)
                  ->ForEachLabelValue("instance",
                                      [&](std::string_view, uint64_t off) {
                                        EXPECT_EQ(off % 4, 0u);
                                        return true;
                                      })
                  .ok());
}

TEST(IndexTest, EmptyIndex) {
  fs::TempDir dir;
  const std::string path = dir.Sub("index");
  auto w = IndexWriter::Create(path);
  ASSERT_TRUE(w.has_value());
  ASSERT_TRUE((*w)->Close().ok());
  auto r = IndexReader::Open(path);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ((*r)->num_symbols(), 0u);
  EXPECT_TRUE((*r)->LabelNames().empty());
  EXPECT_TRUE((*r)->AllPostings()->empty());
  EXPECT_TRUE(
      (*r)->Verify([](SeriesRef, const Labels&, const std::vector<chunks::Meta>&) {}).empty());
}

TEST(IndexTest, WriterRejectsContractViolations) {
  fs::TempDir dir;
  const Labels a{{"__name__", "a"}}, b{{"__name__", "b"}};
  const std::vector<std::string> syms = {"__name__", "a", "b"};
  struct Case {
    const char* name;
    std::function<Status(IndexWriter*)> run;  // returns the status of the offending call
  };
  auto add_syms = [&](IndexWriter* w) {
    for (const auto& s : syms) EXPECT_TRUE(w->AddSymbol(s).ok());
  };
  const std::vector<Case> cases = {
      {"symbol out of order",
       [](IndexWriter* w) {
         EXPECT_TRUE(w->AddSymbol("b").ok());
         return w->AddSymbol("a");
       }},
      {"duplicate symbol",
       [](IndexWriter* w) {
         EXPECT_TRUE(w->AddSymbol("a").ok());
         return w->AddSymbol("a");
       }},
      {"symbol after series",
       [&](IndexWriter* w) {
         add_syms(w);
         EXPECT_TRUE(w->AddSeries(a, {}).has_value());
         return w->AddSymbol("zzz");
       }},
      {"series out of order",
       [&](IndexWriter* w) {
         add_syms(w);
         EXPECT_TRUE(w->AddSeries(b, {}).has_value());
         return w->AddSeries(a, {}).error();
       }},
      {"duplicate series",
       [&](IndexWriter* w) {
         add_syms(w);
         EXPECT_TRUE(w->AddSeries(a, {}).has_value());
         return w->AddSeries(a, {}).error();
       }},
      {"unknown symbol",
       [&](IndexWriter* w) {
         add_syms(w);
         return w->AddSeries(Labels{{"__name__", "c"}}, {}).error();
       }},
      {"empty labels",
       [&](IndexWriter* w) {
         add_syms(w);
         return w->AddSeries(Labels(), {}).error();
       }},
      {"chunk mint > maxt",
       [&](IndexWriter* w) {
         add_syms(w);
         chunks::Meta m;
         m.mint = 10;
         m.maxt = 5;
         return w->AddSeries(a, {m}).error();
       }},
      {"overlapping chunks",
       [&](IndexWriter* w) {
         add_syms(w);
         chunks::Meta m1, m2;
         m1.mint = 0;
         m1.maxt = 10;
         m2.mint = 5;
         m2.maxt = 20;
         return w->AddSeries(a, {m1, m2}).error();
       }},
  };
  for (const Case& c : cases) {
    auto w = IndexWriter::Create(dir.Sub("index"));
    ASSERT_TRUE(w.has_value());
    Status s = c.run(w->get());
    EXPECT_TRUE(s.IsInvalidArgument()) << c.name << ": " << s.ToString();
  }
}

// A matcher table checked against a linear scan with MatchesAll.
TEST(IndexTest, PostingsForMatchersAgreesWithScan) {
  fs::TempDir dir;
  const auto series = MakeSeries(1500, 3);
  const std::string path = dir.Sub("index");
  const std::vector<SeriesRef> refs = WriteIndex(path, series);
  auto r = IndexReader::Open(path);
  ASSERT_TRUE(r.has_value());
  struct M {
    MatchType t;
    const char* n;
    const char* v;
  };
  const std::vector<std::vector<M>> selectors = {
      {{MatchType::kEqual, "__name__", "up"}},
      {{MatchType::kEqual, "__name__", "up"}, {MatchType::kEqual, "job", "x"}},
      {{MatchType::kEqual, "__name__", "größe_bytes"}, {MatchType::kNotEqual, "job", "x"}},
      {{MatchType::kRegexMatch, "__name__", "up|a"}},
      {{MatchType::kRegexMatch, "__name__", "node_.*"}, {MatchType::kRegexNoMatch, "job", "x|y"}},
      {{MatchType::kRegexMatch, "job", ".+"}, {MatchType::kEqual, "le", ""}},
      {{MatchType::kRegexMatch, "job", "z.*|東京"}},
      {{MatchType::kRegexMatch, "instance", "host-1.*"}, {MatchType::kRegexMatch, "job", ".*"}},
      {{MatchType::kNotEqual, "instance", ""}, {MatchType::kRegexMatch, "zz_1", "|x"}},
      {{MatchType::kEqual, "__name__", "nope"}},
      {{MatchType::kEqual, "no_such_label", ""}, {MatchType::kEqual, "__name__", "a"}},
      {{MatchType::kRegexMatch, "__name__", ".+"}, {MatchType::kNotEqual, "no_such_label", "v"}},
  };
  for (const auto& sel : selectors) {
    std::vector<Matcher> ms;
    std::string desc;
    for (const M& m : sel) {
      auto mm = Matcher::Make(m.t, m.n, m.v);
      ASSERT_TRUE(mm.has_value());
      desc += mm->ToString() + " ";
      ms.push_back(*mm);
    }
    std::vector<SeriesRef> want;
    for (size_t i = 0; i < series.size(); ++i) {
      if (MatchesAll(ms, series[i].labels)) want.push_back(refs[i]);
    }
    auto bm = PostingsForMatchers(**r, ms);
    ASSERT_TRUE(bm.has_value()) << desc;
    std::vector<SeriesRef> got(roaring_bitmap_get_cardinality(bm->get()));
    roaring_bitmap_to_uint32_array(bm->get(), got.data());
    EXPECT_EQ(got, want) << desc;
  }
}

}  // namespace
}  // namespace vigil::tsdb::index
