#include "base/status.h"

#include <gtest/gtest.h>

#include "base/result.h"

namespace vigil {
namespace {

TEST(StatusTest, OkIsDefaultAndCheap) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
  EXPECT_EQ(s.ErrorType(), "");
}

TEST(StatusTest, CodesMapOntoPrometheusErrorTypes) {
  EXPECT_EQ(Status::InvalidArgument("x").ErrorType(), "bad_data");
  EXPECT_EQ(Status::DeadlineExceeded("x").ErrorType(), "timeout");
  EXPECT_EQ(Status::Cancelled("x").ErrorType(), "canceled");
  EXPECT_EQ(Status::ResourceExhausted("x").ErrorType(), "execution");
  EXPECT_EQ(Status::Unavailable("x").ErrorType(), "unavailable");
  EXPECT_EQ(Status::NotFound("x").ErrorType(), "not_found");
  EXPECT_EQ(Status::Corruption("x").ErrorType(), "internal");
}

TEST(StatusTest, PrefixKeepsCode) {
  Status s = Status::Corruption("bad crc").WithPrefix("segment 3");
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_EQ(s.message(), "segment 3: bad crc");
}

Result<int> Half(int x) {
  if (x % 2) return Status::InvalidArgument("odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  VIGIL_ASSIGN_OR_RETURN(int h, Half(x));
  VIGIL_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(ResultTest, PropagatesErrors) {
  EXPECT_EQ(*Quarter(8), 2);
  auto r = Quarter(6);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message(), "odd");
  EXPECT_EQ(r.value_or(-1), -1);
}

TEST(ResultTest, OkStatusBecomesInternalError) {
  Result<int> r(Status::OK());
  EXPECT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace vigil
