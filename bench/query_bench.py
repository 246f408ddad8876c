#!/usr/bin/env python3
"""Side-by-side query benchmark: Vigil vs Prometheus vs VictoriaMetrics on the same data.

For each system in turn (one at a time, fresh data dir): start it with its remote-write
receiver, backfill the same simulated fleet history into it (`vigil fleet --backfill`, the
same seed and end time for every system, so every system stores identical samples), then run
a query mix of dashboard and alert queries as query_range over the last --window of that
history, and record:

  * latency per query: one cold run, then the median of --repeat runs
  * result size (series, points) — and whether it equals the first system's answer
  * peak RSS of the server while the mix runs (sampled every 50 ms) and VmHWM overall
  * backfill time and the server's ingest rate through remote write (samples/s)

Usage:
  bench/query_bench.py --targets 50 --series-per-target 2000 --history 2h \\
      --out bench/out/q100k vigil prometheus victoriametrics
  bench/query_bench.py --report DIR      # rewrite DIR/report.md from DIR/results.jsonl
"""
import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time

from bench_common import add_common_args, make_out_dir, write_report, fmt_kb, proc_rss_kb, query, stop, systems, wait_ready

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# (class, PromQL). The classes of the issue: rate + sum by, histogram_quantile, topk, vector
# matching across two metrics, subquery, regex matchers, count of every series.
QUERIES = [
    ("rate+sum by", 'sum by (destination_workload, response_flags) (rate(istio_requests_total[5m]))'),
    ("histogram_quantile",
     'histogram_quantile(0.99, sum by (le, uri) (rate(http_server_requests_seconds_bucket[5m])))'),
    ("topk", 'topk(10, sum by (pod) (rate(container_cpu_usage_seconds_total[5m])))'),
    ("vector matching",
     'rate(container_cpu_cfs_throttled_periods_total[5m]) / rate(container_cpu_cfs_periods_total[5m])'),
    ("subquery", 'max_over_time(sum by (destination_workload) (rate(istio_requests_total[1m]))[30m:1m])'),
    ("regex matchers",
     'sum by (destination_workload) (rate(istio_requests_total{destination_workload=~"(check|pay).*",'
     'response_code!~"2.."}[5m]))'),
    ("count all", 'count({__name__=~".+"})'),
]


def parse_duration_s(s):
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    return int(s[:-1]) * units[s[-1]] if s[-1] in units else int(s)


class RssSampler(threading.Thread):
    """Max VmRSS of a process, sampled every 50 ms until stop()."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.max_kb, self._halt = pid, 0, threading.Event()

    def run(self):
        while not self._halt.is_set():
            self.max_kb = max(self.max_kb, proc_rss_kb(self.pid))
            self._halt.wait(0.05)

    def stop(self):
        self._halt.set()
        self.join()
        return self.max_kb


def result_shape(body):
    """(series, points) of a matrix answer, None for an error."""
    if body.get("status") != "success":
        return None
    res = body["data"]["result"]
    return len(res), sum(len(s.get("values", [])) for s in res)


def result_digest(body):
    """Label sets and rounded values: equal digests mean equal answers (1e-6 relative)."""
    if body.get("status") != "success":
        return None
    out = []
    for s in body["data"]["result"]:
        vals = []
        for t, v in s.get("values", []):
            f = float(v)
            vals.append((round(float(t), 3), "nan" if math.isnan(f) else f"{f:.6g}"))
        out.append((tuple(sorted(s["metric"].items())), tuple(vals)))
    return sorted(out)


def run_system(args, sys_, out, end_s):
    data = f"/tmp/bench-q-{sys_.name}-data"
    shutil.rmtree(data, ignore_errors=True)
    os.makedirs(data)
    log = open(os.path.join(out, f"{sys_.name}.log"), "w")
    proc = subprocess.Popen(sys_.argv(data), stdout=log, stderr=subprocess.STDOUT)
    res = {"system": sys_.name, "targets": args.targets, "spt": args.series_per_target,
           "history": args.history, "window": args.window, "step": args.step}
    try:
        if wait_ready(sys_, proc, 120) is None:
            print(f"{sys_.name}: not ready", file=sys.stderr)
            return None
        bf = [args.vigil, "fleet", f"--targets={args.targets}",
              f"--series-per-target={args.series_per_target}", f"--seed={args.seed}",
              f"--backfill={args.history}", f"--backfill.end={end_s}",
              f"--scrape-interval={args.interval}", f"--remote-write.url={sys_.write_url}",
              "--remote-write.shards=2"]
        t0 = time.time()
        rc = subprocess.run(bf, stdout=log, stderr=subprocess.STDOUT).returncode
        res["backfill_s"] = time.time() - t0
        if rc != 0 or proc.poll() is not None:
            print(f"{sys_.name}: backfill failed (rc {rc})", file=sys.stderr)
            return None
        time.sleep(args.settle)  # VM makes fresh rows searchable after a flush (~1 s)
        res["hwm_after_backfill_kb"] = proc_rss_kb(proc.pid, "VmHWM")
        res["rss_before_queries_kb"] = proc_rss_kb(proc.pid)
        sampler = RssSampler(proc.pid)
        sampler.start()
        start = end_s - parse_duration_s(args.window)
        qres = []
        for label, q in QUERIES:
            params = {"query": q, "start": start, "end": end_s, "step": args.step}
            cold, body = query(sys_, "/api/v1/query_range", params)
            times = []
            for _ in range(args.repeat):
                dt, body = query(sys_, "/api/v1/query_range", params)
                times.append(dt)
            err = None if body.get("status") == "success" else str(body.get("error"))[:200]
            qres.append({"label": label, "query": q, "cold_s": cold, "median_s": statistics.median(times),
                         "shape": result_shape(body), "digest": str(hash(str(result_digest(body)))),
                         "error": err})
            print(f"  {sys_.name} {label}: {statistics.median(times) * 1000:.0f} ms {result_shape(body)} "
                  f"{err or ''}", file=sys.stderr)
        res["rss_peak_queries_kb"] = sampler.stop()
        res["hwm_kb"] = proc_rss_kb(proc.pid, "VmHWM")
        res["queries"] = qres
        return res
    finally:
        stop(proc)
        log.close()


def report(out):
    rows = [json.loads(l) for l in open(os.path.join(out, "results.jsonl")) if l.strip()]
    labels = [q["label"] for q in rows[0]["queries"]]
    ref = {q["label"]: q for q in rows[0]["queries"]}
    lines = ["| system | " + " | ".join(labels) + " | peak RSS during queries | backfill |",
             "|---|" + "---|" * (len(labels) + 2)]
    for r in rows:
        cells = []
        for q in r["queries"]:
            same = "" if q["digest"] == ref[q["label"]]["digest"] else " ≠"
            cells.append("error" if q["error"] else f"{q['median_s'] * 1000:.0f} ms{same}")
        lines.append(f"| {r['system']} | " + " | ".join(cells) +
                     f" | {fmt_kb(r['rss_peak_queries_kb'])} | {r['backfill_s']:.0f} s |")
    lines += ["", "Latency ratio to " + rows[0]["system"] + " (other / " + rows[0]["system"] + "; > 1: "
              + rows[0]["system"] + " faster):", "",
              "| system | " + " | ".join(labels) + " | median |", "|---|" + "---|" * (len(labels) + 1)]
    for r in rows[1:]:
        ratios = [q["median_s"] / max(ref[q["label"]]["median_s"], 1e-9) for q in r["queries"]]
        lines.append(f"| {r['system']} | " + " | ".join(f"{x:.1f}×" for x in ratios) +
                     f" | {statistics.median(ratios):.1f}× |")
    lines += ["", "Result sizes (series / points): " + "; ".join(
        f"{q['label']} {q['shape'][0]}/{q['shape'][1]}" for q in rows[0]["queries"] if q["shape"]), ""]
    return write_report(out, lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(ap, os.path.join(ROOT, "build", "bin", "vigil"))
    ap.add_argument("--history", default="2h", help="backfilled history per system")
    ap.add_argument("--interval", default="10s", help="simulated scrape interval")
    ap.add_argument("--window", default="1h", help="query_range window, ending at the history's end")
    ap.add_argument("--step", type=int, default=30)
    ap.add_argument("--settle", type=float, default=5)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if args.report:
        print(report(args.report))
        return
    out = make_out_dir(args, os.path.join(HERE, "out"), "q-")
    cfg = os.path.join(out, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write("global:\n  scrape_interval: 10s\nscrape_configs: []\n")
    end_s = int(time.time()) // 60 * 60 - 60
    with open(os.path.join(out, "machine.txt"), "w") as f:
        f.write(f"date_utc={time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}\nnproc={os.cpu_count()}\n"
                f"loadavg={open('/proc/loadavg').read().strip()}\nend={end_s}\n"
                f"args={vars(args)}\n")
    with open(os.path.join(out, "results.jsonl"), "a") as results:
        for name in args.systems:
            sys_ = systems(args.vigil, cfg, remote_write=True)[name]
            print(f"== {name}", file=sys.stderr)
            r = run_system(args, sys_, out, end_s)
            if r:
                results.write(json.dumps(r) + "\n")
                results.flush()
            time.sleep(3)
    print(report(out))


if __name__ == "__main__":
    main()
