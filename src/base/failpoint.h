// Failpoints: named places in storage code where a test makes the process die with SIGKILL
// (so that a kill lands deterministically inside one phase of a multi-step operation, as
// RocksDB's kill points and Go's failpoints do) or makes an I/O call fail with an errno
// (so that a server-level test can see a failing fsync, which no real file system in a test
// produces on demand).
//
// Configuration, read once from the environment at the first hit:
//   VIGIL_FAILPOINTS="point=action[;point=action...]"    (',' also separates)
//   point:  name          every hit of `name` counts
//           name[filter]  only hits whose subject (the path, for fs.*) contains `filter`
//                         count; a trailing '$' anchors it at the subject's end
//                         ("fs.sync[/wal/0]", "fs.syncdir[/data$]"). `filter` has no
//                         ']', ';' or ','. One name may be listed with several filters;
//                         each counts its own hits.
//   action: VERB[HITS]
//           VERB  kill     raise SIGKILL
//                 eio      the call fails with EIO     (points that can fail, see below)
//                 enospc   the call fails with ENOSPC
//           HITS  (none)   the first counted hit
//                 @N       the N-th (N >= 1)
//                 @N..M    the N-th to the M-th
//                 @N..     the N-th and every later one
//                 *        every hit
// A kill prints `failpoint <name> hit <N>: raising SIGKILL` to stderr first; an injected
// error prints `failpoint <name> hit <N> (<subject>): injecting EIO` (without the subject
// when it is empty), so a test can tell that the fault landed where it meant. A malformed
// variable is reported on stderr once and ignored (no failpoint is armed). Unset, a
// failpoint costs one relaxed atomic load.
//
// Kill points (VIGIL_FAILPOINT; an error action there is counted and ignored):
//   block.write.before_rename        a block's `<ULID>.tmp-for-creation` is complete and
//                                    synced, not yet renamed (head and merged blocks)
//   db.compact_head.before_truncate  a head block is renamed and listed; the head is not
//                                    truncated yet
//   db.compact_blocks.after_write    a merged block is renamed and listed; its parents are
//                                    still there
//   db.compact_blocks.mid_delete     after renaming each parent of a merged block to
//                                    `*.tmp-for-deletion`
//   db.retention.mid_delete          after renaming each block beyond retention to
//                                    `*.tmp-for-deletion`
//   db.clean_tombstones.mid_delete   after renaming a block rewritten without its deleted
//                                    data to `*.tmp-for-deletion`
//   wal.checkpoint.before_rename     `wal/checkpoint.N.tmp` is complete and synced, not
//                                    yet renamed (head truncation)
//   wal.checkpoint.after_rename      the checkpoint is in place; the segments it replaces
//                                    are not deleted yet
// Error points (failpoint::InjectedErrno / Error; the subject is the path), all in the
// POSIX file system (fs/posix_file_system.cc), so they fail what the real call would:
//   fs.write     WritableFile::Append, before anything is written   "write <path>: ..."
//   fs.sync      WritableFile::Sync (fdatasync of a file)           "fdatasync <path>: ..."
//   fs.syncdir   FileSystem::SyncDir (fsync of a directory)         "fsync <dir>: ..."
// Useful filters: "/wal/0" (WAL segments), "/wal/checkpoint." (checkpoints),
// ".tmp-for-creation/" (files of a block being written), "chunks_head/".
//
// Thread-safety: every function here is thread-safe. Production code never arms a
// failpoint; only tests set VIGIL_FAILPOINTS or call Configure().
#pragma once

#include <atomic>
#include <string_view>

#include "base/status.h"

namespace vigil::failpoint {

namespace internal {
// 1: not read from the environment yet; 2: armed; 0: nothing armed.
inline std::atomic<int> state{1};
// Counts the hit; raises SIGKILL for a kill action; returns the errno of an error action
// that fires now (0 if none, or if !can_fail: then nothing is injected or printed).
int HitSlow(std::string_view name, std::string_view subject, bool can_fail);
Status ErrorSlow(std::string_view name, std::string_view subject);
}  // namespace internal

// Counts a hit of `name` and raises SIGKILL when the configuration says so.
inline void Hit(std::string_view name) {
  if (internal::state.load(std::memory_order_relaxed) != 0) internal::HitSlow(name, {}, false);
}

// Counts a hit of `name` on `subject` (a path); returns the errno (EIO, ENOSPC) the
// configuration injects at this hit, or 0 to go on as usual. Raises SIGKILL for kill.
inline int InjectedErrno(std::string_view name, std::string_view subject = {}) {
  if (internal::state.load(std::memory_order_relaxed) == 0) return 0;
  return internal::HitSlow(name, subject, true);
}

// InjectedErrno as a Status: OK, or IOError("failpoint <name> <subject>: <strerror>").
// For points that have no real call's message to imitate.
inline Status Error(std::string_view name, std::string_view subject = {}) {
  if (internal::state.load(std::memory_order_relaxed) == 0) return Status::OK();
  return internal::ErrorSlow(name, subject);
}

// Replaces the configuration (and the environment's) with `spec`, in VIGIL_FAILPOINTS'
// syntax; "" disarms everything. Hit counts restart at zero. InvalidArgument for a
// malformed spec (then nothing is armed). For tests.
Status Configure(std::string_view spec);

}  // namespace vigil::failpoint

#define VIGIL_FAILPOINT(name) ::vigil::failpoint::Hit(name)
