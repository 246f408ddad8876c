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
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

QUERIES = [
    ("istio sum-rate", 'sum by (destination_workload, response_flags) (rate(istio_requests_total[1m]))'),
    ("p99 by uri", 'histogram_quantile(0.99, sum by (le, uri) (rate(http_server_requests_seconds_bucket[1m])))'),
    ("count all", 'count({__name__=~".+"})'),
]


def http_get(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read()


def metrics_sum(port, names):
    """Sum of all samples of the given metric names in /metrics (first name found wins)."""
    try:
        _, body = http_get(f"http://127.0.0.1:{port}/metrics", 10)
    except Exception:
        return None
    for name in names:
        total, found = 0.0, False
        for line in body.decode(errors="replace").splitlines():
            if line.startswith(name) and (line[len(name)] in " {"):
                try:
                    total += float(line.rsplit(" ", 1)[1])
                    found = True
                except ValueError:
                    pass
        if found:
            return total
    return None


def proc_rss_kb(pid, field="VmRSS"):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def proc_cpu_ticks(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            rest = f.read().rsplit(")", 1)[1].split()
        return int(rest[11]) + int(rest[12])
    except (OSError, IndexError):
        return 0


class System:
    def __init__(self, name, port, argv, ingested, active, query_extra=None, ready_path="/-/ready"):
        self.name, self.port, self.argv = name, port, argv
        self.ingested_metrics, self.active_metrics = ingested, active
        self.query_extra = query_extra or {}
        self.ready_path = ready_path


def systems(vigil_bin, cfg, data):
    return {
        "vigil": System("vigil", 17090,
                        [vigil_bin, "server", f"--config.file={cfg}", f"--storage.tsdb.path={data}",
                         "--web.listen-address=127.0.0.1:17090"],
                        ["prometheus_tsdb_head_samples_appended_total"], ["prometheus_tsdb_head_series"]),
        "prometheus": System("prometheus", 19090,
                             ["prometheus", f"--config.file={cfg}", f"--storage.tsdb.path={data}",
                              "--web.listen-address=127.0.0.1:19090", "--storage.tsdb.retention.time=1d"],
                             ["prometheus_tsdb_head_samples_appended_total"], ["prometheus_tsdb_head_series"]),
        "victoriametrics": System("victoriametrics", 18428,
                                  ["victoria-metrics", f"-promscrape.config={cfg}", f"-storageDataPath={data}",
                                   "-httpListenAddr=127.0.0.1:18428", "-retentionPeriod=1d",
                                   "-search.maxUniqueTimeseries=10000000", "-maxLabelsPerTimeseries=64",
                                   "-search.maxQueryDuration=2m"],
                                  ["vm_rows_inserted_total"], [], {"nocache": "1"}, "/health"),
    }


def wait_ready(sys_, proc, timeout_s):
    t0 = time.time()
    q = urllib.parse.urlencode({"query": "1"})
    while time.time() - t0 < timeout_s:
        if proc.poll() is not None:
            return None
        try:
            st, body = http_get(f"http://127.0.0.1:{sys_.port}/api/v1/query?{q}", 2)
            if st == 200 and b'"success"' in body:
                return time.time() - t0
        except Exception:
            pass
        time.sleep(0.1)
    return None


def query(sys_, path, params, timeout=300):
    params = dict(params, **sys_.query_extra)
    url = f"http://127.0.0.1:{sys_.port}{path}?{urllib.parse.urlencode(params)}"
    t0 = time.time()
    try:
        _, body = http_get(url, timeout)
        return time.time() - t0, json.loads(body)
    except Exception as e:  # noqa: BLE001 -- report, keep going
        return time.time() - t0, {"status": "error", "error": str(e)}


def stop(proc, timeout_s=120):
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_system(args, sys_, out, fleet_pid):
    data = sys_.argv_data
    shutil.rmtree(data, ignore_errors=True)
    os.makedirs(data)
    log = open(os.path.join(out, f"{sys_.name}.log"), "w")
    proc = subprocess.Popen(sys_.argv, stdout=log, stderr=subprocess.STDOUT)
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
    proc2 = subprocess.Popen(sys_.argv, stdout=log, stderr=subprocess.STDOUT)
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


def fmt_bytes_kb(kb):
    return "—" if kb is None else (f"{kb / 1048576:.2f} GiB" if kb > 1048576 else f"{kb / 1024:.0f} MiB")


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
            f"| {r['system']} | {act:,.0f} | {fmt_bytes_kb(r['rss_steady_kb'])} | {fmt_bytes_kb(r['hwm_kb'])} | "
            f"{per(r['rss_steady_kb'])} / {per(r['hwm_kb'])} | {cpu:.2f} | {r.get('samples_per_s', 0):,.0f} | "
            f"{r['restart_ready_s'] or 0:.1f} s | {fmt_bytes_kb(r['restart_rss_kb'])} ({fmt_bytes_kb(r['restart_hwm_kb'])}) | "
            f"{r['disk_bytes_after_stop'] / 1048576:.1f} MiB |" if cpu is not None else
            f"| {r['system']} | {act:,.0f} | — | — | — | — | — | — | — | — |")
    lines += ["", "| system | " + " | ".join(q["label"] for q in rows[0]["queries"]) + " |",
              "|---|" + "---|" * len(rows[0]["queries"])]
    for r in rows:
        lines.append(f"| {r['system']} | " + " | ".join(
            f"{q['median_s'] * 1000:.0f} ms ({q['series']} series)" for q in r["queries"]) + " |")
    text = "\n".join(lines) + "\n"
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write(text)
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--targets", type=int, default=50)
    ap.add_argument("--series-per-target", type=int, default=2000)
    ap.add_argument("--duration", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=60)
    ap.add_argument("--interval", default="10s")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--step", type=int, default=15)
    ap.add_argument("--base-port", type=int, default=20000)
    ap.add_argument("--vigil", default=os.path.join(ROOT, "build", "bin", "vigil"))
    ap.add_argument("--out", default=None)
    ap.add_argument("--report", metavar="DIR", help="only rewrite DIR/report.md")
    ap.add_argument("systems", nargs="*", default=["vigil", "prometheus", "victoriametrics"])
    args = ap.parse_args()
    if args.report:
        print(report(args.report))
        return
    out = os.path.abspath(args.out or os.path.join(HERE, "out", time.strftime("%Y%m%d-%H%M%S")))
    os.makedirs(out, exist_ok=True)
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
            data = f"/tmp/bench-{name}-data"
            s = systems(args.vigil, cfg, data)[name]
            s.argv_data = data
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
