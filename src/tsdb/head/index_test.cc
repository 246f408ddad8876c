// Tests of the head's index structures: symbols, packed label sets, the series hash,
// the slab and the postings with Prometheus' matcher semantics.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tsdb/head/label_store.h"
#include "tsdb/head/postings.h"
#include "tsdb/head/series_hash.h"
#include "tsdb/head/slab.h"
#include "tsdb/head/symbol_table.h"

namespace vigil::tsdb {
namespace {

TEST(SymbolTable, InternFindGet) {
  SymbolTable t;
  std::vector<std::string> words;
  for (int i = 0; i < 5000; ++i) words.push_back("w" + std::to_string(i * 7919));
  words.push_back("");
  words.push_back(std::string(40000, 'x'));  // larger than a quarter arena page
  std::vector<uint32_t> ids;
  for (const auto& w : words) ids.push_back(t.Intern(w));
  EXPECT_EQ(t.size(), words.size());
  for (size_t i = 0; i < words.size(); ++i) {
    EXPECT_EQ(t.Intern(words[i]), ids[i]);
    EXPECT_EQ(t.Find(words[i]), ids[i]);
    EXPECT_EQ(t.Get(ids[i]), words[i]);
  }
  EXPECT_EQ(t.Find("absent"), SymbolTable::kNone);
  EXPECT_GT(t.MemoryBytes(), t.StringBytes());
}

// Sorted pairs of symbols for a random label set drawn from `names`.
std::vector<SymPair> Pairs(SymbolTable* t, const std::map<std::string, std::string>& m) {
  std::vector<SymPair> out;
  for (const auto& [n, v] : m) out.emplace_back(t->Intern(n), t->Intern(v));
  return out;
}

TEST(LabelStore, FullAndDerivedRoundTrip) {
  SymbolTable syms;
  LabelStore store;
  auto less = [&](uint32_t a, uint32_t b) { return syms.Get(a) < syms.Get(b); };
  std::mt19937 rng(1);
  std::vector<std::map<std::string, std::string>> sets;
  std::vector<uint32_t> handles;
  uint32_t base = LabelStore::kNoBase;
  for (int target = 0; target < 50; ++target) {
    std::map<std::string, std::string> common;
    for (int i = 0; i < 15; ++i) {
      common["t" + std::to_string(i)] = "v" + std::to_string(target * 100 + i);
    }
    for (int s = 0; s < 40; ++s) {
      auto m = common;
      m["__name__"] = "metric_" + std::to_string(s % 13);
      if (rng() % 3 == 0) m["code"] = std::to_string(200 + rng() % 5);
      if (rng() % 4 == 0) m.erase("t" + std::to_string(rng() % 15));  // deletion vs base
      if (rng() % 5 == 0) m["t3"] = "override" + std::to_string(s);
      if (rng() % 7 == 0) m["a_first"] = "x";  // sorts before all base names
      if (rng() % 7 == 0) m["zz_last"] = "y";
      sets.push_back(m);
      handles.push_back(store.Add(Pairs(&syms, m), &base));
      ASSERT_NE(handles.back(), LabelStore::kNoBase);
    }
  }
  std::vector<SymPair> got;
  for (size_t i = 0; i < sets.size(); ++i) {
    store.Decode(handles[i], &got, less);
    EXPECT_EQ(got, Pairs(&syms, sets[i])) << i;
  }
  // Diffs must make the store much smaller than full records would be (~17 pairs x 3 B).
  EXPECT_LT(store.UsedBytes(), sets.size() * 20);
}

TEST(LabelStore, RejectsHugeRecord) {
  SymbolTable syms;
  LabelStore store;
  std::vector<SymPair> pairs;
  for (uint32_t i = 0; i < 5000; ++i) pairs.emplace_back(100000 + i, 200000 + i);
  uint32_t base = LabelStore::kNoBase;
  EXPECT_EQ(store.Add(pairs, &base), LabelStore::kNoBase);
}

TEST(SeriesHash, InsertFindEraseWithCollisions) {
  SeriesHash h;
  std::map<uint32_t, uint64_t> hashes;
  // Many ids share 32-bit fragments (forced collisions) to exercise label comparison.
  for (uint32_t id = 1; id <= 6000; ++id) {
    uint64_t hash = (uint64_t(id % 997) << 32) | id;
    hashes[id] = hash;
    h.Insert(hash, id);
  }
  auto find = [&](uint32_t id) { return h.Find(hashes[id], [&](uint32_t c) { return c == id; }); };
  for (uint32_t id = 1; id <= 6000; ++id) ASSERT_EQ(find(id), id);
  for (uint32_t id = 1; id <= 6000; id += 3) h.Erase(hashes[id], id);
  for (uint32_t id = 1; id <= 6000; ++id) {
    ASSERT_EQ(find(id), (id - 1) % 3 == 0 ? SeriesHash::kNone : id) << id;
  }
  EXPECT_EQ(h.size(), 6000u - 2000u);
}

// Owners are slots of a vector; the relocator moves cells and updates the slot.
class VectorRelocator : public Slab::Relocator {
 public:
  std::vector<uint32_t> handles;
  Slab* slab = nullptr;
  bool refuse = false;
  bool Relocate(uint32_t owner, uint32_t from, uint32_t to, uint32_t) override {
    if (refuse) return false;
    EXPECT_EQ(handles[owner], from);
    std::memcpy(slab->Data(to), slab->Data(from), Slab::CellBytes(from));
    handles[owner] = to;
    return true;
  }
};

TEST(Slab, AllocFreeCompacts) {
  VectorRelocator rel;
  Slab slab(&rel);
  rel.slab = &slab;
  EXPECT_EQ(Slab::ClassFor(1), 0);
  EXPECT_EQ(Slab::ClassFor(33), 1);
  EXPECT_EQ(Slab::ClassFor(1024), Slab::kNumClasses - 1);
  EXPECT_EQ(Slab::ClassFor(1025), -1);
  constexpr uint32_t kN = 20000;
  rel.handles.resize(kN);
  for (uint32_t i = 0; i < kN; ++i) {
    uint32_t h = slab.Alloc(int(i % 3), i);
    std::memset(slab.Data(h), int(i & 0xff), Slab::CellBytes(h));
    rel.handles[i] = h;
  }
  size_t full = slab.MemoryBytes();
  // Free every other cell: the slab stays dense, so resident bytes halve.
  for (uint32_t i = 0; i < kN; i += 2) {
    uint32_t h = rel.handles[i];
    rel.handles[i] = 0;
    slab.Free(h, UINT32_MAX);
  }
  EXPECT_LE(slab.MemoryBytes(), full / 2 + 3 * 4);
  for (uint32_t i = 1; i < kN; i += 2) {
    uint8_t* p = slab.Data(rel.handles[i]);
    for (uint32_t b = 0; b < Slab::CellBytes(rel.handles[i]); ++b) ASSERT_EQ(p[b], i & 0xff);
  }
  // A refused relocation leaves a hole that the next Alloc reuses.
  rel.refuse = true;
  size_t before = slab.MemoryBytes();
  uint32_t h = rel.handles[1];
  rel.handles[1] = 0;
  slab.Free(h, UINT32_MAX);
  EXPECT_EQ(slab.MemoryBytes(), before);
  uint32_t again = slab.Alloc(Slab::ClassOf(h), 1);
  EXPECT_EQ(again, h);
  EXPECT_EQ(slab.MemoryBytes(), before);
  rel.refuse = false;
  // Freeing everything returns all cells.
  rel.handles[1] = again;
  for (uint32_t i = 1; i < kN; i += 2) {
    uint32_t x = rel.handles[i];
    rel.handles[i] = 0;
    slab.Free(x, UINT32_MAX);
  }
  EXPECT_EQ(slab.MemoryBytes(), 0u);
  EXPECT_EQ(slab.UsedBytes(), 0u);
}

// A small series universe for matcher tests.
class PostingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // id: labels
    Add(1, {{"__name__", "up"}, {"job", "api"}, {"env", "prod"}});
    Add(2, {{"__name__", "up"}, {"job", "api"}, {"env", "dev"}});
    Add(3, {{"__name__", "up"}, {"job", "db"}});
    Add(4, {{"__name__", "req"}, {"job", "api"}, {"code", "200"}});
    Add(5, {{"__name__", "req"}, {"job", "api"}, {"code", "500"}, {"env", "prod"}});
    Add(6, {{"__name__", "req"}, {"job", "web"}, {"code", ""}});  // empty value = absent
  }
  void Add(uint32_t id, std::map<std::string, std::string> m) {
    std::vector<SymPair> pairs;
    std::map<std::string, std::string> stored;
    for (const auto& [n, v] : m) {
      if (v.empty()) continue;
      pairs.emplace_back(syms_.Intern(n), syms_.Intern(v));
      stored[n] = v;
    }
    index_.Add(id, pairs);
    series_[id] = stored;
  }
  std::vector<uint32_t> Select(const std::vector<Matcher>& ms) {
    Bitmap b = index_.Select(ms);
    std::vector<uint32_t> out(roaring_bitmap_get_cardinality(b.get()));
    roaring_bitmap_to_uint32_array(b.get(), out.data());
    return out;
  }
  // The reference: a linear scan with Matcher::Matches (absent reads as "").
  std::vector<uint32_t> Scan(const std::vector<Matcher>& ms) {
    std::vector<uint32_t> out;
    for (const auto& [id, m] : series_) {
      bool all = true;
      for (const auto& mt : ms) {
        auto it = m.find(mt.name());
        all = all && mt.Matches(it == m.end() ? "" : it->second);
      }
      if (all) out.push_back(id);
    }
    return out;
  }
  SymbolTable syms_;
  PostingsIndex index_{&syms_};
  std::map<uint32_t, std::map<std::string, std::string>> series_;
};

struct MatcherCase {
  std::vector<std::tuple<MatchType, std::string, std::string>> ms;
  std::vector<uint32_t> want;
};

TEST_F(PostingsTest, MatcherSemanticsTable) {
  using MT = MatchType;
  const std::vector<MatcherCase> cases = {
      {{{MT::kEqual, "__name__", "up"}}, {1, 2, 3}},
      {{{MT::kEqual, "__name__", "up"}, {MT::kEqual, "job", "api"}}, {1, 2}},
      {{{MT::kEqual, "__name__", "up"}, {MT::kNotEqual, "job", "api"}}, {3}},
      {{{MT::kEqual, "__name__", "up"}, {MT::kEqual, "env", ""}}, {3}},            // absent
      {{{MT::kEqual, "__name__", "up"}, {MT::kNotEqual, "env", ""}}, {1, 2}},      // present
      {{{MT::kEqual, "__name__", "up"}, {MT::kNotEqual, "env", "prod"}}, {2, 3}},  // keeps absent
      {{{MT::kEqual, "__name__", "req"}, {MT::kRegexMatch, "code", "2.."}}, {4}},
      {{{MT::kEqual, "__name__", "req"}, {MT::kRegexMatch, "code", "2..|"}}, {4, 6}},
      {{{MT::kEqual, "__name__", "req"}, {MT::kRegexNoMatch, "code", "5.."}}, {4, 6}},
      {{{MT::kEqual, "__name__", "req"}, {MT::kRegexNoMatch, "code", ".+"}}, {6}},
      {{{MT::kEqual, "__name__", "req"}, {MT::kRegexMatch, "code", ".*"}}, {4, 5, 6}},
      {{{MT::kEqual, "__name__", "req"}, {MT::kRegexMatch, "code", ".+"}}, {4, 5}},
      {{{MT::kRegexMatch, "job", "api|db"}}, {1, 2, 3, 4, 5}},
      {{{MT::kRegexMatch, "job", "a.*"}, {MT::kRegexNoMatch, "env", "prod|dev"}}, {4}},
      {{{MT::kEqual, "nope", "x"}}, {}},
      {{{MT::kEqual, "job", "nope"}}, {}},
      {{{MT::kRegexMatch, "job", "nope|zzz"}}, {}},
      // Regression: a literal followed by a regex alternative ("web|d.*") selected only
      // the literal's series (Matcher left {"web"} in SetMatches()).
      {{{MT::kRegexMatch, "job", "web|d.*"}}, {3, 6}},
      {{{MT::kEqual, "__name__", "up"}, {MT::kNotEqual, "nope", "x"}}, {1, 2, 3}},
      {{{MT::kEqual, "__name__", "up"}, {MT::kRegexMatch, "nope", ".*"}}, {1, 2, 3}},
      {{{MT::kEqual, "__name__", "up"}, {MT::kEqual, "nope", ""}}, {1, 2, 3}},
      {{{MT::kNotEqual, "job", ""}}, {1, 2, 3, 4, 5, 6}},
      {{{MT::kEqual, "env", ""}}, {3, 4, 6}},  // only empty-matching: start from all
      {{{MT::kEqual, "__name__", "up"}, {MT::kRegexNoMatch, "job", "a.*|d.*"}}, {}},
  };
  for (const auto& c : cases) {
    std::vector<Matcher> ms;
    std::string desc;
    for (const auto& [t, n, v] : c.ms) {
      auto m = Matcher::Make(t, n, v);
      ASSERT_TRUE(m.has_value());
      desc += m->ToString() + " ";
      ms.push_back(*m);
    }
    EXPECT_EQ(Select(ms), c.want) << desc;
    EXPECT_EQ(Scan(ms), c.want) << "reference disagrees: " << desc;
  }
}

TEST_F(PostingsTest, LabelValuesAndNames) {
  EXPECT_EQ(index_.LabelValues("job", nullptr), (std::vector<std::string>{"api", "db", "web"}));
  auto m = *Matcher::Make(MatchType::kEqual, "__name__", "up");
  Bitmap sel = index_.Select({m});
  EXPECT_EQ(index_.LabelValues("job", sel.get()), (std::vector<std::string>{"api", "db"}));
  EXPECT_EQ(index_.LabelValues("code", sel.get()), std::vector<std::string>{});
  EXPECT_EQ(index_.LabelNames(sel.get()), (std::vector<std::string>{"__name__", "env", "job"}));
  EXPECT_EQ(index_.LabelNames(nullptr),
            (std::vector<std::string>{"__name__", "code", "env", "job"}));
  // After removing series 4 and 5, "code" has no series left and disappears.
  index_.Remove(4, {{syms_.Find("__name__"), syms_.Find("req")},
                    {syms_.Find("job"), syms_.Find("api")},
                    {syms_.Find("code"), syms_.Find("200")}});
  index_.Remove(5, {{syms_.Find("__name__"), syms_.Find("req")},
                    {syms_.Find("job"), syms_.Find("api")},
                    {syms_.Find("code"), syms_.Find("500")},
                    {syms_.Find("env"), syms_.Find("prod")}});
  EXPECT_EQ(index_.LabelNames(nullptr), (std::vector<std::string>{"__name__", "env", "job"}));
}

TEST_F(PostingsTest, Stats) {
  PostingsStats st = index_.Stats(2);
  ASSERT_EQ(st.series_count_by_metric_name.size(), 2u);
  EXPECT_EQ(st.series_count_by_metric_name[0].name, "req");
  EXPECT_EQ(st.series_count_by_metric_name[0].value, 3u);
  EXPECT_EQ(st.series_count_by_metric_name[1].name, "up");
  ASSERT_EQ(st.label_value_count_by_label_name.size(), 2u);
  EXPECT_EQ(st.label_value_count_by_label_name[0].value, 3u);  // job or __name__... job=3
  EXPECT_EQ(st.series_count_by_label_value_pair[0].name, "job=api");
  EXPECT_EQ(st.series_count_by_label_value_pair[0].value, 4u);
  index_.RunOptimize();
  EXPECT_GT(index_.MemoryBytes(), 0u);
}

}  // namespace
}  // namespace vigil::tsdb
