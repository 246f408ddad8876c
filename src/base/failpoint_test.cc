#include "base/failpoint.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <cerrno>
#include <string>
#include <vector>

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
  const char* bad[] = {"noequals",   "=kill",    "x=explode", "x=kill@",     "x=kill@0",
                       "x=kill@2z",  "x=killer", "x=eio**",   "x=eio@3..2",  "x=eio@..2",
                       "x=eio@1..z", "x[=eio",   "x[]=eio",   "x[$]=eio",    "x[a]eio",
                       "[a]=eio",    "x[a]=",    "x=eio@1.2", "x=enospc@-1", "x=eio@"};
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

// Which of `n` hits of `name` on `subject` inject an error: "EIO", "ENOSPC" or "-".
std::string Pattern(std::string_view name, int n, std::string_view subject = {}) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    const int err = InjectedErrno(name, subject);
    out += err == 0 ? "-" : err == EIO ? "EIO" : err == ENOSPC ? "ENOSPC" : "?";
    out += ' ';
  }
  if (!out.empty()) out.pop_back();
  return out;
}

TEST(FailpointError, UnarmedPointsReturnOK) {
  ASSERT_TRUE(Configure("").ok());
  EXPECT_EQ(internal::state.load(), 0);
  EXPECT_EQ(InjectedErrno("fs.sync", "/a"), 0);
  EXPECT_TRUE(Error("fs.sync", "/a").ok());
}

TEST(FailpointError, HitSelectors) {
  struct Case {
    const char* spec;
    const char* want;  // 6 hits of "p"
  } cases[] = {
      {"p=eio", "EIO - - - - -"},
      {"p=enospc@3", "- - ENOSPC - - -"},
      {"p=eio@2..4", "- EIO EIO EIO - -"},
      {"p=eio@5..", "- - - - EIO EIO"},
      {"p=eio*", "EIO EIO EIO EIO EIO EIO"},
      {"p=eio@2..2", "- EIO - - - -"},
      {"other=eio*", "- - - - - -"},
      // Two entries of one name count their own hits; the first that fires wins.
      {"p=eio@2;p=enospc@2..3", "- EIO ENOSPC - - -"},
  };
  for (const Case& c : cases) {
    ASSERT_TRUE(Configure(c.spec).ok()) << c.spec;
    EXPECT_EQ(Pattern("p", 6), c.want) << c.spec;
  }
  ASSERT_TRUE(Configure("").ok());
}

TEST(FailpointError, FiltersCountOnlyMatchingSubjects) {
  ASSERT_TRUE(Configure("fs.sync[/wal/0]=eio@2; fs.sync[/data$]=enospc*").ok());
  EXPECT_EQ(Pattern("fs.sync", 2, "/data/chunks_head/000001"), "- -");
  EXPECT_EQ(Pattern("fs.sync", 1, "/data/wal/00000003"), "-");
  EXPECT_EQ(Pattern("fs.sync", 1, "/data/wal/checkpoint.00000002/00000000"), "-");
  EXPECT_EQ(Pattern("fs.sync", 2, "/data/wal/00000004"), "EIO -");
  EXPECT_EQ(Pattern("fs.sync", 2, "/data"), "ENOSPC ENOSPC");
  EXPECT_EQ(Pattern("fs.sync", 1, "/data/x"), "-");   // '$' anchors at the end
  EXPECT_EQ(Pattern("fs.syncdir", 1, "/data"), "-");  // another name
  ASSERT_TRUE(Configure("").ok());
}

TEST(FailpointError, ErrorCarriesStrerror) {
  ASSERT_TRUE(Configure("x.point=enospc;y.point=eio").ok());
  Status s = Error("x.point", "/some/file");
  EXPECT_EQ(s.code(), StatusCode::kIOError);
  EXPECT_EQ(s.message(), "failpoint x.point /some/file: No space left on device");
  EXPECT_TRUE(Error("x.point", "/some/file").ok());  // only the first hit
  EXPECT_EQ(Error("y.point").message(), "failpoint y.point: Input/output error");
  ASSERT_TRUE(Configure("").ok());
}

TEST(FailpointError, InjectionIsReportedOnStderr) {
  EXPECT_EXIT(
      {
        if (!Configure("fs.sync[wal]=eio@2").ok()) _exit(3);
        const int a = InjectedErrno("fs.sync", "/d/wal/1");
        const int b = InjectedErrno("fs.sync", "/d/wal/2");
        _exit(a == 0 && b == EIO ? 0 : 4);
      },
      ::testing::ExitedWithCode(0), "failpoint fs.sync hit 2 \\(/d/wal/2\\): injecting EIO");
}

TEST(FailpointError, KillAtAnErrorPointAndErrorAtAKillPoint) {
  // An error action at a kill-only point is counted and ignored.
  ASSERT_TRUE(Configure("db.test.point=eio@1..2").ok());
  VIGIL_FAILPOINT("db.test.point");
  EXPECT_EQ(InjectedErrno("db.test.point"), EIO);  // hit 2
  EXPECT_EQ(InjectedErrno("db.test.point"), 0);
  // A kill action at an error point kills, filtered like an error.
  EXPECT_EXIT(
      {
        if (!Configure("fs.sync[blk]=kill@2").ok()) _exit(3);
        if (InjectedErrno("fs.sync", "/wal/1") != 0) _exit(4);
        if (InjectedErrno("fs.sync", "/blk/1") != 0) _exit(5);
        if (InjectedErrno("fs.sync", "/wal/2") != 0) _exit(6);
        (void)InjectedErrno("fs.sync", "/blk/2");
        _exit(0);
      },
      ::testing::KilledBySignal(SIGKILL), "failpoint fs.sync hit 2: raising SIGKILL");
  ASSERT_TRUE(Configure("").ok());
}

}  // namespace
}  // namespace vigil::failpoint
