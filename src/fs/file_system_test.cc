#include "fs/file_system.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "base/failpoint.h"
#include "fs/fault_injecting_file_system.h"
#include "fs/temp_dir.h"

namespace vigil::fs {
namespace {

TEST(PosixFileSystemTest, WriteAppendReadTruncate) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  FileSystem* fs = DefaultFileSystem();
  const std::string p = dir.Sub("a/b/file");
  ASSERT_TRUE(fs->CreateDirs(DirName(p)).ok());
  {
    auto f = fs->NewWritableFile(p);
    ASSERT_TRUE(f.has_value()) << f.error().ToString();
    ASSERT_TRUE((*f)->Append("hello ").ok());
    ASSERT_TRUE((*f)->Append("world").ok());
    EXPECT_EQ((*f)->Size(), 11u);
    ASSERT_TRUE((*f)->Sync().ok());
    ASSERT_TRUE((*f)->Truncate(5).ok());
    ASSERT_TRUE((*f)->Append("!").ok());
    ASSERT_TRUE((*f)->Close().ok());
    EXPECT_FALSE((*f)->Append("x").ok());
  }
  EXPECT_EQ(*ReadFileToString(fs, p), "hello!");
  {
    auto f = fs->NewAppendableFile(p);
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ((*f)->Size(), 6u);
    ASSERT_TRUE((*f)->Append("?").ok());
  }
  EXPECT_EQ(*ReadFileToString(fs, p), "hello!?");
  auto r = fs->NewRandomAccessFile(p);
  ASSERT_TRUE(r.has_value());
  char buf[16];
  EXPECT_EQ(*(*r)->ReadAt(6, buf, 16), 1u);
  EXPECT_EQ(buf[0], '?');
  EXPECT_EQ(*(*r)->Size(), 7u);
  auto m = fs->MapFile(p);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(std::string_view((*m)->data(), (*m)->size()), "hello!?");
  auto names = fs->ListDir(dir.Sub("a/b"));
  ASSERT_TRUE(names.has_value());
  EXPECT_EQ(*names, std::vector<std::string>{"file"});
}

TEST(PosixFileSystemTest, MissingFileIsNotFound) {
  TempDir dir;
  FileSystem* fs = DefaultFileSystem();
  EXPECT_TRUE(fs->NewSequentialFile(dir.Sub("nope")).error().IsNotFound());
  EXPECT_TRUE(fs->FileSize(dir.Sub("nope")).error().IsNotFound());
  EXPECT_FALSE(fs->Exists(dir.Sub("nope")));
  EXPECT_TRUE(fs->RemoveAll(dir.Sub("nope")).ok());
}

TEST(PosixFileSystemTest, AtomicWriteAndRename) {
  TempDir dir;
  FileSystem* fs = DefaultFileSystem();
  ASSERT_TRUE(WriteFileAtomic(fs, dir.Sub("x"), "one").ok());
  ASSERT_TRUE(WriteFileAtomic(fs, dir.Sub("x"), "two").ok());
  EXPECT_EQ(*ReadFileToString(fs, dir.Sub("x")), "two");
  EXPECT_FALSE(fs->Exists(dir.Sub("x.tmp")));
  ASSERT_TRUE(fs->CreateDirs(dir.Sub("d1")).ok());
  ASSERT_TRUE(fs->Rename(dir.Sub("d1"), dir.Sub("d2")).ok());
  EXPECT_TRUE(fs->IsDirectory(dir.Sub("d2")));
}

TEST(PosixFileSystemTest, MapLargerThanFile) {
  TempDir dir;
  FileSystem* fs = DefaultFileSystem();
  auto f = fs->NewWritableFile(dir.Sub("grow"));
  ASSERT_TRUE(f.has_value());
  auto m = fs->MapFile(dir.Sub("grow"), 1 << 20);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ((*m)->size(), size_t(1) << 20);
  ASSERT_TRUE((*f)->Append("late data").ok());
  // A shared mapping sees data written after it was made.
  EXPECT_EQ(std::string_view((*m)->data(), 9), "late data");
}

// The error failpoints fail the real calls with the real calls' messages, only on the
// paths their filter names, and nothing else changes.
TEST(PosixFileSystemTest, FailpointsFailWriteSyncAndSyncDir) {
  TempDir dir;
  FileSystem* fs = DefaultFileSystem();
  ASSERT_TRUE(fs->CreateDirs(dir.Sub("wal")).ok());
  ASSERT_TRUE(failpoint::Configure("fs.sync[/wal/]=eio@2..;fs.write[/wal/]=enospc@2;"
                                   "fs.syncdir[/wal$]=eio")
                  .ok());
  auto w = fs->NewWritableFile(dir.Sub("wal/00000000"));
  auto other = fs->NewWritableFile(dir.Sub("other"));
  ASSERT_TRUE(w.has_value() && other.has_value());
  ASSERT_TRUE((*w)->Append("a").ok());
  Status s = (*w)->Append("b");
  EXPECT_EQ(s.code(), StatusCode::kIOError);
  EXPECT_EQ(s.message(), "write " + dir.Sub("wal/00000000") + ": No space left on device");
  EXPECT_EQ((*w)->Size(), 1u);  // nothing of the failed append was written
  ASSERT_TRUE((*w)->Append("c").ok());
  ASSERT_TRUE((*w)->Sync().ok());
  for (int i = 0; i < 2; ++i) {
    s = (*w)->Sync();
    EXPECT_EQ(s.message(), "fdatasync " + dir.Sub("wal/00000000") + ": Input/output error");
  }
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE((*other)->Append("x").ok());
    ASSERT_TRUE((*other)->Sync().ok());
  }
  EXPECT_TRUE(fs->SyncDir(dir.path()).ok());
  s = fs->SyncDir(dir.Sub("wal"));
  EXPECT_EQ(s.message(), "fsync " + dir.Sub("wal") + ": Input/output error");
  EXPECT_TRUE(fs->SyncDir(dir.Sub("wal")).ok());
  ASSERT_TRUE(failpoint::Configure("").ok());
  EXPECT_TRUE((*w)->Sync().ok());
  EXPECT_EQ(*ReadFileToString(fs, dir.Sub("wal/00000000")), "ac");
}

TEST(FaultInjectingFileSystemTest, ShortWriteThenEnospc) {
  TempDir dir;
  FaultInjectingFileSystem fs(DefaultFileSystem());
  auto f = fs.NewWritableFile(dir.Sub("f"));
  ASSERT_TRUE(f.has_value());
  fs.FailWritesAfter(4);
  Status s = (*f)->Append("abcdefgh");
  EXPECT_TRUE(s.IsIOError());
  EXPECT_NE(s.message().find("No space left"), std::string_view::npos) << s.ToString();
  EXPECT_EQ((*f)->Size(), 4u);
  EXPECT_FALSE((*f)->Append("x").ok());
  fs.ClearFaults();
  ASSERT_TRUE((*f)->Append("x").ok());
  EXPECT_EQ(*ReadFileToString(&fs, dir.Sub("f")), "abcdx");
  EXPECT_EQ(fs.bytes_appended(), 5u);
}

TEST(FaultInjectingFileSystemTest, PathFilterLimitsFaultsToMatchingFiles) {
  TempDir d;
  FaultInjectingFileSystem ffs(DefaultFileSystem());
  auto wal = ffs.NewWritableFile(JoinPath(d.path(), "wal-000001"));
  auto other = ffs.NewWritableFile(JoinPath(d.path(), "index"));
  ASSERT_TRUE(wal.has_value() && other.has_value());
  ffs.SetFaultPathFilter("wal-");
  ffs.FailWritesAfter(4, EIO);
  ffs.FailSyncs(ENOSPC);
  EXPECT_TRUE((*other)->Append("0123456789").ok());  // not filtered: no fault, no budget used
  EXPECT_TRUE((*other)->Sync().ok());
  Status s = (*wal)->Append("0123456789");
  EXPECT_TRUE(s.IsIOError());
  EXPECT_NE(s.ToString().find("Input/output error"), std::string::npos) << s.ToString();
  EXPECT_EQ((*wal)->Size(), 4u);  // the short write
  EXPECT_NE((*wal)->Sync().ToString().find("No space left on device"), std::string::npos);
  ffs.FailCreates(ENOSPC);
  EXPECT_TRUE(ffs.NewWritableFile(JoinPath(d.path(), "chunks")).has_value());
  EXPECT_FALSE(ffs.NewWritableFile(JoinPath(d.path(), "wal-000002")).has_value());
  EXPECT_TRUE(ffs.NewAppendableFile(JoinPath(d.path(), "wal-000001")).has_value());  // exists
  ffs.ClearFaults();
  EXPECT_TRUE((*wal)->Append("x").ok());
  EXPECT_TRUE((*wal)->Sync().ok());
  EXPECT_TRUE(ffs.NewWritableFile(JoinPath(d.path(), "wal-000002")).has_value());
}

TEST(FaultInjectingFileSystemTest, CrashDropsUnsyncedTail) {
  TempDir dir;
  FaultInjectingFileSystem fs(DefaultFileSystem());
  auto f = fs.NewWritableFile(dir.Sub("f"));
  ASSERT_TRUE(f.has_value());
  ASSERT_TRUE((*f)->Append("durable").ok());
  ASSERT_TRUE((*f)->Sync().ok());
  ASSERT_TRUE((*f)->Append("-lost").ok());
  auto g = fs.NewWritableFile(dir.Sub("never-synced"));
  ASSERT_TRUE((*g)->Append("gone").ok());
  ASSERT_TRUE(fs.DropUnsyncedData().ok());
  EXPECT_EQ(*ReadFileToString(&fs, dir.Sub("f")), "durable");
  EXPECT_EQ(*ReadFileToString(&fs, dir.Sub("never-synced")), "");
}

TEST(FaultInjectingFileSystemTest, FailedSyncDoesNotMakeDataDurable) {
  TempDir dir;
  FaultInjectingFileSystem fs(DefaultFileSystem());
  auto f = fs.NewWritableFile(dir.Sub("f"));
  ASSERT_TRUE((*f)->Append("abc").ok());
  fs.FailSyncs();
  EXPECT_TRUE((*f)->Sync().IsIOError());
  ASSERT_TRUE(fs.DropUnsyncedData().ok());
  EXPECT_EQ(*ReadFileToString(&fs, dir.Sub("f")), "");
}

TEST(FaultInjectingFileSystemTest, RenameCarriesSyncState) {
  TempDir dir;
  FaultInjectingFileSystem fs(DefaultFileSystem());
  ASSERT_TRUE(fs.CreateDirs(dir.Sub("tmp")).ok());
  auto f = fs.NewWritableFile(dir.Sub("tmp/seg"));
  ASSERT_TRUE((*f)->Append("synced").ok());
  ASSERT_TRUE((*f)->Sync().ok());
  ASSERT_TRUE((*f)->Append("+unsynced").ok());
  ASSERT_TRUE((*f)->Close().ok());
  ASSERT_TRUE(fs.Rename(dir.Sub("tmp"), dir.Sub("final")).ok());
  ASSERT_TRUE(fs.DropUnsyncedData().ok());
  EXPECT_EQ(*ReadFileToString(&fs, dir.Sub("final/seg")), "synced");
}

}  // namespace
}  // namespace vigil::fs
