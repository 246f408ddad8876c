"""A data directory written by Prometheus 2.42 (blocks, compacted blocks, WAL with a
checkpoint, chunks_head) opens in Vigil, and Vigil answers queries exactly as Prometheus does
on that directory; after Vigil ran on (a copy of) it, Prometheus opens the copy and answers the
same again.

1. Debian's Prometheus receives 14 h of simulated scrapes of a `vigil fleet` through its
   remote-write receiver (`vigil fleet --backfill`, in four parts), cuts 2 h blocks, merges
   some into 6 h blocks and keeps the newest hours in its head (WAL with a checkpoint,
   chunks_head); then it is stopped, and
   `promtool tsdb create-blocks-from openmetrics` adds a block overlapping Prometheus' blocks
   (more samples of an existing series, and a new series), as a backfill does.
2. `vigil server` opens a copy of the directory and Prometheus opens the original again:
   instant and range queries over block-only, head-only and spanning ranges (raw selectors,
   rate, sums, counts, quantiles) must give the same labels and the same values.
3. Both then receive the same further 7 h of samples: each cuts head blocks and compacts
   (Vigil writes blocks, merges the overlapping ones vertically and others by level, writes
   a WAL checkpoint and chunks_head files into the copy), and they must still agree.
4. Vigil stops and Prometheus opens the copy Vigil wrote to: it loads every block without
   error and answers the same as Prometheus on the original."""
import json
import os
import re
import shutil
import subprocess
import time

from harness import (PROMETHEUS, VIGIL, Proc, check, free_port, get_json, main, metric_value,
                     tempdir, wait_http_ok, wait_until)

LOG = tempdir("vigil-it-promdir-")
ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
HOUR = 3600
BLOCK_FLAGS = ["--storage.tsdb.min-block-duration=2h", "--storage.tsdb.max-block-duration=18h"]
TARGETS, SERIES = 4, 50
PROBE = "vigil_overlap_probe"  # a series only in the block promtool writes


def blocks(data):
    """{ulid: meta} of the block directories in `data`."""
    out = {}
    for n in os.listdir(data):
        meta = os.path.join(data, n, "meta.json")
        if ULID.match(n):
            try:
                with open(meta) as f:
                    out[n] = json.load(f)
            except FileNotFoundError:  # deleted (renamed) by a compaction meanwhile
                pass
    return out


def start_prometheus(data, name, remote_write=False):
    port = free_port()
    cfg = os.path.join(LOG, "empty.yml")
    with open(cfg, "w") as f:
        f.write("global:\n  scrape_interval: 15s\n")
    argv = [PROMETHEUS, f"--config.file={cfg}", f"--storage.tsdb.path={data}",
            f"--web.listen-address=127.0.0.1:{port}", *BLOCK_FLAGS]
    if remote_write:
        argv.append("--web.enable-remote-write-receiver")
    p = Proc(argv, name, LOG)
    url = f"http://127.0.0.1:{port}"
    wait_http_ok(url + "/-/ready", 60, p)
    return p, url


def start_vigil(data, name):
    port = free_port()
    cfg = os.path.join(LOG, "empty.yml")
    p = Proc([VIGIL, "server", f"--config.file={cfg}", f"--storage.tsdb.path={data}",
              f"--web.listen-address=127.0.0.1:{port}", "--web.enable-remote-write-receiver",
              *BLOCK_FLAGS], name, LOG)
    url = f"http://127.0.0.1:{port}"
    wait_http_ok(url + "/-/ready", 60, p)
    return p, url


def backfill(urls, duration_s, end_s):
    p = Proc([VIGIL, "fleet", f"--targets={TARGETS}", f"--series-per-target={SERIES}",
              f"--backfill={duration_s}s", f"--backfill.end={end_s}",
              *[f"--remote-write.url={u}/api/v1/write" for u in urls]], "backfill", LOG)
    code = p.p.wait(120)
    check(code == 0, f"vigil fleet --backfill failed:\n{p.tail()}")
    with open(p.log_path) as f:
        stats = json.loads([ln for ln in f.read().splitlines() if ln.startswith("{")][-1])
    return stats


# Query times and steps are whole seconds and no sample lies on a whole second: Vigil's range
# windows are left-open as in Prometheus 3 ((t - r, t]), 2.42's are closed ([t - r, t]), so a
# sample exactly on a window's lower edge would be counted by 2.42 only (a known, documented
# difference: docs/promql-compliance.md).
ON_EDGE = "a sample on a whole second"


def overlapping_samples(url, lo, hi):
    """OpenMetrics text of samples in [lo, hi) (Unix seconds) that overlap what Prometheus
    holds there: extra samples of an existing series at times it has none, and a new series."""
    st, body = get_json(url + "/api/v1/query",
                        {"query": f"jvm_memory_used_bytes[{hi - lo}s]", "time": hi})
    check(st == 200 and body["data"]["result"], f"no jvm_memory_used_bytes in [{lo}, {hi}]")
    series = min(body["data"]["result"], key=lambda r: json.dumps(r["metric"], sort_keys=True))
    have = sorted(round(float(t) * 1000) for t, _ in series["values"])
    esc = lambda v: v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    labels = ",".join(f'{k}="{esc(v)}"' for k, v in sorted(series["metric"].items())
                      if k != "__name__")
    lines = []
    for i, t in enumerate(have):
        t2 = t + 3500  # between two scrapes 15 s apart
        t2 += t2 % 1000 == 0  # never on a whole second (see ON_EDGE)
        if t2 < hi * 1000 and t2 not in have:
            lines.append(f"jvm_memory_used_bytes{{{labels}}} {i * 1.5} {t2 / 1000:.3f}")
    for t in range(lo * 1000 + 1234, hi * 1000, 10000):
        lines.append(f'{PROBE}{{job="fleet",instance="probe"}} {t % 977} {t / 1000:.3f}')
    return "\n".join(lines) + "\n# EOF\n"


def overlaps(metas):
    """Pairs of blocks whose [minTime, maxTime) ranges overlap."""
    ms = sorted(metas.items(), key=lambda kv: kv[1]["minTime"])
    return [(a, b) for i, (a, ma) in enumerate(ms) for b, mb in ms[i + 1:]
            if mb["minTime"] < ma["maxTime"]]


def head_settled(url):
    """The head no longer spans more than 1.5 block ranges (nothing left to cut)."""
    lo = metric_value(url, "prometheus_tsdb_head_min_time")
    hi = metric_value(url, "prometheus_tsdb_head_max_time")
    return lo is not None and hi is not None and hi - lo <= 3 * HOUR * 1000


# Aggregations that add floats: Vigil's engine sums with Kahan-Neumaier compensation as
# Prometheus does since 2.50 (and 3.x), Prometheus 2.42 adds plainly, so their last bits may
# differ. Their values are compared with a relative tolerance of 1e-9; everything else must
# be equal to the last bit (the JSON strings).
SUMS = ('sum by (instance) (rate(istio_requests_total[5m]))',
        'sum(rate(container_cpu_usage_seconds_total[10m]))',
        'histogram_quantile(0.9, sum by (le) (rate(istio_request_bytes_bucket[10m])))',
        'avg by (pod) (jvm_memory_used_bytes)')
REL_TOL = 1e-9
INEXACT = [0]  # values that matched only within REL_TOL


def queries(start, boundary, end, overlap):
    """(path, params) pairs: raw selectors and functions over block-only, head-only and
    spanning ranges, and over the range `overlap` (lo, hi) of overlapping blocks. Times are
    Unix seconds; `boundary` is where the head starts."""
    sels = ['{job="fleet"}', 'istio_requests_total{response_code="200"}',
            'jvm_memory_used_bytes', PROBE]
    funcs = ['count({job="fleet"})',
             'count by (__name__) ({job="fleet"})',
             'rate(istio_requests_total[5m])',
             'max_over_time(jvm_memory_used_bytes[1h])',
             'count_over_time(istio_request_bytes_bucket[30m])',
             'increase(node_cpu_seconds_total[1h])',
             *SUMS]
    block_t = start + (boundary - start) // 3
    head_t = boundary + (end - boundary) // 2
    out = []
    lo, hi = overlap
    for t in (block_t, (lo + hi) // 2, hi, boundary - 1, boundary + 60, head_t, end):
        for s in sels:
            out.append(("/api/v1/query", {"query": f"{s}[20m]", "time": t}))
        for f in funcs:
            out.append(("/api/v1/query", {"query": f, "time": t}))
    for a, b in ((start, boundary - 1), (boundary, end), (start, end),
                 (boundary - HOUR, boundary + HOUR), (lo - HOUR, hi + HOUR)):
        for q in sels + funcs:
            out.append(("/api/v1/query_range",
                        {"query": q, "start": a, "end": b, "step": max(60, (b - a) // 120)}))
    return out


def answer(url, path, params):
    st, body = get_json(url + path, params, timeout=60)
    check(st == 200 and body.get("status") == "success",
          f"{path} {params} on {url}: {st} {str(body)[:300]}")
    res = body["data"]["result"]
    return sorted((json.dumps(r["metric"], sort_keys=True), r.get("values") or [r.get("value")])
                  for r in res)


def same_points(x, y, exact):
    """Same timestamps; values equal as strings, or (not exact) within REL_TOL."""
    if len(x) != len(y):
        return False
    for (tx, vx), (ty, vy) in zip(x, y):
        if tx != ty:
            return False
        if vx == vy:
            continue
        if exact:
            return False
        INEXACT[0] += 1
        fx, fy = float(vx), float(vy)
        if not abs(fx - fy) <= REL_TOL * max(abs(fx), abs(fy)):
            return False
    return True


def compare(a_url, b_url, qs, what):
    """Every query answers with the same series (labels exact) and the same values."""
    samples = 0
    nonempty = 0
    for path, params in qs:
        a, b = answer(a_url, path, params), answer(b_url, path, params)
        exact = params["query"] not in SUMS
        ka, kb = [m for m, _ in a], [m for m, _ in b]
        if ka != kb:
            only_a, only_b = sorted(set(ka) - set(kb))[:3], sorted(set(kb) - set(ka))[:3]
            raise AssertionError(f"{what}: {path} {params}: series only in the first: {only_a}, "
                                 f"only in the second: {only_b}")
        for (m, x), (_, y) in zip(a, b):
            if not same_points(x, y, exact):
                raise AssertionError(f"{what}: {path} {params}: {m}: {str(x)[:300]} vs "
                                     f"{str(y)[:300]}")
        nonempty += bool(a)
        samples += sum(len(v) for _, v in a)
    check(nonempty >= len(qs) * 2 // 3, f"{what}: only {nonempty} of {len(qs)} answers non-empty")
    return samples


def test_prometheus_data_dir_opens_in_vigil():
    promtool = shutil.which("promtool")
    check(PROMETHEUS is not None and promtool is not None,
          "prometheus or promtool not installed (Debian package prometheus)")
    t0 = time.time()
    now = int(time.time())
    end1 = now - 7 * HOUR  # phase 1: [end1 - 14h, end1]; phase 2: (end1, now]
    orig = os.path.join(tempdir("vigil-it-promdir-data-"), "data")
    os.makedirs(orig)

    # 1. Prometheus writes the directory.
    prom, purl = start_prometheus(orig, "prometheus-1", remote_write=True)
    # In four parts, each followed by a head compaction: every compaction run starts a WAL
    # segment, and Prometheus writes a checkpoint only once there are four or more.
    start = None
    for k in range(4):
        stats = backfill([purl], 14 * HOUR // 4, end1 - (3 - k) * (14 * HOUR // 4))
        start = start or stats["start_ms"] // 1000
        check(all((stats["start_ms"] + t["offset_ms"]) % 1000 for t in stats["targets"]),
              f"{ON_EDGE}: {stats['targets']}")
        wait_until(lambda: head_settled(purl), 60, 0.5, "Prometheus' head compaction")
    # A leveled compaction runs right after the head blocks are cut (else at the 1-minute tick).
    wait_until(lambda: any(m["compaction"]["level"] >= 2 for m in blocks(orig).values()), 90, 0.5,
               "a compacted (level >= 2) Prometheus block")
    boundary = max(m["maxTime"] for m in blocks(orig).values()) // 1000
    overlap = (boundary - 4 * HOUR, boundary - 3 * HOUR)
    om = overlapping_samples(purl, *overlap)
    check(prom.stop() == 0, f"Prometheus did not stop cleanly:\n{prom.tail()}")
    check(max(m["maxTime"] for m in blocks(orig).values()) // 1000 == boundary, "blocks changed")
    # Blocks overlapping Prometheus' own, as `promtool tsdb create-blocks-from` backfills them.
    before = set(blocks(orig))
    om_path = os.path.join(LOG, "overlap.om")
    with open(om_path, "w") as f:
        f.write(om)
    p = subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", om_path, orig],
                       capture_output=True, text=True, timeout=60)
    check(p.returncode == 0, f"promtool create-blocks-from failed: {p.stdout} {p.stderr}")
    prom_blocks = blocks(orig)
    backfilled = set(prom_blocks) - before
    check(backfilled and overlaps(prom_blocks), f"promtool wrote no overlapping block: {p.stdout}")
    wal = sorted(os.listdir(os.path.join(orig, "wal")))
    check(len(prom_blocks) >= 3, f"Prometheus wrote {len(prom_blocks)} blocks")
    check(any(n.startswith("checkpoint.") for n in wal) and any(n.isdigit() for n in wal),
          f"no WAL checkpoint and segments: {wal}")
    check(os.listdir(os.path.join(orig, "chunks_head")), "no chunks_head files")
    levels = sorted(m["compaction"]["level"] for m in prom_blocks.values())
    prom_checkpoints = {n for n in wal if n.startswith("checkpoint.")}

    # 2. Vigil on a copy, Prometheus on the original.
    copy = os.path.join(tempdir("vigil-it-promdir-copy-"), "data")
    shutil.copytree(orig, copy)
    vigil, vurl = start_vigil(copy, "vigil")
    prom2, purl2 = start_prometheus(orig, "prometheus-2", remote_write=True)
    check(metric_value(vurl, "prometheus_tsdb_blocks_loaded") == len(prom_blocks),
          f"Vigil loaded {metric_value(vurl, 'prometheus_tsdb_blocks_loaded')} of "
          f"{len(prom_blocks)} blocks")
    check((metric_value(vurl, "prometheus_tsdb_head_series") or 0) >= TARGETS * SERIES,
          "Vigil's head has not replayed Prometheus' WAL")
    qs = queries(start, boundary, end1, overlap)
    n1 = compare(vurl, purl2, qs, "Prometheus' directory")

    # 3. The same new samples into both; both cut and compact blocks.
    backfill([vurl, purl2], now - end1 - 15, now)
    for u in (vurl, purl2):
        wait_until(lambda: head_settled(u), 60, 0.5, f"head compaction of {u}")
    # Vigil cut head blocks, merged promtool's blocks with those they overlap (their ULIDs
    # live on in the sources; no overlap is left), merged blocks by level, and truncated the
    # WAL with a checkpoint of its own. Block merges follow the head cut: waited for.
    def vigil_done():
        now_blocks = blocks(copy)
        sources = {s for m in now_blocks.values() for s in m["compaction"]["sources"]}
        merged = [u for u, m in now_blocks.items()
                  if u not in prom_blocks and m["compaction"].get("parents")]
        ok = (len(set(now_blocks) - set(prom_blocks)) >= 2 and merged
              and not overlaps(now_blocks) and not backfilled & set(now_blocks)
              and backfilled <= sources)
        return (now_blocks, merged) if ok else None
    try:
        now_blocks, merged = wait_until(vigil_done, 30, 0.5, "Vigil's block merges")
    except AssertionError:
        raise AssertionError("Vigil did not cut, merge (vertically and by level) as expected: "
                             + str({u: (m["minTime"], m["maxTime"], m["compaction"]["level"])
                                    for u, m in blocks(copy).items()}) + f"; promtool's: "
                             f"{backfilled}") from None
    vigil_blocks = set(now_blocks) - set(prom_blocks)
    new_checkpoints = {n for n in os.listdir(os.path.join(copy, "wal"))
                       if n.startswith("checkpoint.")} - prom_checkpoints
    check(new_checkpoints, "Vigil wrote no WAL checkpoint into the copy")
    qs = queries(start, boundary, now, overlap)
    n2 = compare(vurl, purl2, qs, "after more samples")
    check(vigil.stop() == 0, f"Vigil did not stop cleanly:\n{vigil.tail()}")

    # 4. Prometheus opens what Vigil left behind.
    prom3, purl3 = start_prometheus(copy, "prometheus-on-vigil-copy")
    loaded = metric_value(purl3, "prometheus_tsdb_blocks_loaded")
    check(loaded == len(blocks(copy)), f"Prometheus loaded {loaded} of {len(blocks(copy))} blocks")
    for m in ("prometheus_tsdb_wal_corruptions_total",
              "prometheus_tsdb_mmap_chunk_corruptions_total"):
        check(not metric_value(purl3, m), f"{m} = {metric_value(purl3, m)} on Vigil's copy")
    with open(prom3.log_path, errors="replace") as f:
        bad = [ln for ln in f if "level=error" in ln or "level=warn" in ln]
    check(not bad, "Prometheus complained about Vigil's copy:\n" + "".join(bad[:10]))
    n3 = compare(purl3, purl2, qs, "Prometheus on Vigil's copy")
    prom3.stop()
    prom2.stop()
    for d in (orig, copy):
        shutil.rmtree(os.path.dirname(d), ignore_errors=True)
    print(f"Prometheus blocks {len(prom_blocks)} (levels {levels}), Vigil blocks "
          f"{len(vigil_blocks)} ({len(merged)} merged); {len(qs)} queries x3 agree "
          f"({n1}, {n2}, {n3} values, {INEXACT[0]} of them sums within {REL_TOL}); "
          f"{time.time() - t0:.1f}s")


if __name__ == "__main__":
    main([test_prometheus_data_dir_opens_in_vigil])
