#include "base/failpoint.h"

#include <gtest/gtest.h>
#include <signal.h>

namespace vigil::failpoint {
namespace {

TEST(Failpoint, UnarmedPointsPass) {
  ASSERT_TRUE(Configure("").ok());
  for (int i = 0; i < 3; ++i) VIGIL_FAILPOINT("db.test.point");
  SUCCEED();
}

TEST(Failpoint, KillAtTheFirstHit) {
  EXPECT_EXIT(
      {
        if (!Configure("other=kill;db.test.point=kill").ok()) _exit(3);
        VIGIL_FAILPOINT("db.test.unrelated");
        VIGIL_FAILPOINT("db.test.point");
        _exit(0);
      },
      ::testing::KilledBySignal(SIGKILL), "failpoint db.test.point hit 1: raising SIGKILL");
}

TEST(Failpoint, KillAtTheNthHit) {
  EXPECT_EXIT(
      {
        if (!Configure("db.test.point=kill@3").ok()) _exit(3);
        VIGIL_FAILPOINT("db.test.point");
        VIGIL_FAILPOINT("db.test.point");
        fprintf(stderr, "two hits passed\n");
        VIGIL_FAILPOINT("db.test.point");
        _exit(0);
      },
      ::testing::KilledBySignal(SIGKILL), "two hits passed\nfailpoint db.test.point hit 3");
}

TEST(Failpoint, ReadsTheEnvironmentOnce) {
  EXPECT_EXIT(
      {
        setenv("VIGIL_FAILPOINTS", "a=kill@2, db.test.env=kill", 1);
        internal::state.store(1);  // as at process start
        VIGIL_FAILPOINT("a");
        setenv("VIGIL_FAILPOINTS", "", 1);  // read already: no effect
        VIGIL_FAILPOINT("db.test.env");
        _exit(0);
      },
      ::testing::KilledBySignal(SIGKILL), "failpoint db.test.env hit 1");
}

TEST(Failpoint, MalformedSpecsAreRejectedAndDisarm) {
  const char* bad[] = {"noequals", "=kill", "x=explode", "x=kill@", "x=kill@0", "x=kill@2z"};
  for (const char* spec : bad) {
    Status s = Configure(spec);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << spec;
    EXPECT_EQ(internal::state.load(), 0) << spec;
  }
  EXPECT_TRUE(Configure(" ; x=kill@2 ,").ok());
  EXPECT_EQ(internal::state.load(), 2);
  VIGIL_FAILPOINT("x");  // first hit of kill@2 passes
  ASSERT_TRUE(Configure("").ok());
  VIGIL_FAILPOINT("x");
  EXPECT_EQ(internal::state.load(), 0);
}

}  // namespace
}  // namespace vigil::failpoint
