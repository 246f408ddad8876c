// Corruption of an index file: every single-byte change is either refused by Open() with
// Corruption or reported by Verify(); reading a damaged file never crashes.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <set>

#include "fs/temp_dir.h"
#include "tsdb/index/index_reader.h"
#include "tsdb/index/index_writer.h"
#include "tsdb/index/postings_for_matchers.h"

namespace vigil::tsdb::index {
namespace {

std::string SmallIndex() {
  fs::TempDir dir;
  const std::string path = dir.Sub("index");
  auto w = IndexWriter::Create(path);
  EXPECT_TRUE(w.has_value());
  std::vector<Labels> series;
  for (int i = 0; i < 12; ++i) {
    series.push_back(Labels{{"__name__", i < 6 ? "m1" : "m2"},
                            {"i", std::to_string(i)},
                            {"job", i % 3 == 0 ? "ä" : "j"}});
  }
  std::sort(series.begin(), series.end());
  std::set<std::string> syms = {""};
  for (const auto& l : series) {
    for (const auto& lv : l) {
      syms.emplace(lv.name);
      syms.emplace(lv.value);
    }
  }
  for (const auto& s : syms) EXPECT_TRUE((*w)->AddSymbol(s).ok());
  uint64_t ref = 8;
  for (const auto& l : series) {
    chunks::Meta a, b;
    a.mint = 1000;
    a.maxt = 2000;
    a.ref = ref;
    b.mint = 2001;
    b.maxt = 9000;
    b.ref = ref + 40;
    ref += 100;
    EXPECT_TRUE((*w)->AddSeries(l, {a, b}).has_value());
  }
  EXPECT_TRUE((*w)->Close().ok());
  return fs::ReadFileToString(fs::DefaultFileSystem(), path).value_or("");
}

// Reads everything a querier could read; returns the number of errors seen.
int ReadAll(const IndexReader& ir) {
  int errors = 0;
  if (!ir.ForEachSymbol([](std::string_view) { return Status::OK(); }).ok()) ++errors;
  for (const std::string& n : ir.LabelNames()) {
    auto vs = ir.LabelValues(n);
    if (!vs.has_value()) {
      ++errors;
      continue;
    }
    for (const std::string& v : *vs) {
      if (!ir.ReadPostings(n, v).has_value()) ++errors;
    }
  }
  auto all = ir.AllPostings();
  if (!all.has_value()) return errors + 1;
  Labels l;
  std::vector<chunks::Meta> chks;
  for (uint32_t i = 0; i < all->size(); ++i) {
    if (!ir.Series((*all)[i], &l, &chks).ok()) ++errors;
  }
  auto m = Matcher::Make(MatchType::kRegexMatch, "job", ".+");
  if (!PostingsForMatchers(ir, {*m}).has_value()) ++errors;
  return errors;
}

TEST(IndexCorruptionTest, EveryFlippedByteIsDetected) {
  const std::string good = SmallIndex();
  ASSERT_GT(good.size(), 200u);
  {
    auto r = IndexReader::FromBytes(good, nullptr, "good");
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(ReadAll(**r), 0);
  }
  int refused = 0, reported = 0;
  for (size_t pos = 0; pos < good.size(); ++pos) {
    for (uint8_t mask : {0x01, 0x80}) {
      auto bad = std::make_shared<std::string>(good);
      (*bad)[pos] = char(uint8_t((*bad)[pos]) ^ mask);
      auto r = IndexReader::FromBytes(*bad, bad, "bad");
      if (!r.has_value()) {
        EXPECT_TRUE(r.error().IsCorruption()) << pos << ": " << r.error().ToString();
        ++refused;
        continue;
      }
      // Version 2 -> 3 is a valid file (same layout), not detectable damage.
      if (pos == 4 && (*r)->version() == kFormatV3) continue;
      ReadAll(**r);  // must not crash; may or may not hit the damage
      auto problems =
          (*r)->Verify([](SeriesRef, const Labels&, const std::vector<chunks::Meta>&) {});
      EXPECT_FALSE(problems.empty())
          << "flip of bit mask " << int(mask) << " at byte " << pos << " went unnoticed";
      ++reported;
    }
  }
  // Both paths are exercised: table damage at open, series/postings damage by Verify.
  EXPECT_GT(refused, 0);
  EXPECT_GT(reported, 0);
}

TEST(IndexCorruptionTest, TruncatedFilesAreRefused) {
  const std::string good = SmallIndex();
  for (size_t n = 0; n < good.size(); n += 7) {
    auto r = IndexReader::FromBytes(std::string_view(good).substr(0, n), nullptr, "cut");
    ASSERT_FALSE(r.has_value()) << n;
    EXPECT_TRUE(r.error().IsCorruption()) << r.error().ToString();
  }
}

TEST(IndexCorruptionTest, MessagesNameSectionAndOffset) {
  std::string bad = SmallIndex();
  auto r0 = IndexReader::FromBytes(bad, nullptr, "x");
  ASSERT_TRUE(r0.has_value());
  const uint64_t series = uint64_t((*(*r0)->AllPostings())[0]) * 16;  // first entry
  bad[series + 3] ^= 0x10;  // inside the first series entry
  auto r = IndexReader::FromBytes(bad, nullptr, "x");
  ASSERT_TRUE(r.has_value());
  auto problems = (*r)->Verify([](SeriesRef, const Labels&, const std::vector<chunks::Meta>&) {});
  ASSERT_FALSE(problems.empty());
  EXPECT_EQ(problems[0].section, "series");
  EXPECT_EQ(problems[0].offset, series);
  Labels l;
  std::vector<chunks::Meta> c;
  Status s = (*r)->Series(SeriesRef(series / 16), &l, &c);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(s.message().find("series at offset " + std::to_string(series)), std::string::npos)
      << s.ToString();

  std::string bad_toc = SmallIndex();
  bad_toc[bad_toc.size() - 10] ^= 1;
  auto r2 = IndexReader::FromBytes(bad_toc, nullptr, "x");
  ASSERT_FALSE(r2.has_value());
  EXPECT_NE(r2.error().message().find("TOC at offset"), std::string::npos);
}

}  // namespace
}  // namespace vigil::tsdb::index
