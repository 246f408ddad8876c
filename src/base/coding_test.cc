#include "base/coding.h"

#include <gtest/gtest.h>

#include <limits>

namespace vigil {
namespace {

TEST(CodingTest, Crc32cKnownVectors) {
  // RFC 3720 B.4 test vectors for CRC-32C.
  std::string zeros(32, '\0');
  EXPECT_EQ(Crc32cOf(zeros), 0x8A9136AAu);
  std::string ones(32, '\xff');
  EXPECT_EQ(Crc32cOf(ones), 0x62A8AB43u);
  EXPECT_EQ(Crc32cOf("123456789"), 0xE3069283u);
  // Incremental equals one-shot.
  EXPECT_EQ(Crc32cOf("6789", Crc32cOf("12345")), 0xE3069283u);
}

TEST(CodingTest, VarintRoundTrip) {
  std::string buf;
  const int64_t vals[] = {0,
                          1,
                          -1,
                          63,
                          -64,
                          64,
                          1 << 20,
                          -(1ll << 40),
                          std::numeric_limits<int64_t>::max(),
                          std::numeric_limits<int64_t>::min()};
  for (int64_t v : vals) PutVarint(&buf, v);
  PutUvarint(&buf, std::numeric_limits<uint64_t>::max());
  std::string_view in(buf);
  for (int64_t v : vals) {
    int64_t got;
    ASSERT_TRUE(GetVarint(&in, &got));
    EXPECT_EQ(got, v);
  }
  uint64_t u;
  ASSERT_TRUE(GetUvarint(&in, &u));
  EXPECT_EQ(u, std::numeric_limits<uint64_t>::max());
  EXPECT_TRUE(in.empty());
}

TEST(CodingTest, VarintRejectsTruncationAndOverflow) {
  std::string_view trunc("\x80\x80", 2);
  uint64_t u;
  EXPECT_FALSE(GetUvarint(&trunc, &u));
  std::string over(10, '\xff');
  over += '\x01';
  std::string_view o(over);
  EXPECT_FALSE(GetUvarint(&o, &u));
}

TEST(CodingTest, BigEndian) {
  std::string b;
  PutBE32(&b, 0xBAAAD700u);
  EXPECT_EQ(b, std::string("\xBA\xAA\xD7\x00", 4));
  PutBE64(&b, 0x0102030405060708ull);
  EXPECT_EQ(DecodeBE64(b.data() + 4), 0x0102030405060708ull);
}

}  // namespace
}  // namespace vigil
