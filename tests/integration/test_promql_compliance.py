"""The differential PromQL compliance test (docs/promql-compliance.md): every query of the
PromQL compliance tester's list (../shared/conformance/promql-compliance/expanded-queries.tsv,
read in place, never copied) runs as a range query on Prometheus 2.42 and on Vigil, which hold
identical samples, and the answers are compared as the upstream tester compares them.

The data: `vigil fleet --profile=compliance --backfill=100m` renders the PromLabs demo service
(three instances, demo.promlabs.com:10000-10002, job "demo") at the 5 s scrape times of the
last 100 minutes and remote-writes the samples Prometheus would have scraped (staleness
markers included) to both servers in one stream. The queries then run verbatim.

Differences that come from Prometheus 3.x semantics (which Vigil implements and 2.42 predates)
are listed with their reason in promql_compliance_known.tsv; any other difference fails the
test, and so does a listed query that now passes."""
import copy
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from harness import (PROMETHEUS, SOURCE_DIR, VIGIL, api_call, check, main, start_prometheus,
                     start_server, tempdir)
from promql_diff import diff, ms_str

QUERIES = os.path.join(SOURCE_DIR, "..", "shared", "conformance", "promql-compliance",
                       "expanded-queries.tsv")
KNOWN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "promql_compliance_known.tsv")
LOG = tempdir("vigil-it-compliance-")

# The tester's defaults: end = now - 12m, a 10-minute range, 10 s steps, 1e-5 relative
# tolerance. The longest lookback in the list is a 1 h range at the start of the window
# (82 minutes before "now"), so 100 minutes of history are enough.
BACKFILL_MINUTES = 100
END_BEFORE_NOW_MS = 12 * 60 * 1000
RANGE_MS = 600 * 1000
STEP = "10"

STATE = {}


def load_queries():
    cases = []
    with open(QUERIES) as f:
        header = f.readline().rstrip("\n").split("\t")
        check(header == ["n", "should_fail", "query"], f"unexpected header {header}")
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            n, should_fail, query = line.split("\t", 2)
            cases.append((int(n), should_fail == "true", query))
    return cases


def load_known():
    """{(n, pass): (reason, may_pass)}; pass is "tester", "aligned" or "*" (both); a "?" after
    it marks a data-dependent difference that may also pass."""
    known = {}
    with open(KNOWN) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            n, which, reason = line.split("\t", 2)
            may_pass = which.endswith("?")
            which = which.rstrip("?")
            check(which in ("*", "tester", "aligned"), f"bad pass {which!r} in {KNOWN}")
            known[(int(n), which)] = (reason, may_pass)
    return known


def run_backfill(urls, end_ms):
    argv = [VIGIL, "fleet", "--profile=compliance", "--targets=3", "--series-per-target=0",
            "--host=demo.promlabs.com", "--base-port=10000", "--backfill.job=demo",
            f"--backfill={BACKFILL_MINUTES}m", f"--backfill.end={ms_str(end_ms)}",
            "--scrape-interval=5s", *[f"--remote-write.url={u}/api/v1/write" for u in urls]]
    t0 = time.time()
    r = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    check(r.returncode == 0, f"backfill failed ({r.returncode}): {r.stderr[-2000:]}")
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    print(f"backfill: {summary['samples']} samples ({summary['stale_markers']} stale markers) of "
          f"{summary['series']} series in {summary['requests']} requests to {len(urls)} "
          f"receivers, {time.time() - t0:.1f}s", flush=True)
    return summary


def pick_query_end(end_ms, targets, interval_ms=5000):
    """end - 12m, moved back by less than one scrape interval:
    * so that no step (and no window edge: every range, offset, lookback and the scrape
      interval are whole seconds) shares its millisecond phase with a sample or with the
      whole-second subquery grid. Prometheus 2.42 closes windows on the left and Vigil (as
      Prometheus 3) opens them, so an edge on a sample would differ by construction; the
      upstream tester's `now - 12m` has a random phase too;
    * and, among those, so that the most targets have a sample inside the 1 s windows before
      the steps (otherwise every `[1s]` query may answer nothing)."""
    phases = [t["offset_ms"] % 1000 for t in targets] + [0]
    base = end_ms - END_BEFORE_NOW_MS

    def score(q):
        gap = min(min((q - p) % 1000, (p - q) % 1000) for p in phases)
        in_1s = sum(1 for t in targets if 100 <= (q - t["offset_ms"]) % interval_ms <= 900)
        return (min(gap, 100), in_1s, gap)
    return max((base - back for back in range(interval_ms)), key=score)


def compare(case, ref_url, tgt_url, start_ms, end_ms):
    """One tester case: returns (status, detail, points) with status pass, fail, unsupported or
    abort (the reference itself misbehaved; the upstream tester stops the whole run) and the
    number of points the reference answered."""
    status, detail, ref = compare_answers(case, ref_url, tgt_url, start_ms, end_ms)
    points = sum(len(s.get("values") or []) for s in (ref or {}).get("result") or [])
    return status, detail, points


def compare_answers(case, ref_url, tgt_url, start_ms, end_ms):
    n, should_fail, query = case
    params = {"query": query, "start": ms_str(start_ms), "end": ms_str(end_ms), "step": STEP}
    ref, ref_err = api_call(ref_url, "/api/v1/query_range", params)
    tgt, tgt_err = api_call(tgt_url, "/api/v1/query_range", params)
    if (ref_err is not None) != should_fail:
        return "abort", (f"reference error: {ref_err}" if ref_err else
                         "reference Prometheus succeeded on a should_fail query"), ref
    if (tgt_err is not None) != should_fail:
        if tgt_err is not None:
            return ("unsupported" if "501" in tgt_err else "fail"), f"vigil error: {tgt_err}", ref
        return "fail", "vigil succeeded on a should_fail query (prometheus: " + ref_err + ")", ref
    if should_fail:
        return "pass", None, ref
    d = diff(ref, tgt)
    return ("fail" if d else "pass"), d, ref


def check_comparer(url, start_ms, end_ms):
    """The comparison itself must see what the tester sees: a value off by 2e-5 relative, a
    missing point, `null` for `[]`, a changed label; and must accept 5e-6 and NaN == NaN."""
    ref, err = api_call(url, "/api/v1/query_range", {
        "query": "demo_memory_usage_bytes", "start": ms_str(start_ms), "end": ms_str(end_ms),
        "step": STEP})
    check(err is None and ref["result"], f"demo_memory_usage_bytes: {err}")

    def variant(f):
        v = copy.deepcopy(ref)
        f(v["result"][0])
        return v
    scale = lambda k: lambda s: s["values"][3].__setitem__(1, str(float(s["values"][3][1]) * k))
    check(diff(ref, copy.deepcopy(ref)) is None, "equal answers must compare equal")
    check(diff(ref, variant(scale(1 + 5e-6))) is None, "5e-6 relative is within tolerance")
    check(diff(ref, variant(scale(1 + 2e-5))) is not None, "2e-5 relative must differ")
    check(diff(ref, variant(lambda s: s["values"].pop())) is not None, "a missing point")
    check(diff(ref, variant(lambda s: s["metric"].__setitem__("job", "x"))) is not None, "labels")
    nan = variant(lambda s: s["values"][0].__setitem__(1, "NaN"))
    check(diff(nan, copy.deepcopy(nan)) is None, "NaN equals NaN")
    check(diff({"resultType": "matrix", "result": []}, {"resultType": "matrix", "result": None})
          is not None, "null is not []")


def run_pass(name, cases, known, purl, vurl, q_end):
    """Runs every case over [q_end - 10m, q_end]; prints the tester's score line and each
    failure; returns (unexpected, fixed, aborts) lists of (n, query, detail)."""
    q_start = q_end - RANGE_MS
    t0 = time.time()
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda c: compare(c, purl, vurl, q_start, q_end), cases))
    elapsed = time.time() - t0
    passed = sum(1 for s, _, _ in results if s == "pass")
    unsupported = sum(1 for s, _, _ in results if s == "unsupported")
    points = sum(p for _, _, p in results)
    empty = sum(1 for (_, should_fail, _), (_, _, p) in zip(cases, results)
                if not should_fail and p == 0)
    print(f"[{name}] {len(cases)} range queries over [{ms_str(q_start)}, {ms_str(q_end)}] "
          f"step {STEP}s: {elapsed:.1f}s, {points} reference points compared, {empty} empty "
          f"answers\nTotal: {passed} / {len(cases)} ({100.0 * passed / len(cases):.2f}%) passed, "
          f"{unsupported} unsupported", flush=True)
    # Guard against a vacuous pass (e.g. data that never arrived): most answers have data.
    check(points > 100000 and empty < 80, f"too little data compared: {points} points, "
                                          f"{empty} empty answers")
    unexpected, fixed, aborts = [], [], []
    for (n, _, query), (status, detail, _) in zip(cases, results):
        reason, may_pass = known.get((n, name)) or known.get((n, "*")) or (None, False)
        if status == "abort":
            aborts.append((n, query, detail))
        elif status in ("fail", "unsupported"):
            if reason:
                print(f"  explained  n={n} {query}\n             {detail}\n"
                      f"             reason: {reason}")
            else:
                print(f"  FAILED     n={n} {query}\n             {detail}")
                unexpected.append((n, query, detail))
        elif reason and not may_pass:
            print(f"  NOW PASSES n={n} {query} (listed as: {reason})")
            fixed.append((n, query, reason))
    for n, query, detail in aborts:
        print(f"  ABORT      n={n} {query}: {detail}")
    return unexpected, fixed, aborts


def test_compliance_queries():
    cases = load_queries()
    known = load_known()
    unknown = {n for n, _ in known} - {n for n, _, _ in cases}
    check(not unknown, f"promql_compliance_known.tsv lists queries that do not exist: {unknown}")
    prom, purl = start_prometheus("global:\n  scrape_interval: 5s\n", LOG,
                                  ["--web.enable-remote-write-receiver"])
    vigil, vurl, _ = start_server("global:\n  scrape_interval: 5s\n", LOG,
                                  ["--web.enable-remote-write-receiver"])
    STATE["vigil"] = vurl
    end_ms = int(time.time() * 1000)
    summary = run_backfill([purl, vurl], end_ms)
    check(summary["stale_markers"] > 0, "the backfill should contain staleness markers")
    targets = summary["targets"]
    check(all(t["offset_ms"] % 1000 for t in targets), "scrape offsets on whole seconds")

    # The score: the tester's defaults. Then the same with its align_timestamps_to_step tweak,
    # where subquery steps meet window edges and Prometheus 3's left-open windows must show.
    q_end = pick_query_end(end_ms, targets)
    check_comparer(purl, q_end - RANGE_MS, q_end)
    aligned_end = (end_ms - END_BEFORE_NOW_MS) // (int(STEP) * 1000) * (int(STEP) * 1000)
    problems = []
    for name, end in (("tester", q_end), ("aligned", aligned_end)):
        unexpected, fixed, aborts = run_pass(name, cases, known, purl, vurl, end)
        if aborts:
            problems.append(f"[{name}] the reference misbehaved on {[n for n, _, _ in aborts]} "
                            "(the tester would abort)")
        if unexpected:
            problems.append(f"[{name}] unexplained differences: {[n for n, _, _ in unexpected]}")
        if fixed:
            problems.append(f"[{name}] listed in promql_compliance_known.tsv but passing now "
                            f"(remove them): {[n for n, _, _ in fixed]}")
    check(not problems, "; ".join(problems))
    prom.stop()


def test_native_histogram_functions_fail_clearly():
    url = STATE.get("vigil")
    check(url is not None, "needs the server of test_compliance_queries")
    for f in ("histogram_count", "histogram_sum", "histogram_avg", "histogram_stddev",
              "histogram_stdvar"):
        q = f"{f}(rate(demo_api_request_duration_seconds_bucket[1m]))"
        data, err = api_call(url, "/api/v1/query", {"query": q})
        check(data is None, f"{q}: should fail, got {data}")
        want = f"execution: native histograms are not supported by Vigil: {f}()"
        check(err.startswith(want), f"{q}: got {err!r}, want {want!r}")
    # Classic-bucket histogram functions still answer.
    data, err = api_call(url, "/api/v1/query", {
        "query": "histogram_fraction(0, 0.01, rate(demo_api_request_duration_seconds_bucket[5m]))",
        "time": str(time.time() - END_BEFORE_NOW_MS / 1000)})
    check(err is None and data["result"], f"histogram_fraction on classic buckets: {err} {data}")


if __name__ == "__main__":
    if not os.path.exists(QUERIES):
        print(f"SKIP: compliance queries not found at {os.path.normpath(QUERIES)} (they live in "
              "../shared next to the source tree in the CI layout)")
        sys.exit(0)
    if not PROMETHEUS:
        print("SKIP: prometheus (2.42, Debian) not installed")
        sys.exit(0)
    main([test_compliance_queries, test_native_histogram_functions_fail_clearly])
