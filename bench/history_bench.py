#!/usr/bin/env python3
"""Side-by-side history benchmark: hours of data at up to 1M series, all systems at once.

Every system (fresh data dir, remote-write receiver on) runs at the same time and receives
the identical simulated fleet history in one pass (`vigil fleet --backfill` fans each
request out to every receiver, buffering --rounds-per-send scrape rounds so each request
carries several samples per series, as a sender catching up does). Each system cuts and
compacts blocks as it would in production. Then, on that data:

  * ingest: wall time of the pass, peak RSS of each server while ingesting
  * disk: bytes per sample in persisted blocks (Vigil and Prometheus: block dirs over the
    numSamples of their meta.json) and the whole data dir over all samples (every system;
    VictoriaMetrics after a forced flush), and the compaction time each reports
  * queries: the query mix of query_bench.py as query_range over two windows, one in the
    head (the last --window) and one that lies in persisted blocks (starting --old-offset
    after the history's start); one cold run, then --repeat timed runs interleaved across
    systems so machine noise hits each alike; the median, the answers' digests, and the
    peak RSS of each server while the mix runs
  * restart: each server stopped (SIGTERM) and started again in turn: seconds until it
    answers, RSS and VmHWM right after

Usage:
  bench/history_bench.py --targets 500 --series-per-target 2000 --history 5h \\
      --interval 60s --out /tmp/h1m vigil prometheus victoriametrics
  bench/history_bench.py --report DIR      # rewrite DIR/report.md from DIR/results.json
"""
import argparse
import glob
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

from bench_common import (add_common_args, fmt_kb, http_get, make_out_dir, metrics_sum, proc_cpu_ticks,
                          proc_rss_kb, query, stop, systems, wait_ready, write_report)
from query_bench import QUERIES, RssSampler, parse_duration_s, result_digest, result_shape

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TSDB_SYSTEMS = ("vigil", "prometheus")  # Prometheus' block layout


def dir_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(root, f))
            except OSError:
                pass
    return total


def block_stats(data):
    """Persisted blocks of a Prometheus-layout data dir: count, samples, bytes, time range."""
    blocks, samples, size, mint, maxt = 0, 0, 0, None, None
    for meta_path in glob.glob(os.path.join(data, "*", "meta.json")):
        d = os.path.dirname(meta_path)
        if d.endswith((".tmp-for-creation", ".tmp-for-deletion")):
            continue
        m = json.load(open(meta_path))
        blocks += 1
        samples += m["stats"]["numSamples"]
        size += dir_bytes(d)
        mint = m["minTime"] if mint is None else min(mint, m["minTime"])
        maxt = m["maxTime"] if maxt is None else max(maxt, m["maxTime"])
    return {"blocks": blocks, "samples": samples, "bytes": size, "mint_ms": mint, "maxt_ms": maxt}


BREAKDOWN_KEYS = [  # (key, the line's prefix in `vigil tool tsdb analyze --extended`)
    ("total", "Bytes per sample: "), ("framing", "  chunk framing"), ("heads", "  chunk heads"),
    ("timestamps", "  timestamps after the first: "), ("values", "  values after the first: "),
    ("one_chunk", "Chunks if every series were one XOR chunk: ")]


def block_breakdown(vigil, data):
    """Bytes per sample of the longest (then newest) head block, normally a full 2 h, split by
    `vigil tool tsdb analyze --extended`, which reads any Prometheus-layout block."""
    full = []
    for meta_path in glob.glob(os.path.join(data, "*", "meta.json")):
        d = os.path.dirname(meta_path)
        if d.endswith((".tmp-for-creation", ".tmp-for-deletion")):
            continue
        m = json.load(open(meta_path))
        if m["compaction"]["level"] == 1:  # a head block: starts at its first sample
            full.append((m["maxTime"] - m["minTime"], m["minTime"], os.path.basename(d)))
    if not full:
        return None
    ulid = max(full)[2]
    out = subprocess.run([vigil, "tool", "tsdb", "analyze", "--extended", "--limit", "1", data, ulid],
                         capture_output=True, text=True, timeout=1800).stdout
    r = {"block": ulid}
    for line in out.splitlines():
        for key, prefix in BREAKDOWN_KEYS:
            if line.startswith(prefix):
                nums = [float(x) for x in re.findall(r"\d+\.\d+", line[len(prefix):])]
                if key == "total":  # "T (index I, chunks C)"
                    r["total"], r["index"], r["chunks"] = nums[:3]
                elif nums:
                    r[key] = nums[-1]
    return r


def result_points(body):
    """{(labels, t): value} of a matrix answer, None for an error."""
    if body.get("status") != "success":
        return None
    return {(tuple(sorted(s["metric"].items())), float(t)): float(v)
            for s in body["data"]["result"] for t, v in s.get("values", [])}


def compare_answers(ref, other, tolerance=1e-9):
    """(equal, worst relative difference) of two result_points(): equal means the same label
    sets and timestamps and every value within `tolerance` relative (NaN equals NaN).
    Summation order makes the last digits differ (118.0125 vs 118.01249999999997), so answers
    are compared by tolerance, not by rounded digests."""
    if ref is None or other is None or ref.keys() != other.keys():
        return False, None
    worst = 0.0
    for k, a in ref.items():
        b = other[k]
        if math.isnan(a) or math.isnan(b):
            if not (math.isnan(a) and math.isnan(b)):
                return False, None
            continue
        if a != b:
            worst = max(worst, abs(a - b) / max(abs(a), abs(b)))
    return worst <= tolerance, worst


def wait_compacted(procs, data_dirs, old_end_ms, timeout_s):
    """Waits until every Prometheus-layout system has a block covering old_end_ms and its
    block list has not changed for a minute (compactions done)."""
    t0, last, stable_since = time.time(), None, time.time()
    while time.time() - t0 < timeout_s:
        state = {n: block_stats(data_dirs[n]) for n in procs if n in TSDB_SYSTEMS}
        key = json.dumps(state, sort_keys=True)
        if key != last:
            last, stable_since = key, time.time()
        covered = all(s["maxt_ms"] is not None and s["maxt_ms"] >= old_end_ms for s in state.values())
        if covered and time.time() - stable_since >= 60:
            return time.time() - t0
        time.sleep(5)
    return None


def run(args, out, names):
    cfg = os.path.join(out, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write("global:\n  scrape_interval: 60s\nscrape_configs: []\n")
    all_sys = systems(args.vigil, cfg, remote_write=True)
    end_s = int(time.time()) // 60 * 60 - 60
    history_s = parse_duration_s(args.history)
    start_s = end_s - history_s
    win_s = parse_duration_s(args.window)
    old_start = start_s + parse_duration_s(args.old_offset)
    windows = {"head": (end_s - win_s, end_s), "blocks": (old_start, old_start + win_s)}
    res = {"targets": args.targets, "spt": args.series_per_target, "history": args.history,
           "interval": args.interval, "window": args.window, "step": args.step, "end": end_s,
           "windows": windows, "systems": {}}
    with open(os.path.join(out, "machine.txt"), "w") as f:
        f.write(f"date_utc={time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}\nnproc={os.cpu_count()}\n"
                f"loadavg={open('/proc/loadavg').read().strip()}\nargs={vars(args)}\n")
    procs, logs, data_dirs = {}, {}, {}
    try:
        for n in names:
            data_dirs[n] = f"/tmp/bench-h-{n}-data"
            shutil.rmtree(data_dirs[n], ignore_errors=True)
            os.makedirs(data_dirs[n])
            logs[n] = open(os.path.join(out, f"{n}.log"), "a")
            procs[n] = subprocess.Popen(all_sys[n].argv(data_dirs[n]), stdout=logs[n], stderr=subprocess.STDOUT)
        for n in names:
            if wait_ready(all_sys[n], procs[n], 120) is None:
                sys.exit(f"{n}: not ready")
            res["systems"][n] = {}

        # Ingest: one pass, fanned out to every receiver.
        samplers = {n: RssSampler(procs[n].pid) for n in names}
        for s in samplers.values():
            s.start()
        cpu0 = {n: proc_cpu_ticks(procs[n].pid) for n in names}
        bf = [args.vigil, "fleet", f"--targets={args.targets}", f"--series-per-target={args.series_per_target}",
              f"--seed={args.seed}", f"--backfill={args.history}", f"--backfill.end={end_s}",
              f"--scrape-interval={args.interval}", "--remote-write.shards=2",
              f"--remote-write.rounds-per-send={args.rounds_per_send}", "--remote-write.timeout=5m"]
        bf += [f"--remote-write.url={all_sys[n].write_url}" for n in names]
        print(f"== backfill {args.history} of {args.targets}x{args.series_per_target} at {args.interval}",
              file=sys.stderr)
        t0 = time.time()
        p = subprocess.run(bf, stdout=subprocess.PIPE, stderr=logs[names[0]], text=True)
        res["backfill_s"] = time.time() - t0
        if p.returncode != 0:
            sys.exit(f"backfill failed (rc {p.returncode}): {p.stdout[-2000:]}")
        summary = json.loads(p.stdout.strip().splitlines()[-1])
        res["samples"], res["series"] = summary["samples"], summary["series"]
        print(f"   {res['samples']} samples, {res['series']} series in {res['backfill_s']:.0f} s", file=sys.stderr)

        # Let compaction finish; VictoriaMetrics makes everything searchable on a flush.
        for n in names:
            if n == "victoriametrics":
                http_get(f"http://127.0.0.1:{all_sys[n].port}/internal/force_flush", 60)
        waited = wait_compacted(procs, data_dirs, windows["blocks"][1] * 1000, args.compact_timeout)
        res["compaction_wait_s"] = waited
        time.sleep(args.settle)
        for n in names:
            r = res["systems"][n]
            r["ingest_peak_rss_kb"] = samplers[n].stop()
            r["ingest_cpu_s"] = (proc_cpu_ticks(procs[n].pid) - cpu0[n]) / os.sysconf("SC_CLK_TCK")
            r["data_bytes"] = dir_bytes(data_dirs[n])
            r["compaction_s"] = metrics_sum(all_sys[n].port, ["prometheus_tsdb_compaction_duration_seconds_sum"])
            if n in TSDB_SYSTEMS:
                r["blocks"] = block_stats(data_dirs[n])
                r["block_breakdown"] = block_breakdown(args.vigil, data_dirs[n])
            r["rss_before_queries_kb"] = proc_rss_kb(procs[n].pid)
            print(f"   {n}: data {r['data_bytes'] / 1e6:.0f} MB, blocks {r.get('blocks')}", file=sys.stderr)

        # Queries: per window, a cold run of each query on each system, then interleaved repeats.
        if args.quiet_file:
            open(args.quiet_file, "w").write("history_bench: queries and restarts\n")
        samplers = {n: RssSampler(procs[n].pid) for n in names}
        for s in samplers.values():
            s.start()
        for wname, (ws, we) in windows.items():
            for n in names:
                res["systems"][n].setdefault("queries", {})[wname] = []
            for label, q in QUERIES:
                params = {"query": q, "start": ws, "end": we, "step": args.step}
                times = {n: [] for n in names}
                bodies, colds = {}, {}
                for n in names:
                    colds[n], bodies[n] = query(all_sys[n], "/api/v1/query_range", params)
                for _ in range(args.repeat):
                    for n in names:
                        dt, bodies[n] = query(all_sys[n], "/api/v1/query_range", params)
                        times[n].append(dt)
                ref_points = result_points(bodies[names[0]])
                for n in names:
                    b = bodies[n]
                    err = None if b.get("status") == "success" else str(b.get("error"))[:200]
                    equal, worst = compare_answers(ref_points, result_points(b))
                    res["systems"][n]["queries"][wname].append({
                        "label": label, "query": q, "cold_s": colds[n], "median_s": statistics.median(times[n]),
                        "shape": result_shape(b), "digest": str(hash(str(result_digest(b)))),
                        "equal_to_first": equal, "max_rel_diff": worst, "error": err})
                print(f"   {wname} {label}: " + ", ".join(
                    f"{n} {statistics.median(times[n]) * 1000:.0f} ms" for n in names), file=sys.stderr)
        for n in names:
            res["systems"][n]["query_peak_rss_kb"] = samplers[n].stop()

        # Restart each in turn (the others keep running, idle).
        for n in names:
            stop(procs[n], 600)
            t0 = time.time()
            procs[n] = subprocess.Popen(all_sys[n].argv(data_dirs[n]), stdout=logs[n], stderr=subprocess.STDOUT)
            ready = wait_ready(all_sys[n], procs[n], 600)
            r = res["systems"][n]
            r["restart_s"] = ready
            r["restart_rss_kb"] = proc_rss_kb(procs[n].pid)
            r["restart_hwm_kb"] = proc_rss_kb(procs[n].pid, "VmHWM")
            r["restart_cpu_s"] = proc_cpu_ticks(procs[n].pid) / os.sysconf("SC_CLK_TCK")
            print(f"   restart {n}: {ready} s, {fmt_kb(r['restart_hwm_kb'])} peak", file=sys.stderr)
    finally:
        for n, pr in procs.items():
            stop(pr, 600)
            logs[n].close()
        if args.quiet_file and os.path.exists(args.quiet_file):
            os.remove(args.quiet_file)
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(res, f, indent=1)


def report(out):
    res = json.load(open(os.path.join(out, "results.json")))
    names = list(res["systems"])
    ref = names[0]
    S = res["systems"]
    lines = [f"{res['targets'] * res['spt'] // 1000}k series x {res['history']} at {res['interval']}: "
             f"{res['samples'] / 1e6:.0f}M samples, {res['series']} series, ingested by all systems at once "
             f"in {res['backfill_s']:.0f} s.", ""]
    for wname, (ws, we) in res["windows"].items():
        lines += [f"### Queries on the {wname} window ({res['window']} at {res['step']} s step; "
                  f"median of the timed runs; ratio = other / {ref})", "",
                  "| query class | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
        ratios = {n: [] for n in names[1:]}
        for i, rq in enumerate(S[ref]["queries"][wname]):
            cells = []
            for n in names:
                q = S[n]["queries"][wname][i]
                if q["error"]:
                    cells.append("error")
                    continue
                same = "" if q.get("equal_to_first", q["digest"] == rq["digest"]) else " ≠"
                cell = f"{q['median_s'] * 1000:.0f} ms{same}"
                if n != ref and not rq["error"]:
                    x = q["median_s"] / max(rq["median_s"], 1e-9)
                    ratios[n].append(x)
                    cell += f" ({x:.1f}×)"
                cells.append(cell)
            lines.append(f"| {rq['label']} | " + " | ".join(cells) + " |")
        lines.append("| **median ratio** | | " + " | ".join(
            f"**{statistics.median(ratios[n]):.1f}×**" if ratios[n] else "—" for n in names[1:]) + " |")
        lines.append("")
    lines += ["≠: the answer differs from the first system's (labels, timestamps, or a value by more "
              "than 1e-9 relative; in runs recorded before that check, its 6-digit digest differs).", ""]
    rows = [
        ("peak RSS while ingesting", lambda r: fmt_kb(r["ingest_peak_rss_kb"])),
        ("CPU s while ingesting (incl. compaction)", lambda r: f"{r['ingest_cpu_s']:.0f}"),
        ("peak RSS while querying", lambda r: fmt_kb(r["query_peak_rss_kb"])),
        ("data dir, bytes per sample (all samples)", lambda r: f"{r['data_bytes'] / res['samples']:.2f}"),
        ("blocks: count, bytes per sample", lambda r: (
            f"{r['blocks']['blocks']}, {r['blocks']['bytes'] / max(r['blocks']['samples'], 1):.2f}"
            if r.get("blocks") else "—")),
        ("compaction time reported (s)", lambda r: "—" if r.get("compaction_s") is None else f"{r['compaction_s']:.1f}"),
        ("restart: ready after", lambda r: "—" if r.get("restart_s") is None else f"{r['restart_s']:.1f} s"),
        ("restart: RSS / VmHWM", lambda r: f"{fmt_kb(r['restart_rss_kb'])} / {fmt_kb(r['restart_hwm_kb'])}"),
    ]
    lines += ["### Ingest, disk and restart", "", "| | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for label, f in rows:
        lines.append(f"| {label} | " + " | ".join(f(S[n]) for n in names) + " |")
    lines.append("")
    bd = {n: S[n].get("block_breakdown") for n in names if S[n].get("block_breakdown")}
    if bd:
        lines += ["### Where the bytes of a full 2 h block go (bytes per sample, "
                  "`vigil tool tsdb analyze --extended`)", "",
                  "| | " + " | ".join(bd) + " |", "|---|" + "---|" * len(bd)]
        for key, label in [("total", "**block**"), ("index", "index"), ("chunks", "chunk files"),
                           ("framing", "· chunk framing (length, encoding, CRC32)"),
                           ("heads", "· chunk heads (count, first timestamp, first value)"),
                           ("timestamps", "· timestamps after the first"),
                           ("values", "· values after the first (XOR)"),
                           ("one_chunk", "chunk files if every series were one XOR chunk")]:
            lines.append(f"| {label} | " + " | ".join(
                f"{bd[n][key]:.3f}" if key in bd[n] else "—" for n in bd) + " |")
        lines.append("")
    return write_report(out, lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(ap, os.path.join(ROOT, "build", "bin", "vigil"))
    ap.add_argument("--history", default="5h")
    ap.add_argument("--interval", default="60s", help="simulated scrape interval")
    ap.add_argument("--rounds-per-send", type=int, default=8)
    ap.add_argument("--window", default="30m", help="query_range window")
    ap.add_argument("--old-offset", default="30m", help="the blocks window starts this long after the history's start")
    ap.add_argument("--step", type=int, default=30)
    ap.add_argument("--settle", type=float, default=5)
    ap.add_argument("--compact-timeout", type=float, default=900)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--quiet-file", help="exists while queries and restarts are measured (a sign to "
                    "other work on the machine to pause)")
    args = ap.parse_args()
    if args.report:
        print(report(args.report))
        return
    out = make_out_dir(args, os.path.join(HERE, "out"), "h-")
    run(args, out, args.systems)
    print(report(out))


if __name__ == "__main__":
    main()
