#include "tsdb/chunkenc/bstream.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace vigil::tsdb::chunkenc {
namespace {

TEST(BitStreamTest, PutBitsIsMsbFirst) {
  std::vector<uint8_t> buf(16, 0xAA);  // garbage past the write position must be overwritten
  buf[0] = 0;
  PutBits(buf.data(), 0, 0b1, 1);
  PutBits(buf.data(), 1, 0b01, 2);
  PutBits(buf.data(), 3, 0b11111, 5);
  PutBits(buf.data(), 8, 0xABC, 12);
  EXPECT_EQ(buf[0], 0b10111111);
  EXPECT_EQ(buf[1], 0xAB);
  EXPECT_EQ(buf[2], 0xC0);
  EXPECT_EQ(buf[3], 0x00);
}

TEST(BitStreamTest, PutBitsKeepsEarlierBitsAndSpillsIntoNinthByte) {
  std::vector<uint8_t> buf(16, 0);
  PutBits(buf.data(), 0, 0b101, 3);
  PutBits(buf.data(), 3, ~uint64_t(0), 64);  // bits 3..66
  EXPECT_EQ(buf[0], 0b10111111);
  for (int i = 1; i < 8; ++i) EXPECT_EQ(buf[i], 0xFF) << i;
  EXPECT_EQ(buf[8], 0b11100000);
  EXPECT_EQ(buf[9], 0);
}

TEST(BitStreamTest, RandomWidthsRoundTrip) {
  std::mt19937_64 rng(7);
  struct Item {
    uint64_t v;
    int n;
  };
  std::vector<Item> items;
  uint64_t total = 0;
  for (int i = 0; i < 20000; ++i) {
    int n = int(rng() % 64) + 1;
    uint64_t v = rng();
    if (n < 64) v &= (uint64_t(1) << n) - 1;
    items.push_back({v, n});
    total += uint64_t(n);
  }
  std::vector<uint8_t> buf(total / 8 + 16, 0);
  uint64_t pos = 0;
  for (const Item& it : items) {
    PutBits(buf.data(), pos, it.v, it.n);
    pos += uint64_t(it.n);
  }
  const size_t len = size_t((pos + 7) / 8);
  BitReader br(buf.data(), len);
  for (size_t i = 0; i < items.size(); ++i) {
    ASSERT_EQ(br.ReadWide(items[i].n), items[i].v) << "item " << i;
  }
  EXPECT_FALSE(br.Overrun());
  EXPECT_EQ(br.BitPosition(buf.data()), pos);
}

TEST(BitStreamTest, ReaderYieldsZerosPastTheEndAndReportsOverrun) {
  const uint8_t data[3] = {0xFF, 0x01, 0x80};
  BitReader br(data, sizeof(data));
  EXPECT_EQ(br.Read(8), 0xFFu);
  EXPECT_EQ(br.Read(9), 0x3u);  // 0000 0001 1
  EXPECT_FALSE(br.Overrun());
  EXPECT_EQ(br.Read(7), 0u);  // exactly the last bits
  EXPECT_FALSE(br.Overrun());
  EXPECT_EQ(br.Read(1), 0u);  // one bit too many
  EXPECT_TRUE(br.Overrun());
  EXPECT_EQ(br.ReadWide(64), 0u);
  EXPECT_TRUE(br.Overrun());
}

TEST(BitStreamTest, EmptyInputOverrunsOnFirstBit) {
  BitReader br(nullptr, 0);
  EXPECT_FALSE(br.Overrun());
  EXPECT_FALSE(br.ReadBit());
  EXPECT_TRUE(br.Overrun());
}

}  // namespace
}  // namespace vigil::tsdb::chunkenc
