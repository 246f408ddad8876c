"""Failing fsync under `vigil server`: no test file system fails fsync on demand (tmpfs
never does), so the POSIX file system's error failpoints inject it (src/base/failpoint.h:
`fs.sync` = fdatasync of a file, `fs.syncdir` = fsync of a directory, each filtered on the
path, armed through VIGIL_FAILPOINTS). Each scenario has its own data directory, 10 s
blocks and synthetic timestamps, and remote-writes fsync_test{series=...} while the fault
fires:
 1. Head compaction: the first two fdatasyncs of a new block's files fail, then the fsync
    of the data directory after the third attempt's rename fails. Every failure is logged
    with its cause and counted in prometheus_tsdb_compactions_failed_total (exactly 3), no
    block directory is left behind, and the fourth attempt writes the block.
 2. WAL segment and checkpoint: the fdatasync that finishes the first WAL segment (head
    truncation) fails, then the first two checkpoints' fdatasyncs fail. Truncations and
    checkpoints fail (counted, logged), remote writes go on being acknowledged, and a
    later checkpoint succeeds.
 3. WAL commit with --storage.tsdb.wal-sync: the fdatasync that makes a commit durable
    fails. That request answers HTTP 500 naming the cause and is retried, as a remote-write
    client does, until acknowledged.
Throughout, queries answer with every acknowledged sample. After a restart without
failpoints every acknowledged sample is served exactly once, no two blocks overlap, no
temporary directory is left and `vigil tool tsdb verify` finds every block intact."""
import os
import re
import subprocess

from harness import (VIGIL, block_dirs, check, check_acked_served, get_json, main, metric_value,
                     remote_write, start_server, tempdir, tmp_leftovers, wait_until)

LOG = tempdir("vigil-it-fsync-")
CONFIG = "global:\n  scrape_interval: 15s\n"
SERIES = 10
T0 = 1_700_000_000_000  # a multiple of the 10 s block range
EIO = "Input/output error"


def flags(*more):
    return ["--web.enable-remote-write-receiver", "--storage.tsdb.min-block-duration=10s",
            "--storage.tsdb.max-block-duration=10s", *more]


def value(i, t):
    return i * 1_000_000 + (t - T0) / 1000.0


def metric(url, name):
    return metric_value(url, name) or 0


class Writer:
    """Remote-writes fsync_test{series="0".."SERIES-1"} at consecutive seconds from T0 and
    remembers what was acknowledged (HTTP 2xx) and what was refused (may be kept or not)."""

    def __init__(self):
        self.acked = {}  # series index -> {t: v}
        self.maybe = set()  # timestamps of refused requests
        self.next_t = T0
        self.refusals = []  # (request number, HTTP status, body) of every non-2xx answer
        self.requests = 0

    def send(self, url, n_ts, retry=False):
        """Sends the next n_ts timestamps; with retry, resends a refused batch until it is
        acknowledged (as Prometheus' remote-write client retries 5xx). Returns True if
        acknowledged."""
        ts = [self.next_t + k * 1000 for k in range(n_ts)]
        self.next_t = ts[-1] + 1000
        series = [({"__name__": "fsync_test", "series": str(i)}, [(t, value(i, t)) for t in ts])
                  for i in range(SERIES)]
        for _ in range(20):
            self.requests += 1
            st, body = remote_write(url, series)
            if 200 <= st < 300:
                for i in range(SERIES):
                    self.acked.setdefault(i, {}).update({t: value(i, t) for t in ts})
                return True
            self.refusals.append((self.requests, st, body))
            self.maybe.update(ts)
            if not retry:
                return False
        raise AssertionError(f"remote write refused 20 times: {st} {body[:300]}")

    def send_ok(self, url, n_ts):
        check(self.send(url, n_ts), f"remote write refused: {self.refusals[-1:]}")

    def last_t(self):
        return self.next_t - 1000


def check_served(url, w):
    """Every acknowledged sample is served with its value, once; samples not acknowledged
    appear only at refused timestamps."""
    return check_acked_served(url, "fsync_test", w.acked, w.maybe, T0, w.last_t(), SERIES)


def check_disk(data):
    """No leftovers, no two blocks overlapping (a block left behind by a failed attempt
    would overlap the one its retry wrote), and every block verifies; returns the blocks."""
    check(not tmp_leftovers(data), f"leftovers: {tmp_leftovers(data)}")
    wal = os.listdir(os.path.join(data, "wal"))
    check(not any(n.endswith(".tmp") for n in wal), f"checkpoint leftovers: {wal}")
    blocks = block_dirs(data)
    check(all(m is not None for _, m in blocks), "unreadable meta.json")
    for (a, ma), (b, mb) in zip(blocks, blocks[1:]):
        check(ma["maxTime"] <= mb["minTime"], f"blocks {a} and {b} overlap")
    if blocks:
        p = subprocess.run([VIGIL, "tool", "tsdb", "verify", data], capture_output=True,
                           text=True, timeout=60)
        check(p.returncode == 0, f"verify failed: {p.stdout[-2000:]} {p.stderr[-500:]}")
    return blocks


def log_lines(proc, *needles):
    with open(proc.log_path, errors="replace") as f:
        return [line for line in f if all(n in line for n in needles)]


def injected(proc, point):
    """Hits at which `point` injected an error, from the failpoint's stderr lines."""
    pat = re.compile(rf"^failpoint {re.escape(point)} hit (\d+) \((.*)\): injecting EIO$")
    out = []
    with open(proc.log_path, errors="replace") as f:
        for line in f:
            m = pat.match(line.rstrip("\n"))
            if m:
                out.append(m.group(2))
    return out


def loaded_blocks(url):
    st, body = get_json(url + "/api/v1/status/tsdb/blocks")
    check(st == 200, f"blocks endpoint: {st} {body}")
    return [b["ulid"] for b in body["data"]["blocks"]]


def restart_and_check(w, data, extra, name):
    """After the faulted server stopped: checks the disk, restarts without failpoints,
    checks every acknowledged sample, keeps ingesting and compacting, checks both again."""
    blocks = check_disk(data)
    server, url, _ = start_server(CONFIG, LOG, extra=extra, data_dir=data, name=name)
    n = check_served(url, w)
    n0 = metric(url, "prometheus_tsdb_compactions_total")
    for _ in range(6):
        w.send_ok(url, 5)
    wait_until(lambda: metric(url, "prometheus_tsdb_compactions_total") > n0, 30,
               what="a compaction after the restart")
    check_served(url, w)
    server.stop()
    check_disk(data)
    print(f"{n} samples in {len(blocks)} blocks and the head served after the restart")


def test_head_block_fsync_failure():
    data = tempdir("vigil-data-")
    fps = f"fs.sync[.tmp-for-creation/]=eio@1..2; fs.syncdir[{data}$]=eio"
    server, url, _ = start_server(CONFIG, LOG, extra=flags(), data_dir=data, name="blk",
                                  env={"VIGIL_FAILPOINTS": fps})
    w = Writer()
    for _ in range(8):  # 40 s: the head spans more than 1.5 blocks, so compaction starts
        w.send_ok(url, 5)

    # Three compaction attempts fail (one per compaction tick); ingestion and queries go on.
    def three_failed():
        w.send_ok(url, 1)
        check_served(url, w)
        check(server.alive(), "server died")
        return metric(url, "prometheus_tsdb_compactions_failed_total") >= 3
    wait_until(three_failed, 60, interval=0.3, what="three failed head compactions")
    wait_until(lambda: loaded_blocks(url), 30, what="a head block after the faults stopped")
    check(metric(url, "prometheus_tsdb_compactions_failed_total") == 3,
          f"want exactly 3 failed compactions, got "
          f"{metric(url, 'prometheus_tsdb_compactions_failed_total')}")
    check(metric(url, "prometheus_tsdb_compactions_total") >= 1, "no compaction counted")
    w.send_ok(url, 1)
    check_served(url, w)
    check(not w.refusals, f"remote writes refused: {w.refusals[:3]}")

    synced = injected(server, "fs.sync")
    check(len(synced) == 2 and all(".tmp-for-creation/" in p for p in synced),
          f"fs.sync injections: {synced}")
    check(injected(server, "fs.syncdir") == [data], "fs.syncdir did not fire on the data dir")
    failed = log_lines(server, "Head compaction failed", EIO)
    check(len(failed) == 3, f"want 3 logged failures naming the cause: {failed}")
    for p in synced:
        check(any(f"fdatasync {p}: {EIO}" in line for line in failed), f"{p} not logged")
    check(any(f"fsync {data}: {EIO}" in line for line in failed), "data dir fsync not logged")
    server.stop()
    restart_and_check(w, data, flags(), "blk-2")


def test_wal_segment_and_checkpoint_fsync_failure():
    fps = "fs.sync[/wal/0]=eio; fs.sync[/wal/checkpoint.]=eio@1..2"
    server, url, data = start_server(CONFIG, LOG, extra=flags(), name="wal",
                                     env={"VIGIL_FAILPOINTS": fps})
    w = Writer()
    for _ in range(8):
        w.send_ok(url, 5)

    # The first head truncation cannot finish its WAL segment; later ones checkpoint, the
    # first two of them in vain. Remote writes are acknowledged throughout.
    def checkpointed():
        w.send_ok(url, 2)
        check_served(url, w)
        check(server.alive(), "server died")
        return metric(url, "prometheus_tsdb_checkpoint_creations_total") >= 1
    wait_until(checkpointed, 90, interval=0.3, what="a checkpoint after two failed ones")
    check(metric(url, "prometheus_tsdb_checkpoint_creations_failed_total") == 2,
          "want exactly 2 failed checkpoints, got "
          f"{metric(url, 'prometheus_tsdb_checkpoint_creations_failed_total')}")
    check(metric(url, "prometheus_tsdb_head_truncations_failed_total") == 3,
          "want exactly 3 failed head truncations, got "
          f"{metric(url, 'prometheus_tsdb_head_truncations_failed_total')}")
    check(metric(url, "prometheus_tsdb_compactions_failed_total") == 0,
          "a WAL fault failed a compaction")
    check(not w.refusals, f"remote writes refused: {w.refusals[:3]}")
    seg = os.path.join(data, "wal", "00000000")
    check(injected(server, "fs.sync")[0] == seg, f"first injection: {injected(server, 'fs.sync')}")
    check(log_lines(server, "head truncation", f"fdatasync {seg}: {EIO}"),
          "the failed segment fsync is not logged with its cause")
    cps = [p for p in injected(server, "fs.sync") if "/wal/checkpoint." in p]
    check(len(cps) == 2, f"checkpoint injections: {cps}")
    for p in cps:
        check(log_lines(server, "head truncation", f"fdatasync {p}: {EIO}"), f"{p} not logged")
    check(log_lines(server, "WAL writer reopened after a failure"), "WAL writer not reopened")
    server.stop()
    restart_and_check(w, data, flags(), "wal-2")


def test_wal_commit_fsync_failure_with_wal_sync():
    fps = "fs.sync[/wal/0]=eio@4..5"
    extra = flags("--storage.tsdb.wal-sync")
    server, url, data = start_server(CONFIG, LOG, extra=extra, name="walsync",
                                     env={"VIGIL_FAILPOINTS": fps})
    w = Writer()
    # One fdatasync per acknowledged request: the 4th request's fails.
    for _ in range(8):
        w.send(url, 5, retry=True)
        check_served(url, w)
    check(w.refusals and w.refusals[0][0] == 4, f"refusals: {w.refusals}")
    check(len(w.refusals) <= 2, f"more refusals than injected faults: {w.refusals}")
    seg = os.path.join(data, "wal", "00000000")
    for n, st, body in w.refusals:
        check(st == 500, f"request {n} answered {st}, want 500: {body[:300]}")
        check(f"fdatasync {seg}: {EIO}" in body, f"request {n}: cause not named: {body[:300]}")
    check(metric(url, "vigil_tsdb_wal_write_errors_total") == len(w.refusals),
          "WAL write errors not counted")
    check(log_lines(server, "remote write failed", EIO), "the refusal is not logged")
    # Ingestion and compaction go on.
    n0 = metric(url, "prometheus_tsdb_compactions_total")
    for _ in range(4):
        w.send_ok(url, 5)
    wait_until(lambda: metric(url, "prometheus_tsdb_compactions_total") > n0, 30,
               what="a compaction after the WAL fault")
    check_served(url, w)
    server.stop()
    restart_and_check(w, data, extra, "walsync-2")


if __name__ == "__main__":
    main([test_head_block_fsync_failure, test_wal_segment_and_checkpoint_fsync_failure,
          test_wal_commit_fsync_failure_with_wal_sync])
