"""Persistent blocks end to end: `vigil server` with 1-minute blocks scrapes a `vigil fleet`
every second until the head is compacted into a block. The block is listed by Debian's
promtool, promtool's dump of it equals what Vigil's API returns for the block's range, and
after a kill -9 and a restart the block still answers the same and no temporary directory
is left behind. The admin API deletes a metric's samples in the block's range
(delete_series: gone from queries, also after a restart, and from promtool's dump) and
clean_tombstones rewrites the block without them."""
import json
import os
import re
import shutil
import subprocess
import time
import urllib.parse

from harness import (block_dirs, check, get_json, http, main, metric_value, query, raw_series,
                     scalar_query, start_fleet, start_server, tempdir, wait_until)

LOG = tempdir("vigil-it-blocks-")
TARGETS, SERIES = 2, 50
FLAGS = ["--storage.tsdb.min-block-duration=1m", "--storage.tsdb.max-block-duration=1m"]


def leftovers(data):
    return [n for n in os.listdir(data) if ".tmp" in n]


def raw_samples(url, selector, mint, maxt):
    """{labels-tuple: [(t_ms, value string)]} of the raw samples in [mint, maxt)."""
    return raw_series(url, selector, mint, maxt, inclusive=False, value=str)


def promtool_dump(data, selector, mint, maxt):
    """The same shape from `promtool tsdb dump` (reads blocks and the head)."""
    p = subprocess.run(["promtool", "tsdb", "dump", f"--min-time={mint}", f"--max-time={maxt - 1}",
                        f"--match={selector}", data], capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, f"promtool tsdb dump failed: {p.stderr[-2000:]}")
    out = {}
    line_re = re.compile(r"^\{(.*)\} (\S+) (-?\d+)$")
    pair_re = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
    for line in p.stdout.splitlines():
        m = line_re.match(line)
        if not m:
            continue
        labels = tuple(sorted((k, v) for k, v in pair_re.findall(m.group(1))))
        out.setdefault(labels, []).append((int(m.group(3)), m.group(2)))
    for v in out.values():
        v.sort()
    return out


def same(a, b):
    """Equal series and timestamps; values compared as floats (formatting differs)."""
    if a.keys() != b.keys():
        return False
    for k in a:
        if [t for t, _ in a[k]] != [t for t, _ in b[k]]:
            return False
        for (_, x), (_, y) in zip(a[k], b[k]):
            fx, fy = float(x), float(y)
            if fx != fy and not (fx != fx and fy != fy):
                return False
    return True


def test_blocks_end_to_end():
    fleet, base = start_fleet(TARGETS, SERIES, LOG)
    cfg = ("scrape_configs:\n  - job_name: fleet\n    scrape_interval: 1s\n    static_configs:\n"
           "      - targets: [" + ", ".join(f"'127.0.0.1:{base + i}'" for i in range(TARGETS)) + "]\n")
    server, url, data = start_server(cfg, LOG, extra=FLAGS, name="vigil")
    wait_until(lambda: (scalar_query(url, "sum(up)") or 0) == TARGETS, 30, what="targets up")

    # The head spans 1.5 block ranges after ~90 s; compaction runs every 15 s.
    wait_until(lambda: block_dirs(data), 200, interval=2, what="a block directory")
    wait_until(lambda: (metric_value(url, "prometheus_tsdb_blocks_loaded") or 0) >= 1, 30,
               what="prometheus_tsdb_blocks_loaded >= 1")
    check((metric_value(url, "prometheus_tsdb_compactions_total") or 0) >= 1, "no compaction counted")
    ulid, meta = block_dirs(data)[0]
    mint, maxt = meta["minTime"], meta["maxTime"]
    check(maxt - mint <= 60_000 and maxt % 60_000 == 0, f"block range [{mint}, {maxt}) not 1m-aligned")
    check(meta["stats"]["numSeries"] >= TARGETS * SERIES, f"block stats: {meta['stats']}")
    names = [n for n in query(url, "count by (__name__) ({job=\"fleet\"})")]
    metric = sorted(r["metric"]["__name__"] for r in names
                    if not r["metric"]["__name__"].startswith(("scrape_", "up")))[0]
    selectors = ['{__name__="up"}', '{__name__="%s"}' % metric]
    before = {s: raw_samples(url, s, mint, maxt) for s in selectors}
    for s, v in before.items():
        check(v, f"no samples for {s} in the block range")
    # Head compaction left the block's range to the block: the head starts at its end.
    check((metric_value(url, "prometheus_tsdb_head_min_time") or 0) >= maxt,
          "the head still holds the block's range")

    # The block listing endpoint; snapshots need --web.enable-admin-api.
    st, body = get_json(url + "/api/v1/status/tsdb/blocks")
    check(st == 200 and ulid in [b["ulid"] for b in body["data"]["blocks"]],
          f"/api/v1/status/tsdb/blocks: {st} {body}")
    st, _, _ = http("POST", url + "/api/v1/admin/tsdb/snapshot")
    check(st == 503, f"snapshot without --web.enable-admin-api answered {st}")
    for path in ("delete_series?match[]=up", "clean_tombstones"):
        st, _, raw = http("POST", url + "/api/v1/admin/tsdb/" + path)
        check(st == 503 and json.loads(raw)["errorType"] == "unavailable"
              and json.loads(raw)["error"] == "admin APIs disabled",
              f"{path} without --web.enable-admin-api: {st} {raw[:300]}")
    # A third metric, deleted in the block's range later on.
    metric2 = sorted(r["metric"]["__name__"] for r in names
                     if not r["metric"]["__name__"].startswith(("scrape_", "up")))[1]
    sel2 = '{__name__="%s"}' % metric2

    # kill -9 while scraping; the restarted server answers the same from the block.
    server.kill9()
    server2, url2, _ = start_server(cfg, LOG, extra=FLAGS + ["--web.enable-admin-api"],
                                    data_dir=data, name="vigil-restarted")
    check((metric_value(url2, "prometheus_tsdb_blocks_loaded") or 0) >= 1, "block not loaded")
    for s in selectors:
        check(same(raw_samples(url2, s, mint, maxt), before[s]), f"{s} differs after kill -9")
    check(not leftovers(data), f"temporary dirs after restart: {leftovers(data)}")
    st, _, raw = http("POST", url2 + "/api/v1/admin/tsdb/snapshot")
    check(st == 200, f"snapshot: {st} {raw[:500]}")
    snap = os.path.join(data, "snapshots", json.loads(raw)["data"]["name"])
    snap_blocks = [n for n, _ in block_dirs(snap)]
    check(ulid in snap_blocks and len(snap_blocks) >= 2, f"snapshot holds {snap_blocks}")

    # delete_series: parameter errors as Prometheus reports them, then the deletion.
    admin = url2 + "/api/v1/admin/tsdb/"
    st, _, raw = http("GET", admin + "delete_series?match[]=up")
    check(st == 405, f"GET delete_series: {st} {raw[:200]}")
    st, _, raw = http("POST", admin + "delete_series")
    check(st == 400 and json.loads(raw) == {"status": "error", "errorType": "bad_data",
                                            "error": "no match[] parameter provided"},
          f"delete_series without match[]: {st} {raw[:300]}")
    st, _, raw = http("POST", admin + "delete_series?match[]=up&start=yesterday")
    check(st == 400 and json.loads(raw)["error"] == 'invalid parameter "start": invalid time '
          "value for 'start': cannot parse \"yesterday\" to a valid timestamp",
          f"delete_series with a bad start: {st} {raw[:300]}")
    st, _, raw = http("POST", admin + "delete_series?match[]=" + urllib.parse.quote("up{"))
    check(st == 400 and json.loads(raw)["error"].startswith('invalid parameter "match[]": '),
          f"delete_series with a bad selector: {st} {raw[:300]}")
    before2 = raw_samples(url2, sel2, mint, maxt)
    check(before2, f"no samples for {sel2} in the block range")
    params = urllib.parse.urlencode({"match[]": sel2, "start": f"{mint / 1000:.3f}",
                                     "end": f"{(maxt - 1) / 1000:.3f}"})
    st, _, raw = http("POST", admin + "delete_series", body=params,
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    check(st == 204 and raw == b"", f"delete_series: {st} {raw[:300]}")
    check(raw_samples(url2, sel2, mint, maxt) == {}, f"{sel2} still answers after delete_series")
    for s in selectors:
        check(same(raw_samples(url2, s, mint, maxt), before[s]), f"{s} changed by delete_series")
    ts_file = os.path.join(data, ulid, "tombstones")
    # (The compactor may already have rewritten a block with many tombstones.)
    check(not os.path.exists(ts_file) or os.path.getsize(ts_file) > 9,
          "the block's tombstones file is still empty")
    server2.stop()

    # The deletion survives a restart; clean_tombstones rewrites the block without it.
    server3, url3, _ = start_server(cfg, LOG, extra=FLAGS + ["--web.enable-admin-api"],
                                    data_dir=data, name="vigil-delete")
    check(raw_samples(url3, sel2, mint, maxt) == {}, f"{sel2} came back after a restart")
    st, _, raw = http("PUT", url3 + "/api/v1/admin/tsdb/clean_tombstones")
    check(st == 204 and raw == b"", f"clean_tombstones: {st} {raw[:300]}")
    same_range = [(n, m) for n, m in block_dirs(data)
                  if m["minTime"] == mint and m["maxTime"] == maxt]
    check(len(same_range) == 1 and same_range[0][0] != ulid
          and not same_range[0][1]["stats"].get("numTombstones"),
          f"after clean_tombstones the block of [{mint}, {maxt}) is {same_range}")
    ulid = same_range[0][0]
    check(raw_samples(url3, sel2, mint, maxt) == {}, f"{sel2} came back after clean_tombstones")
    for s in selectors:
        check(same(raw_samples(url3, s, mint, maxt), before[s]), f"{s} changed by clean_tombstones")
    server3.stop()
    fleet.stop()
    check(not leftovers(data), f"temporary dirs after stop: {leftovers(data)}")

    # promtool reads the block: listed, and its dump equals Vigil's answer.
    if shutil.which("promtool") is None:
        print("promtool not installed: skipping the promtool checks")
        return
    p = subprocess.run(["promtool", "tsdb", "list", data], capture_output=True, text=True,
                       timeout=60)
    check(p.returncode == 0 and ulid in p.stdout, f"promtool tsdb list: {p.stdout} {p.stderr}")
    p = subprocess.run(["promtool", "tsdb", "list", snap], capture_output=True, text=True,
                       timeout=60)
    check(p.returncode == 0 and all(b in p.stdout for b in snap_blocks),
          f"promtool tsdb list of the snapshot: {p.stdout} {p.stderr}")
    check(promtool_dump(data, sel2, mint, maxt) == {}, f"promtool dumps the deleted {sel2}")
    for s in selectors:
        dumped = promtool_dump(data, s, mint, maxt)
        check(same(dumped, before[s]), f"promtool dump of {s} differs from Vigil's query "
              f"({len(dumped)} vs {len(before[s])} series)")
    print(f"block {ulid} [{mint}, {maxt}) {meta['stats']}; "
          f"{sum(len(v) for v in before[selectors[1]].values())} samples of {metric} compared")


if __name__ == "__main__":
    main([test_blocks_end_to_end])
