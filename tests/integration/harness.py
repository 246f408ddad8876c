"""Helpers for Vigil's end-to-end tests: free ports, processes that are always stopped,
HTTP/JSON calls, polling with deadlines. Python 3 standard library only."""
import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

VIGIL = os.environ.get("VIGIL_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "bin", "vigil")
SOURCE_DIR = os.environ.get("VIGIL_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))

PROMETHEUS = os.environ.get("VIGIL_PROMETHEUS_BIN") or shutil.which("prometheus")

_procs = []


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tempdir(prefix="vigil-it-"):
    return tempfile.mkdtemp(prefix=prefix)


class Proc:
    """A child process whose output goes to a log file; stopped at exit no matter what."""

    def __init__(self, argv, name, log_dir=None, env=None):
        self.name = name
        self.log_path = os.path.join(log_dir or tempdir(), f"{name}.log")
        self.log = open(self.log_path, "ab")
        self.argv = argv
        full_env = None
        if env:
            full_env = dict(os.environ)
            full_env.update(env)
        self.p = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, env=full_env)
        _procs.append(self)

    @property
    def pid(self):
        return self.p.pid

    def alive(self):
        return self.p.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.p.poll() is None:
            self.p.send_signal(sig)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        return self.p.returncode

    def kill9(self):
        return self.stop(signal.SIGKILL)

    def tail(self, n=40):
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode(errors="replace")
        except OSError:
            return ""

    def rss_kb(self, field="VmRSS"):
        try:
            with open(f"/proc/{self.pid}/status") as f:
                for line in f:
                    if line.startswith(field + ":"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0


@atexit.register
def _stop_all():
    for p in _procs:
        try:
            p.stop(signal.SIGKILL, 5)
        except Exception:  # noqa: BLE001
            pass


def http(method, url, body=None, headers=None, timeout=30):
    """Returns (status, headers dict, body bytes); never raises on HTTP error statuses."""
    data = body if body is None or isinstance(body, bytes) else body.encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def get_json(url, params=None, timeout=30):
    if params:
        url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params, doseq=True)
    st, _, body = http("GET", url, timeout=timeout)
    try:
        return st, json.loads(body)
    except ValueError:
        return st, {"raw": body.decode(errors="replace")}


def wait_until(pred, timeout=60, interval=0.2, what="condition"):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = pred()
            if last:
                return last
        except Exception as e:  # noqa: BLE001 -- keep polling until the deadline
            last = e
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def wait_http_ok(url, timeout=60, proc=None):
    def ok():
        if proc is not None and not proc.alive():
            raise AssertionError(f"{proc.name} exited:\n{proc.tail()}")
        st, _, _ = http("GET", url, timeout=2)
        return st == 200
    return wait_until(ok, timeout, what=url)


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def main(tests):
    """Runs the given test functions in order; prints a summary; exits non-zero on failure."""
    failed = 0
    for t in tests:
        t0 = time.time()
        try:
            t()
            print(f"PASS {t.__name__} ({time.time() - t0:.1f}s)", flush=True)
        except Exception as e:  # noqa: BLE001
            failed += 1
            print(f"FAIL {t.__name__}: {e}", flush=True)
            for p in _procs:
                print(f"--- log of {p.name} ---\n{p.tail()}", flush=True)
    print(f"{len(tests) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


def free_port_range(n, lo=30000, hi=60000):
    """A base port b such that b..b+n-1 are all free now."""
    import random
    for _ in range(200):
        b = random.randrange(lo, hi - n)
        socks = []
        try:
            for p in range(b, b + n):
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("127.0.0.1", p))
                socks.append(s)
            return b
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free port range")


def start_fleet(n_targets, series_per_target, log_dir, extra=()):
    """Starts `vigil fleet` serving n_targets on consecutive ports; returns (proc, base_port)."""
    base = free_port_range(n_targets)
    d = tempdir("vigil-fleet-")
    ready = os.path.join(d, "ready")
    p = Proc([VIGIL, "fleet", f"--targets={n_targets}", f"--series-per-target={series_per_target}",
              f"--base-port={base}", "--listen-address=127.0.0.1", f"--ready-file={ready}", *extra],
             "fleet", log_dir)
    wait_until(lambda: os.path.exists(ready) or not p.alive(), 60, what="fleet ready file")
    check(p.alive(), f"fleet exited:\n{p.tail()}")
    return p, base


def start_server(config_text, log_dir, extra=(), data_dir=None, name="vigil", port=None,
                 env=None):
    """Writes config_text to a file and starts `vigil server` (with `env` added to the
    environment); returns (proc, url, data_dir)."""
    port = port or free_port()
    data_dir = data_dir or tempdir("vigil-data-")
    cfg = os.path.join(log_dir, f"{name}.yml")
    with open(cfg, "w") as f:
        f.write(config_text)
    p = Proc([VIGIL, "server", f"--config.file={cfg}", f"--storage.tsdb.path={data_dir}",
              f"--web.listen-address=127.0.0.1:{port}", *extra], name, log_dir, env)
    url = f"http://127.0.0.1:{port}"
    wait_http_ok(url + "/-/ready", 120, p)
    return p, url, data_dir


def query(url, q, **params):
    st, body = get_json(url + "/api/v1/query", dict(query=q, **params))
    check(st == 200 and body.get("status") == "success", f"query {q!r} failed: {st} {body}")
    return body["data"]["result"]


def scalar_query(url, q, **params):
    r = query(url, q, **params)
    return float(r[0]["value"][1]) if r else None


def metric_value(url, name):
    """Sum of the samples of `name` in the server's own /metrics (None if absent)."""
    _, _, body = http("GET", url + "/metrics")
    total, found = 0.0, False
    for line in body.decode(errors="replace").splitlines():
        if line.startswith(name) and len(line) > len(name) and line[len(name)] in " {":
            total += float(line.rsplit(" ", 1)[1])
            found = True
    return total if found else None


def start_prometheus(config_text, log_dir, extra=(), name="prometheus"):
    """Starts Prometheus (PROMETHEUS) on a free 127.0.0.1 port with an empty data dir and
    config_text; returns (proc, url)."""
    port = free_port()
    cfg = os.path.join(log_dir, f"{name}.yml")
    with open(cfg, "w") as f:
        f.write(config_text)
    p = Proc([PROMETHEUS, f"--config.file={cfg}", f"--storage.tsdb.path={tempdir('vigil-prom-')}",
              f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn", *extra], name, log_dir)
    url = f"http://127.0.0.1:{port}"
    wait_http_ok(url + "/-/ready", 60, p)
    return p, url


def api_call(url, path, params, timeout=30):
    """POSTs form params to a Prometheus-style API; returns (data, None) on success or
    (None, "errorType: error") on failure (HTTP errors and transport errors included)."""
    body = urllib.parse.urlencode(params)
    try:
        st, _, raw = http("POST", url + path, body,
                          {"Content-Type": "application/x-www-form-urlencoded"}, timeout)
    except OSError as e:
        return None, f"transport: {e}"
    try:
        j = json.loads(raw)
    except ValueError:
        return None, f"HTTP {st}: {raw[:200].decode(errors='replace')}"
    if st != 200 or j.get("status") != "success":
        return None, f"{j.get('errorType', '')}: {j.get('error', '')} (HTTP {st})"
    return j["data"], None


# --- Remote write without third-party modules: a protobuf WriteRequest encoded by hand and
# framed as snappy literals (valid snappy that any decoder reads; no compression needed).

def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field(num, wire, payload):
    if wire == 2:
        return _varint(num << 3 | 2) + _varint(len(payload)) + payload
    return _varint(num << 3 | wire) + payload


def snappy_literals(data):
    """`data` as a snappy block made only of literal elements."""
    out = bytearray(_varint(len(data)))
    for i in range(0, len(data), 65536):
        chunk = data[i:i + 65536]
        n = len(chunk) - 1
        if n < 60:
            out.append(n << 2)
        elif n < 256:
            out += bytes([60 << 2, n])
        else:
            out += bytes([61 << 2, n & 0xFF, n >> 8])
        out += chunk
    return bytes(out)


def write_request(series):
    """A prometheus.WriteRequest for [(labels dict, [(t_ms, value)])], labels sorted."""
    import struct
    body = bytearray()
    for labels, samples in series:
        ts = bytearray()
        for k in sorted(labels):
            ts += _field(1, 2, _field(1, 2, k.encode()) + _field(2, 2, labels[k].encode()))
        for t, v in samples:
            ts += _field(2, 2, _field(1, 1, struct.pack("<d", v)) + _field(2, 0, _varint(
                t & 0xFFFFFFFFFFFFFFFF)))
        body += _field(1, 2, bytes(ts))
    return bytes(body)


def remote_write(url, series, timeout=30):
    """POSTs series to url + /api/v1/write; returns (HTTP status, body text). Transport
    errors (a killed server) come back as status 0."""
    body = snappy_literals(write_request(series))
    headers = {"Content-Type": "application/x-protobuf", "Content-Encoding": "snappy",
               "X-Prometheus-Remote-Write-Version": "0.1.0"}
    try:
        st, _, raw = http("POST", url + "/api/v1/write", body, headers, timeout)
    except OSError as e:
        return 0, str(e)
    return st, raw.decode(errors="replace")


def raw_series(url, selector, mint, maxt, inclusive=True, value=float):
    """{labels-tuple: [(t_ms, value(v))]} of the raw samples of selector in [mint, maxt]
    ([mint, maxt) with inclusive=False); value converts the API's value strings (str keeps
    them as printed)."""
    end = maxt if inclusive else maxt - 1
    rng = (maxt - mint) // 1000 + 2
    res = query(url, f"{selector}[{rng}s]", time=f"{end / 1000:.3f}")
    out = {}
    for r in res:
        key = tuple(sorted(r["metric"].items()))
        vals = [(round(float(t) * 1000), value(v)) for t, v in r["values"]]
        vals = [(t, v) for t, v in vals if mint <= t <= end]
        if vals:
            out[key] = vals
    return out


def block_dirs(data):
    """[(ulid, meta dict)] of the block directories in data, oldest first."""
    import re
    ulid = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
    out = []
    for n in sorted(os.listdir(data)):
        meta = os.path.join(data, n, "meta.json")
        if ulid.match(n) and os.path.exists(meta):
            try:
                with open(meta) as f:
                    out.append((n, json.load(f)))
            except ValueError:
                out.append((n, None))
    return sorted(out, key=lambda b: (b[1] or {}).get("minTime", 0))


def tmp_leftovers(data):
    return [n for n in os.listdir(data) if n.endswith((".tmp-for-creation", ".tmp-for-deletion"))]


def check_acked_served(url, name, acked, maybe, mint, maxt, n_series, since=None):
    """The no-loss check of the crash and fault tests. `acked` is {i: {t_ms: value}}: the
    samples of name{series="i"} (i < n_series) whose write was acknowledged. Each of them
    at or after `since` is served with its value, once; any other sample served in
    [mint, maxt] is one in `maybe` (sent, outcome unknown). Returns the samples served."""
    got = raw_series(url, name, mint, maxt)
    by_series = {dict(k)["series"]: v for k, v in got.items()}
    for i in range(n_series):
        want = {t: v for t, v in acked.get(i, {}).items() if since is None or t >= since}
        have = by_series.get(str(i), [])
        ts = [t for t, _ in have]
        check(len(ts) == len(set(ts)), f"series {i}: repeated timestamps")
        hm = dict(have)
        missing = [t for t in want if t not in hm]
        check(not missing, f"series {i}: {len(missing)} acknowledged samples lost, first "
              f"{min(missing) if missing else None} (of {len(want)})")
        wrong = [t for t in want if hm[t] != want[t]]
        check(not wrong, f"series {i}: wrong values at {wrong[:3]}")
        extra = [t for t in hm if t not in want and t not in maybe]
        check(not extra, f"series {i}: {len(extra)} samples never acknowledged nor in flight, "
              f"first {min(extra) if extra else None}")
    return sum(len(v) for v in got.values())
