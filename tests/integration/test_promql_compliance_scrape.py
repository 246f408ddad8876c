"""The literal path behind the compliance data (docs/promql-compliance.md): Prometheus 2.42
scrapes a live `vigil fleet --profile=compliance` every second and remote-writes what it
scraped to Vigil; then instant and range queries over that data answer the same on both,
including demo_intermittent_metric across a minute boundary (where it appears, or, in half of
the runs, disappears and Prometheus' staleness markers must arrive through remote write).
Complements test_promql_compliance.py, whose data is backfilled."""
import sys
import time

from harness import (PROMETHEUS, api_call, check, main, start_fleet, start_prometheus,
                     start_server, tempdir, wait_until)
from promql_diff import diff, ms_str

LOG = tempdir("vigil-it-compliance-scrape-")
TARGETS = 3
QUERIES = [
    "up",
    "demo_intermittent_metric",
    "rate(demo_cpu_usage_seconds_total[10s])",
    "sum by (path) (demo_api_request_duration_seconds_count)",
    "histogram_quantile(0.9, sum by (le) (rate(demo_api_request_duration_seconds_bucket[15s])))",
    "count_over_time(demo_memory_usage_bytes[20s])",
    "max_over_time(demo_intermittent_metric[5s])",
    "scrape_samples_scraped",
]


def scrape_phases(purl, at_s):
    """The millisecond phases of the targets' scrape timestamps (Prometheus keeps each
    target on a fixed offset)."""
    data, err = api_call(purl, "/api/v1/query", {"query": 'timestamp(up{job="demo"})',
                                                 "time": f"{at_s:.3f}"})
    check(err is None, f"timestamp(up): {err}")
    return [round(float(s["value"][1]) * 1000) % 1000 for s in data["result"]]


def pick_phase(phases):
    """A millisecond phase far from every scrape phase: no window edge lands on a sample
    (Prometheus 2.42 closes windows on the left, Vigil opens them)."""
    return max(range(0, 1000, 10),
               key=lambda p: min(min((p - q) % 1000, (q - p) % 1000) for q in phases))


def test_scrape_then_remote_write_answers_equal():
    fleet, base = start_fleet(TARGETS, 0, LOG, ["--profile=compliance"])
    vigil, vurl, _ = start_server("global:\n  scrape_interval: 1s\n", LOG,
                                  ["--web.enable-remote-write-receiver"])
    targets = ", ".join(f"'127.0.0.1:{base + i}'" for i in range(TARGETS))
    config = ("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
              "scrape_configs:\n  - job_name: demo\n    static_configs:\n"
              f"      - targets: [{targets}]\n"
              f"remote_write:\n  - url: {vurl}/api/v1/write\n    queue_config:\n"
              "      batch_send_deadline: 500ms\n      min_backoff: 50ms\n      max_backoff: 1s\n")
    prom, purl = start_prometheus(config, LOG)
    t0 = time.time()

    # Scrape for at least 30 s and past a minute boundary that lies inside the compared window
    # (which starts 12 s in), so that demo_intermittent_metric appears or disappears in it:
    # at most about 80 s.
    boundary = (int(t0 + 14) // 60 + 1) * 60
    until = max(t0 + 30, boundary + 8)

    def ready():
        if time.time() < until:
            return False
        data, err = api_call(purl, "/api/v1/query", {"query": 'count(up{job="demo"} == 1)'})
        return err is None and data["result"] and data["result"][0]["value"][1] == str(TARGETS)
    wait_until(ready, 120, 0.5, "Prometheus scraping the fleet")

    now = time.time()
    phase = pick_phase(scrape_phases(purl, now - 2))
    end_ms = (int(now) - 3) * 1000 + phase
    start_ms = (int(t0) + 12) * 1000 + phase
    calls = []
    for q in QUERIES:
        calls.append(("/api/v1/query", {"query": q, "time": ms_str(end_ms)}))
        calls.append(("/api/v1/query_range", {"query": q, "start": ms_str(start_ms),
                                              "end": ms_str(end_ms), "step": "1"}))

    # Remote write trails the scrapes by a second or two: compare until everything is equal
    # (the data up to end_ms does not change any more once it has arrived).
    points = {}

    def all_equal():
        diffs = []
        for path, params in calls:
            ref, rerr = api_call(purl, path, params)
            check(rerr is None, f"prometheus {params['query']}: {rerr}")
            if path.endswith("query_range"):
                points[params["query"]] = sum(len(x["values"]) for x in ref["result"])
            tgt, terr = api_call(vurl, path, params)
            if terr is not None:
                diffs.append(f"{path} {params['query']}: vigil error {terr}")
                continue
            if params["query"] == "up":
                check(ref["result"], f"prometheus has no data for up ({path})")
            d = diff(ref, tgt, sort_ref=True)
            if d:
                diffs.append(f"{path} {params['query']}: {d}")
        return diffs
    deadline = time.time() + 20
    diffs = all_equal()
    while diffs and time.time() < deadline:
        time.sleep(1)
        diffs = all_equal()
    check(not diffs, "answers differ:\n  " + "\n  ".join(diffs))
    check(start_ms < boundary * 1000 < end_ms, "the window should contain a minute boundary")
    n_im = points["demo_intermittent_metric"]
    check(0 < n_im < TARGETS * ((end_ms - start_ms) // 1000),
          f"demo_intermittent_metric should be present for part of the window: {n_im} points")
    print(f"{len(calls)} queries equal over {(end_ms - start_ms) / 1000:.0f}s of scraped data "
          f"with a minute boundary inside; range points per query: {points}")
    prom.stop()
    vigil.stop()
    fleet.stop()


if __name__ == "__main__":
    if not PROMETHEUS:
        print("SKIP: prometheus (2.42, Debian) not installed")
        sys.exit(0)
    main([test_scrape_then_remote_write_answers_equal])
