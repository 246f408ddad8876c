"""A real full disk under `vigil server`: the data directory is a small tmpfs (needs root
and mount(2); the test is skipped with the reason printed otherwise, exit code 77). The
server scrapes itself every second and takes remote writes.
 1. A filler file takes every free byte: remote writes fail with HTTP 5xx naming "no space
    left on device", scrapes fail visibly (/metrics counters, the target's last error, the
    log), WAL write errors are counted, and queries keep answering with everything
    acknowledged. Once the filler is removed, remote writes and scrapes append again.
 2. Empty files take every inode: appends to the open WAL segment still work, but no block
    can be created, so compaction fails (prometheus_tsdb_compactions_failed_total) while
    queries and ingestion go on; once the files are removed, compaction succeeds.
A restart then still serves every acknowledged sample."""
import errno
import os
import subprocess
import sys
import time

from harness import (check, get_json, main, metric_value, raw_series, remote_write, scalar_query,
                     start_server, tempdir, wait_until, free_port)

LOG = tempdir("vigil-it-fulldisk-")
SERIES = 10
NOSPACE = "no space left on device"


def mount_tmpfs(path, size):
    if os.geteuid() != 0:
        return "not root"
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", path],
                       capture_output=True, text=True)
    if p.returncode != 0:
        return f"mount -t tmpfs failed: {p.stderr.strip()}"
    return None


def fill(path):
    """Writes zeros to `path` until the file system is full; returns bytes written."""
    n = 0
    with open(path, "wb", buffering=0) as f:
        for size in (1 << 20, 4096, 1):
            while True:
                try:
                    n += f.write(b"\0" * size)
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break
    return n


class Writer:
    """Remote-writes fulldisk_test{series=...} at consecutive seconds from t0."""

    def __init__(self, t0):
        self.next_t = t0
        self.acked = {}
        self.maybe = set()

    def send(self, url, n_ts):
        # Live timestamps: the head takes samples at most half a block range (5 s) behind
        # its newest one, and the self-scrape keeps that at the present.
        start = max(self.next_t, int(time.time() * 1000) - 1000)
        ts = [start + k * 1000 for k in range(n_ts)]
        self.next_t = ts[-1] + 1000
        series = [({"__name__": "fulldisk_test", "series": str(i)}, [(t, i + t / 1e3) for t in ts])
                  for i in range(SERIES)]
        st, body = remote_write(url, series)
        if 200 <= st < 300:
            for i in range(SERIES):
                self.acked.setdefault(str(i), {}).update({t: i + t / 1e3 for t in ts})
        else:
            self.maybe.update(ts)
        return st, body

    def check_served(self, url):
        got = raw_series(url, "fulldisk_test", min(min(v) for v in self.acked.values()),
                         self.next_t)
        by = {dict(k)["series"]: dict(v) for k, v in got.items()}
        for s, want in self.acked.items():
            have = by.get(s, {})
            lost = [t for t in want if t not in have]
            check(not lost, f"series {s}: {len(lost)} acknowledged samples lost")
            check(all(have[t] == v for t, v in want.items()), f"series {s}: wrong values")
            extra = [t for t in have if t not in want and t not in self.maybe]
            check(not extra, f"series {s}: samples never written: {extra[:3]}")
        return sum(len(v) for v in self.acked.values())


def log_has(proc, text):
    with open(proc.log_path, errors="replace") as f:
        return text in f.read().lower()


def test_full_disk_fails_writes_keeps_reads_and_recovers():
    mnt = tempdir("vigil-tmpfs-")
    why = mount_tmpfs(mnt, "48m,nr_inodes=2048")
    if why:
        print(f"SKIP test_full_disk: {why}")
        sys.exit(77)
    server = None
    try:
        data = os.path.join(mnt, "data")
        port = free_port()
        cfg = ("global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: self\n"
               f"    static_configs:\n      - targets: ['127.0.0.1:{port}']\n")
        flags = ["--web.enable-remote-write-receiver", "--storage.tsdb.min-block-duration=10s",
                 "--storage.tsdb.max-block-duration=10s"]
        server, url, _ = start_server(cfg, LOG, extra=flags, data_dir=data, port=port)
        w = Writer(int(time.time() * 1000))
        for _ in range(6):
            st, body = w.send(url, 2)
            check(st == 204, f"remote write before the fill: {st} {body}")
        wait_until(lambda: (metric_value(url, "prometheus_tsdb_compactions_total") or 0) >= 1, 30,
                   what="a first compaction")
        wait_until(lambda: scalar_query(url, "up") == 1, 30, what="self scrape")
        w.check_served(url)

        # The disk fills up.
        filler = os.path.join(mnt, "filler")
        filled = fill(filler)
        print(f"filler took {filled >> 20} MiB")
        failed_scrapes0 = metric_value(url, "vigil_scrape_failed_scrapes_total") or 0
        compactions_failed0 = metric_value(url, "prometheus_tsdb_compactions_failed_total") or 0
        st, body = 204, ""
        for _ in range(50):  # the WAL's last page may take a few small records still
            st, body = w.send(url, 1)
            if st != 204:
                break
        check(500 <= st < 600, f"remote write on a full disk answered {st}: {body[:300]}")
        check(NOSPACE in body.lower(), f"the 5xx does not name the cause: {body[:300]}")
        print(f"remote write on a full disk: HTTP {st}: {body.strip()[:200]}")
        check((metric_value(url, "vigil_tsdb_wal_write_errors_total") or 0) > 0,
              "vigil_tsdb_wal_write_errors_total not counted")
        wait_until(lambda: (metric_value(url, "vigil_scrape_failed_scrapes_total") or 0)
                   > failed_scrapes0, 20, what="failed scrapes counted")
        st_t, targets = get_json(url + "/api/v1/targets")
        errors = [t.get("lastError", "") for t in targets["data"]["activeTargets"]]
        check(any(NOSPACE in e.lower() for e in errors), f"target errors: {errors}")
        check(log_has(server, NOSPACE), "the log does not name the cause")
        # Reads keep answering with everything acknowledged.
        n = w.check_served(url)
        check(server.alive(), "server died on the full disk")
        print(f"{n} acknowledged samples served while the disk is full")

        # Space comes back: ingestion resumes.
        os.remove(filler)

        def resumed():
            st, _ = w.send(url, 1)
            return st == 204
        wait_until(resumed, 20, interval=0.5, what="remote write after freeing space")
        appended0 = metric_value(url, "vigil_scrape_samples_appended_total") or 0
        wait_until(lambda: (metric_value(url, "vigil_scrape_samples_appended_total") or 0)
                   > appended0, 20, what="scrapes appending again")
        w.check_served(url)

        # No inode left: the WAL and the head chunk file still take appends, but no block
        # can be created, so compaction fails (counted, logged) and the head keeps the data.
        inodes = os.path.join(mnt, "inodes")
        os.mkdir(inodes)
        n_files = 0
        try:
            while True:
                open(os.path.join(inodes, str(n_files)), "wb").close()
                n_files += 1
        except OSError as e:
            check(e.errno == errno.ENOSPC, f"inode fill: {e}")
        print(f"{n_files} empty files took every inode")
        wait_until(lambda: (metric_value(url, "prometheus_tsdb_compactions_failed_total") or 0)
                   > compactions_failed0, 40, what="a failed compaction counted")
        for _ in range(3):
            st, body = w.send(url, 1)
            check(st == 204, f"remote write without free inodes: {st} {body}")
        w.check_served(url)
        subprocess.run(["rm", "-rf", inodes], check=True)
        compactions0 = metric_value(url, "prometheus_tsdb_compactions_total") or 0
        wait_until(lambda: (metric_value(url, "prometheus_tsdb_compactions_total") or 0)
                   > compactions0, 40, what="a compaction after freeing inodes")
        w.send(url, 1)
        w.check_served(url)
        server.stop()
        server2, url2, _ = start_server(cfg, LOG, extra=flags, data_dir=data, port=port,
                                        name="vigil-restarted")
        n = w.check_served(url2)
        print(f"{n} acknowledged samples served after the restart")
        server2.stop()
    finally:
        if server is not None:
            server.stop()
        from harness import _procs
        for p in _procs:
            p.stop()
        subprocess.run(["umount", mnt], capture_output=True)


if __name__ == "__main__":
    main([test_full_disk_fails_writes_keeps_reads_and_recovers])
