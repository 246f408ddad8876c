#!/usr/bin/env python3
"""Side-by-side ingest benchmark: Vigil vs Prometheus vs VictoriaMetrics.

Starts one `vigil fleet` (the simulated microservice fleet), then runs each system in
turn against the same generated prometheus.yml with a fresh data dir, and measures, like
the baseline harness the team used for the anchors (same definitions, so the numbers are
comparable with those baselines):

  * RSS (VmRSS every 5 s): steady = median after --warmup, peak = max sample and VmHWM
  * CPU seconds per million samples ingested, over the steady window
  * active series, samples ingested (each system's own counter)
  * query_range latency of a small query mix over the run window (median of --repeat)
  * restart: stop (SIGTERM), start again on the same data dir, time until ready and the
    RSS/VmHWM right after (WAL replay)

Usage:
  bench/ingest_bench.py --targets 50 --series-per-target 2000 --duration 300 \
      --out bench/out/100k vigil prometheus victoriametrics
Then `bench/ingest_bench.py --report DIR` rewrites DIR/report.md from DIR/results.jsonl.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

from bench_common import add_common_args, make_out_dir, write_report, fmt_kb, metrics_sum, proc_cpu_ticks, proc_rss_kb, query, stop, systems, wait_ready

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

QUERIES = [
    ("istio sum-rate", 'sum by (destination_workload, response_flags) (rate(istio_requests_total[1m]))'),
    ("p99 by uri", 'histogram_quantile(0.99, sum by (le, uri) (rate(http_server_requests_seconds_bucket[1m])))'),
    ("count all", 'count({__name__=~".+"})'),
]


def run_system(args, sys_, out, fleet_pid):
    data = f"/tmp/bench-{sys_.name}-data"
    shutil.rmtree(data, ignore_errors=True)
    os.makedirs(data)
    log = open(os.path.join(out, f"{sys_.name}.log"), "w")
    proc = subprocess.Popen(sys_.argv(data), stdout=log, stderr=subprocess.STDOUT)
    if wait_ready(sys_, proc, 120) is None:
        print(f"{sys_.name}: not ready", file=sys.stderr)
        stop(proc)
        return None
    samples = []
    t0 = time.time()
    while time.time() - t0 < args.duration:
        samples.append({
            "t": time.time() - t0,
            "rss_kb": proc_rss_kb(proc.pid),
            "cpu_ticks": proc_cpu_ticks(proc.pid),
            "ingested": metrics_sum(sys_.port, sys_.ingested_metrics),
            "fleet_cpu_ticks": proc_cpu_ticks(fleet_pid),
        })
        if proc.poll() is not None:
            print(f"{sys_.name}: died", file=sys.stderr)
            return None
        time.sleep(max(0, 5 - ((time.time() - t0) % 5)))
    tend = time.time()
    hwm = proc_rss_kb(proc.pid, "VmHWM")
    active = metrics_sum(sys_.port, sys_.active_metrics) if sys_.active_metrics else None
    _, cnt = query(sys_, "/api/v1/query", {"query": 'count({__name__=~".+"})'})
    try:
        active_q = float(cnt["data"]["result"][0]["value"][1])
    except (KeyError, IndexError, TypeError):
        active_q = None
    qres = []
    for label, q in QUERIES:
        times, series = [], None
        for r in range(args.repeat + 1):
            dt, body = query(sys_, "/api/v1/query_range",
                             {"query": q, "start": int(t0), "end": int(tend), "step": args.step})
            if body.get("status") == "success":
                series = len(body["data"]["result"])
            if r > 0:
                times.append(dt)
        qres.append({"label": label, "query": q, "median_s": statistics.median(times), "series": series})
    # Restart: clean stop, then start on the same data dir (WAL replay).
    cpu_end = proc_cpu_ticks(proc.pid)
    stop(proc)
    disk = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(data) for f in fs)
    proc2 = subprocess.Popen(sys_.argv(data), stdout=log, stderr=subprocess.STDOUT)
    ready_s = wait_ready(sys_, proc2, 600)
    restart_rss = proc_rss_kb(proc2.pid)
    restart_hwm = proc_rss_kb(proc2.pid, "VmHWM")
    stop(proc2)
    log.close()

    clk = os.sysconf("SC_CLK_TCK")
    steady = [s for s in samples if s["t"] >= args.warmup and s["ingested"] is not None]
    res = {"system": sys_.name, "targets": args.targets, "spt": args.series_per_target,
           "duration": args.duration, "active_series_sys": active, "active_series_query": active_q,
           "rss_steady_kb": statistics.median([s["rss_kb"] for s in steady]) if steady else None,
           "rss_peak_kb": max(s["rss_kb"] for s in samples), "hwm_kb": hwm,
           "ingested_total": samples[-1]["ingested"], "disk_bytes_after_stop": disk,
           "restart_ready_s": ready_s, "restart_rss_kb": restart_rss, "restart_hwm_kb": restart_hwm,
           "queries": qres, "cpu_s_total": cpu_end / clk}
    if len(steady) >= 2:
        d_ing = steady[-1]["ingested"] - steady[0]["ingested"]
        d_cpu = (steady[-1]["cpu_ticks"] - steady[0]["cpu_ticks"]) / clk
        res["cpu_s_per_1m_samples"] = d_cpu / (d_ing / 1e6) if d_ing > 0 else None
        res["samples_per_s"] = d_ing / (steady[-1]["t"] - steady[0]["t"])
    with open(os.path.join(out, f"{sys_.name}.samples.json"), "w") as f:
        json.dump(samples, f)
    return res


def report(out):
    rows = [json.loads(l) for l in open(os.path.join(out, "results.jsonl")) if l.strip()]
    lines = ["| system | active series | RSS steady | RSS peak (VmHWM) | RSS B/series (steady / peak) | "
             "CPU s per 1M samples | samples/s | restart: ready after | restart RSS (VmHWM) | disk after stop |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        act = r.get("active_series_sys") or r.get("active_series_query") or 0
        per = lambda kb: f"{kb * 1024 / act:.0f}" if act and kb else "—"  # noqa: E731
        cpu = r.get("cpu_s_per_1m_samples")
        lines.append(
            f"| {r['system']} | {act:,.0f} | {fmt_kb(r['rss_steady_kb'])} | {fmt_kb(r['hwm_kb'])} | "
            f"{per(r['rss_steady_kb'])} / {per(r['hwm_kb'])} | {cpu:.2f} | {r.get('samples_per_s', 0):,.0f} | "
            f"{r['restart_ready_s'] or 0:.1f} s | {fmt_kb(r['restart_rss_kb'])} ({fmt_kb(r['restart_hwm_kb'])}) | "
            f"{r['disk_bytes_after_stop'] / 1048576:.1f} MiB |" if cpu is not None else
            f"| {r['system']} | {act:,.0f} | — | — | — | — | — | — | — | — |")
    lines += ["", "| system | " + " | ".join(q["label"] for q in rows[0]["queries"]) + " |",
              "|---|" + "---|" * len(rows[0]["queries"])]
    for r in rows:
        lines.append(f"| {r['system']} | " + " | ".join(
            f"{q['median_s'] * 1000:.0f} ms ({q['series']} series)" for q in r["queries"]) + " |")
    return write_report(out, lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(ap, os.path.join(ROOT, "build", "bin", "vigil"))
    ap.add_argument("--duration", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=60)
    ap.add_argument("--interval", default="10s")
    ap.add_argument("--step", type=int, default=15)
    ap.add_argument("--base-port", type=int, default=20000)
    args = ap.parse_args()
    if args.report:
        print(report(args.report))
        return
    out = make_out_dir(args, os.path.join(HERE, "out"), "")
    cfg = os.path.join(out, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write(f"global:\n  scrape_interval: {args.interval}\n  scrape_timeout: {args.interval}\n"
                "scrape_configs:\n  - job_name: fleet\n    static_configs:\n      - targets:\n")
        for i in range(args.targets):
            f.write(f"          - 127.0.0.1:{args.base_port + i}\n")
        f.write("        labels:\n          cluster: bench\n")
    fleet_log = open(os.path.join(out, "fleet.log"), "w")
    fleet = subprocess.Popen([args.vigil, "fleet", f"--targets={args.targets}",
                              f"--series-per-target={args.series_per_target}",
                              f"--base-port={args.base_port}", "--listen-address=127.0.0.1"],
                             stdout=fleet_log, stderr=subprocess.STDOUT)
    try:
        for _ in range(600):
            try:
                http_get(f"http://127.0.0.1:{args.base_port + args.targets - 1}/metrics", 5)
                break
            except Exception:
                time.sleep(0.2)
        with open(os.path.join(out, "machine.txt"), "w") as f:
            f.write(f"date_utc={time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}\nnproc={os.cpu_count()}\n"
                    f"loadavg={open('/proc/loadavg').read().strip()}\n"
                    f"targets={args.targets} series_per_target={args.series_per_target} "
                    f"duration={args.duration} interval={args.interval}\n")
        results = open(os.path.join(out, "results.jsonl"), "a")
        for name in args.systems:
            s = systems(args.vigil, cfg)[name]
            print(f"== {name}", file=sys.stderr)
            r = run_system(args, s, out, fleet.pid)
            if r:
                results.write(json.dumps(r) + "\n")
                results.flush()
                print(json.dumps(r), file=sys.stderr)
            time.sleep(5)
        results.close()
    finally:
        stop(fleet, 10)
    print(report(out))


if __name__ == "__main__":
    main()
