// Failpoints: named places in storage code where a crash test makes the process die with
// SIGKILL, so that a kill lands deterministically inside one phase of a multi-step
// operation (RocksDB's kill points, Go's failpoints) instead of at a random time.
//
// Configuration, read once from the environment at the first hit:
//   VIGIL_FAILPOINTS="name=action[;name=action...]"    (',' also separates)
//   action: kill      raise SIGKILL at the first hit of `name`
//           kill@N    raise SIGKILL at the N-th hit (N >= 1); earlier hits pass
// Before dying, one line `failpoint <name> hit <N>: raising SIGKILL` goes to stderr so a
// test can tell that the kill landed where it meant. A malformed variable is reported on
// stderr once and ignored (no failpoint is armed). Unset, a failpoint costs one relaxed
// atomic load.
//
// Points in the code (grep VIGIL_FAILPOINT):
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
//
// Thread-safety: Hit() and Configure() are thread-safe. Production code never arms a
// failpoint; only tests set VIGIL_FAILPOINTS or call Configure().
#pragma once

#include <atomic>
#include <string_view>

#include "base/status.h"

namespace vigil::failpoint {

namespace internal {
// 1: not read from the environment yet; 2: armed; 0: nothing armed.
inline std::atomic<int> state{1};
void HitSlow(std::string_view name);
}  // namespace internal

// Counts a hit of `name` and raises SIGKILL when the configuration says so.
inline void Hit(std::string_view name) {
  if (internal::state.load(std::memory_order_relaxed) != 0) internal::HitSlow(name);
}

// Replaces the configuration (and the environment's) with `spec`, in VIGIL_FAILPOINTS'
// syntax; "" disarms everything. Hit counts restart at zero. InvalidArgument for a
// malformed spec (then nothing is armed). For tests.
Status Configure(std::string_view spec);

}  // namespace vigil::failpoint

#define VIGIL_FAILPOINT(name) ::vigil::failpoint::Hit(name)
