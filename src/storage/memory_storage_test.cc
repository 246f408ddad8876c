#include "storage/memory_storage.h"

#include <gtest/gtest.h>

#include "storage/series.h"

namespace vigil::storage {
namespace {

TEST(MemoryStorageTest, AppendCommitSelect) {
  MemoryStorage s;
  auto app = s.NewAppender();
  ASSERT_TRUE(app->Append(0, Labels{{"__name__", "up"}, {"job", "a"}}, 1000, 1).has_value());
  ASSERT_TRUE(app->Append(0, Labels{{"__name__", "up"}, {"job", "b"}}, 1000, 0).has_value());
  ASSERT_TRUE(app->Commit().ok());

  auto q = *s.NewQuerier(0, 2000);
  auto m = *Matcher::Make(MatchType::kEqual, "job", "b");
  auto set = q->Select(Context::Background(), true, nullptr, {m});
  ASSERT_TRUE(set->Next());
  EXPECT_EQ(set->At().labels().Get("job"), "b");
  auto it = set->At().Iterator();
  ASSERT_TRUE(it->Next());
  EXPECT_EQ(it->AtT(), 1000);
  EXPECT_EQ(it->AtV(), 0);
  EXPECT_FALSE(it->Next());
  EXPECT_FALSE(set->Next());

  auto vals = q->LabelValues(Context::Background(), "job", {}, 0);
  ASSERT_TRUE(vals.has_value());
  EXPECT_EQ(*vals, (std::vector<std::string>{"a", "b"}));
}

TEST(MemoryStorageTest, UncommittedIsInvisible) {
  MemoryStorage s;
  auto app = s.NewAppender();
  ASSERT_TRUE(app->Append(0, Labels{{"__name__", "x"}}, 1, 1).has_value());
  ASSERT_TRUE(app->Rollback().ok());
  EXPECT_EQ(s.NumSeries(), 0u);
}

TEST(ListSampleIteratorTest, NextBatch) {
  std::vector<Sample> samples;
  for (int i = 0; i < 10; ++i) samples.push_back({i * 10, double(i)});
  ListSampleIterator it(&samples);
  int64_t ts[4];
  double vs[4];
  ASSERT_EQ(it.NextBatch(ts, vs, 4), 4u);
  EXPECT_EQ(ts[0], 0);
  EXPECT_EQ(vs[3], 3);
  EXPECT_EQ(it.AtT(), 30);  // stands on the last sample read
  ASSERT_TRUE(it.Next());
  EXPECT_EQ(it.AtT(), 40);
  ASSERT_EQ(it.NextBatch(ts, vs, 4), 4u);
  EXPECT_EQ(ts[0], 50);
  EXPECT_EQ(it.NextBatch(ts, vs, 4), 1u);  // exhausted
  EXPECT_EQ(ts[0], 90);
  EXPECT_EQ(it.NextBatch(ts, vs, 4), 0u);
  EXPECT_FALSE(it.Next());
  // The default implementation (Next/AtT/AtV) behaves the same.
  ListSampleIterator it2(&samples);
  ASSERT_TRUE(it2.Seek(75));
  EXPECT_EQ(it2.AtT(), 80);
  EXPECT_EQ(it2.SampleIterator::NextBatch(ts, vs, 4), 1u);
  EXPECT_EQ(ts[0], 90);
}

}  // namespace
}  // namespace vigil::storage
