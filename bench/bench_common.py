"""What the benchmark programs share: the three systems under test and how to start, probe,
query and stop them, plus /proc readings of a process.

A System's argv has no data dir yet: argv(data) adds it, so each run gets a fresh one.
Ports: vigil 17090, prometheus 19090, victoriametrics 18428 (the anchors' ports)."""
import json
import os
import signal
import subprocess
import time
import urllib.parse
import urllib.request


def http_get(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read()


def metrics_sum(port, names):
    """Sum of all samples of the first of `names` found in the server's /metrics, or None."""
    try:
        _, body = http_get(f"http://127.0.0.1:{port}/metrics", 10)
    except Exception:  # noqa: BLE001 -- a server that does not answer has no value
        return None
    text = body.decode(errors="replace").splitlines()
    for name in names:
        total, found = 0.0, False
        for line in text:
            if line.startswith(name) and len(line) > len(name) and line[len(name)] in " {":
                try:
                    total += float(line.rsplit(" ", 1)[1])
                    found = True
                except ValueError:
                    pass
        if found:
            return total
    return None


def proc_rss_kb(pid, field="VmRSS"):
    """A memory field of /proc/PID/status in KiB (VmRSS, VmHWM), 0 when the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def proc_cpu_ticks(pid):
    """User + system CPU time of a process in clock ticks (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            rest = f.read().rsplit(")", 1)[1].split()
        return int(rest[11]) + int(rest[12])
    except (OSError, IndexError):
        return 0


class System:
    def __init__(self, name, port, argv, data_flag, ingested, active, query_extra=None,
                 write_path="/api/v1/write"):
        self.name, self.port = name, port
        self._argv, self._data_flag = argv, data_flag
        self.ingested_metrics, self.active_metrics = ingested, active
        self.query_extra = query_extra or {}
        self.write_url = f"http://127.0.0.1:{port}{write_path}"

    def argv(self, data):
        return self._argv + [f"{self._data_flag}={data}"]


def systems(vigil_bin, cfg, remote_write=False):
    """The systems by name, scraping `cfg` (a prometheus.yml), or, with remote_write, receiving
    samples on their remote-write endpoint (cfg may then have no scrape jobs)."""
    vigil = [vigil_bin, "server", f"--config.file={cfg}", "--web.listen-address=127.0.0.1:17090"]
    prom = ["prometheus", f"--config.file={cfg}", "--web.listen-address=127.0.0.1:19090",
            "--storage.tsdb.retention.time=1d"]
    vm = ["victoria-metrics", "-httpListenAddr=127.0.0.1:18428", "-retentionPeriod=1d",
          "-search.maxUniqueTimeseries=10000000", "-maxLabelsPerTimeseries=64",
          "-search.maxQueryDuration=2m"]
    if remote_write:
        vigil.append("--web.enable-remote-write-receiver")
        prom.append("--web.enable-remote-write-receiver")
        # Backfilled samples are hours old; VM accepts them within its retention.
    else:
        vm.append(f"-promscrape.config={cfg}")
    return {
        "vigil": System("vigil", 17090, vigil, "--storage.tsdb.path",
                        ["prometheus_tsdb_head_samples_appended_total"], ["prometheus_tsdb_head_series"]),
        "prometheus": System("prometheus", 19090, prom, "--storage.tsdb.path",
                             ["prometheus_tsdb_head_samples_appended_total"], ["prometheus_tsdb_head_series"]),
        "victoriametrics": System("victoriametrics", 18428, vm, "-storageDataPath",
                                  ["vm_rows_inserted_total"], [], {"nocache": "1"}),
    }


def wait_ready(sys_, proc, timeout_s):
    """Seconds until the server answers a query, None if it died or timed out."""
    t0 = time.time()
    q = urllib.parse.urlencode({"query": "1"})
    while time.time() - t0 < timeout_s:
        if proc.poll() is not None:
            return None
        try:
            st, body = http_get(f"http://127.0.0.1:{sys_.port}/api/v1/query?{q}", 2)
            if st == 200 and b'"success"' in body:
                return time.time() - t0
        except Exception:  # noqa: BLE001 -- not up yet
            pass
        time.sleep(0.1)
    return None


def query(sys_, path, params, timeout=300):
    """(seconds, decoded JSON) of one API call; errors come back as {"status": "error"}."""
    params = dict(params, **sys_.query_extra)
    url = f"http://127.0.0.1:{sys_.port}{path}?{urllib.parse.urlencode(params)}"
    t0 = time.time()
    try:
        _, body = http_get(url, timeout)
        return time.time() - t0, json.loads(body)
    except Exception as e:  # noqa: BLE001 -- report, keep going
        return time.time() - t0, {"status": "error", "error": str(e)}


def stop(proc, timeout_s=120):
    """SIGTERM, then SIGKILL after timeout_s."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def fmt_kb(kb):
    return "—" if not kb else (f"{kb / 1048576:.2f} GiB" if kb > 1048576 else f"{kb / 1024:.0f} MiB")


def add_common_args(ap, vigil_default):
    """The flags every benchmark program has: fleet size, binary, output, report, systems."""
    ap.add_argument("--targets", type=int, default=50)
    ap.add_argument("--series-per-target", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=5, help="timed repeats of each query")
    ap.add_argument("--vigil", default=vigil_default)
    ap.add_argument("--out", default=None)
    ap.add_argument("--report", metavar="DIR", help="only rewrite DIR/report.md")
    ap.add_argument("systems", nargs="*", default=["vigil", "prometheus", "victoriametrics"])


def make_out_dir(args, default_parent, prefix=""):
    """Creates and returns the absolute output dir (--out, else default_parent/<prefix><time>)."""
    out = os.path.abspath(args.out or os.path.join(default_parent, prefix + time.strftime("%Y%m%d-%H%M%S")))
    os.makedirs(out, exist_ok=True)
    return out


def write_report(out, lines):
    """Writes lines as out/report.md and returns the text."""
    text = "\n".join(lines) + "\n"
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write(text)
    return text
