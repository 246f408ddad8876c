"""Crash safety of compaction and retention: `vigil server` is killed with SIGKILL inside
each phase of head compaction (block write, head truncation, WAL checkpoint), block
compaction and retention (test-only failpoints, src/base/failpoint.h, armed through
VIGIL_FAILPOINTS), then restarted on the same data directory. After the restart every acknowledged remote-write sample is served exactly once,
`*.tmp-for-creation` / `*.tmp-for-deletion` leftovers are gone, no two blocks overlap, the
parents of a merged block are gone, and `vigil tool tsdb verify` finds every block intact.

Samples carry synthetic timestamps (10 s blocks, so one request spans many block ranges):
a bulk of BULK_S seconds is written first, then one timestamp per request keeps arriving
until the kill, so the kill also lands during ingestion."""
import os
import subprocess
import threading
import time

from harness import (VIGIL, block_dirs, check, check_acked_served, main, metric_value, remote_write,
                     start_server, tempdir, tmp_leftovers, wait_until)

LOG = tempdir("vigil-it-crashc-")
CONFIG = "global:\n  scrape_interval: 15s\n"
SERIES = 20
T0 = 1_700_000_000_000  # a multiple of the 10 s block range
BULK_S = 120


def flags(max_block="30s", retention=None):
    f = ["--web.enable-remote-write-receiver", "--storage.tsdb.min-block-duration=10s",
         f"--storage.tsdb.max-block-duration={max_block}"]
    if retention:
        f.append(f"--storage.tsdb.retention.time={retention}")
    return f


def value(i, t):
    return i * 1_000_000 + (t - T0) / 1000.0


class Writer:
    """Remote-writes crash_test{series="0".."SERIES-1"} and remembers what was acknowledged
    (HTTP 2xx) and what was in flight when the server died (may or may not be kept)."""

    def __init__(self, next_t=T0):
        self.acked = {}  # series index -> {t: v}
        self.maybe = set()  # timestamps sent but not acknowledged
        self.next_t = next_t

    def send(self, url, n_ts):
        ts = [self.next_t + k * 1000 for k in range(n_ts)]
        self.next_t = ts[-1] + 1000
        series = [({"__name__": "crash_test", "series": str(i)}, [(t, value(i, t)) for t in ts])
                  for i in range(SERIES)]
        st, body = remote_write(url, series)
        if 200 <= st < 300:
            for i in range(SERIES):
                self.acked.setdefault(i, {}).update({t: value(i, t) for t in ts})
            return True
        self.maybe.update(ts)
        if st != 0:
            raise AssertionError(f"remote write answered {st}: {body[:300]}")
        return False

    def run_until_dead(self, proc, url, deadline_s=40):
        """Bulk first, then one timestamp every 50 ms until the process dies."""
        for _ in range(BULK_S // 5):
            if not self.send(url, 5):
                break
        end = time.time() + deadline_s
        while proc.alive() and time.time() < end:
            if not self.send(url, 1):
                break
            time.sleep(0.05)

    def last_t(self):
        return self.next_t - 1000


def check_served(url, w, since=None):
    """Every acknowledged sample at or after `since` is served with its value, once; samples
    not acknowledged appear only at in-flight timestamps; nothing older than `since`."""
    return check_acked_served(url, "crash_test", w.acked, w.maybe, T0, w.last_t(), SERIES, since)


def check_disk(data):
    """No leftovers, no overlapping blocks, no block whose parent is still there, and every
    block verifies."""
    check(not tmp_leftovers(data), f"leftovers after restart: {tmp_leftovers(data)}")
    blocks = block_dirs(data)
    check(all(m is not None for _, m in blocks), "unreadable meta.json")
    for (a, ma), (b, mb) in zip(blocks, blocks[1:]):
        check(ma["maxTime"] <= mb["minTime"], f"blocks {a} {b} overlap")
    names = {n for n, _ in blocks}
    for n, m in blocks:
        for p in m.get("compaction", {}).get("parents", []) or []:
            check(p["ulid"] not in names, f"parent {p['ulid']} of {n} still there")
    if blocks:
        p = subprocess.run([VIGIL, "tool", "tsdb", "verify", data], capture_output=True,
                           text=True, timeout=60)
        check(p.returncode == 0, f"verify failed: {p.stdout[-2000:]} {p.stderr[-500:]}")
    return blocks


def crash_at(failpoint, extra_flags, on_disk, name):
    """Runs the server with `failpoint` armed until it kills itself; `on_disk(data)` checks
    that the kill landed inside the phase; returns (writer, data dir)."""
    server, url, data = start_server(CONFIG, LOG, extra=extra_flags, name=name,
                                     env={"VIGIL_FAILPOINTS": failpoint})
    w = Writer()
    w.run_until_dead(server, url)
    server.p.wait(30)
    check(server.p.returncode == -9, f"server did not die by SIGKILL: {server.p.returncode}")
    fp = failpoint.split("=")[0]
    with open(server.log_path, errors="replace") as f:
        check(f"failpoint {fp} hit" in f.read(), f"failpoint {fp} did not fire")
    on_disk(data)
    w.leftovers = tmp_leftovers(data)
    w.blocks_at_kill = [n for n, _ in block_dirs(data)]
    return w, data


def restart_and_check(w, data, extra_flags, name, since_fn=None):
    server, url, _ = start_server(CONFIG, LOG, extra=extra_flags, data_dir=data, name=name)
    # Open() removed the crash's leftovers; the running server's own compactions may
    # create and remove others at any time, so the full disk check waits for the stop.
    check(not any(os.path.exists(os.path.join(data, n)) for n in w.leftovers),
          f"leftovers of the crash after the restart: {w.leftovers}")
    blocks = [b for b in block_dirs(data) if b[0] in w.blocks_at_kill]
    n = check_served(url, w, since_fn(blocks) if since_fn else None)
    # It keeps ingesting and compacting after the restart; the result is still complete.
    for _ in range(4):
        check(w.send(url, 5), "remote write after restart failed")
    n0 = metric_value(url, "prometheus_tsdb_compactions_total") or 0
    w.send(url, 20)
    wait_until(lambda: (metric_value(url, "prometheus_tsdb_compactions_total") or 0) > n0, 30,
               what="a compaction after the restart")
    server.stop()
    later = check_disk(data)
    server, url, _ = start_server(CONFIG, LOG, extra=extra_flags, data_dir=data, name=name + "b")
    check_served(url, w, since_fn(later) if since_fn else None)
    server.stop()
    return n, blocks


def crash_and_restart(failpoint, on_disk, name):
    """crash_at with the default flags, then restart_and_check (as `name`-2); returns the data
    dir."""
    w, data = crash_at(failpoint, flags(), on_disk, name)
    n, _ = restart_and_check(w, data, flags(), name + "-2")
    print(f"{n} samples served after the restart")
    return data


def has(data, suffix):
    return any(n.endswith(suffix) for n in os.listdir(data))


def test_kill_before_head_block_rename():
    def on_disk(data):
        check(has(data, ".tmp-for-creation"), f"no tmp block dir at the kill: {os.listdir(data)}")
        check(not block_dirs(data), "a block was renamed before the kill")
    crash_and_restart("block.write.before_rename=kill", on_disk, "fp-rename")


def test_kill_before_head_truncation():
    def on_disk(data):
        b = block_dirs(data)
        check(len(b) == 1 and b[0][1]["minTime"] == T0, f"want the first head block: {b}")
    crash_and_restart("db.compact_head.before_truncate=kill", on_disk, "fp-trunc")


def test_kill_after_merged_block_written():
    def on_disk(data):
        b = block_dirs(data)
        merged = [m for _, m in b if m["compaction"]["level"] >= 2]
        check(merged, f"no merged block at the kill: {[(n, m['compaction']) for n, m in b]}")
        names = {n for n, _ in b}
        check(all(p["ulid"] in names for p in merged[0]["compaction"]["parents"]),
              "parents gone before the kill")
    crash_and_restart("db.compact_blocks.after_write=kill", on_disk, "fp-merge")


def test_kill_while_deleting_merged_parents():
    def on_disk(data):
        check(has(data, ".tmp-for-deletion"), f"no parent being deleted: {os.listdir(data)}")
    crash_and_restart("db.compact_blocks.mid_delete=kill", on_disk, "fp-mdel")


def test_kill_during_retention():
    f = flags(max_block="10s", retention="30s")

    def on_disk(data):
        check(has(data, ".tmp-for-deletion"), f"no block being deleted: {os.listdir(data)}")
    # Kill at the second deletion, so one doomed block is renamed and another is not.
    w, data = crash_at("db.retention.mid_delete=kill@2", f, on_disk, "fp-ret")

    def since(blocks):
        check(blocks, "retention deleted every block")
        return blocks[0][1]["minTime"]
    n, blocks = restart_and_check(w, data, f, "fp-ret-2", since)
    check(blocks[0][1]["minTime"] > T0, "no block was deleted by retention")
    print(f"{n} samples served after the restart from {blocks[0][1]['minTime'] - T0} ms on")


def test_kill_before_checkpoint_rename():
    def on_disk(data):
        wal = os.listdir(os.path.join(data, "wal"))
        check(any(n.startswith("checkpoint.") and n.endswith(".tmp") for n in wal),
              f"no checkpoint being written at the kill: {wal}")
    data = crash_and_restart("wal.checkpoint.before_rename=kill", on_disk, "fp-cp")
    wal = os.listdir(os.path.join(data, "wal"))
    check(not any(n.endswith(".tmp") for n in wal), f"checkpoint leftovers: {wal}")


def test_kill_after_checkpoint_rename():
    def on_disk(data):
        wal = os.listdir(os.path.join(data, "wal"))
        check(any(n.startswith("checkpoint.") and not n.endswith(".tmp") for n in wal),
              f"no checkpoint at the kill: {wal}")
    crash_and_restart("wal.checkpoint.after_rename=kill", on_disk, "fp-cp2")


if __name__ == "__main__":
    main([test_kill_before_head_block_rename, test_kill_before_head_truncation,
          test_kill_after_merged_block_written, test_kill_while_deleting_merged_parents,
          test_kill_during_retention, test_kill_before_checkpoint_rename,
          test_kill_after_checkpoint_rename])
