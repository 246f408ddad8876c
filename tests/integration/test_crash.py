"""Crash safety of the head: ingest continuously (scrapes every second), kill -9, restart on
the same data dir. Every sample that was visible through the API before the kill (so it was
committed and acknowledged) is there after the restart, with the same value; and the
restarted process does not need more memory than the running one did."""
import time

from harness import (check, main, metric_value, query, scalar_query, start_fleet, start_server,
                     tempdir, wait_until)

LOG = tempdir("vigil-it-crash-")
TARGETS, SERIES = 10, 2000


def snapshot(url, t):
    """Per-series sample counts and sums over the last hour at time t (pinned with @)."""
    # Names are kept through count_over_time (delayed __name__ removal) so that series of
    # different metrics stay distinct inside the aggregation.
    n_series = float(query(url, f'count(count_over_time({{__name__=~".+"}}[1h] @ {t}))')[0]["value"][1])
    total = float(query(url, f'sum(count_over_time({{__name__=~".+"}}[1h] @ {t}))')[0]["value"][1])
    # Values of a few series in full (timestamps and values).
    ups = query(url, f"up[1h] @ {t}")
    sums = query(url, f'sum(sum_over_time({{__name__=~".+", __name__!~"scrape_.*"}}[1h] @ {t}))')
    return n_series, total, {r["metric"]["instance"]: r["values"] for r in ups}, \
        float(sums[0]["value"][1]) if sums else 0


def test_kill9_loses_no_acknowledged_sample():
    fleet, base = start_fleet(TARGETS, SERIES, LOG)
    cfg = ("scrape_configs:\n  - job_name: fleet\n    scrape_interval: 1s\n    static_configs:\n"
           "      - targets: [" + ", ".join(f"'127.0.0.1:{base + i}'" for i in range(TARGETS)) + "]\n")
    flags = ["--enable-feature=promql-delayed-name-removal"]
    server, url, data = start_server(cfg, LOG, extra=flags, name="vigil")
    wait_until(lambda: (scalar_query(url, "sum(up)") or 0) == TARGETS, 30, what="targets up")
    time.sleep(8)  # several scrapes, still ingesting

    t = time.time()
    before = snapshot(url, f"{t:.3f}")
    rss_running = server.rss_kb()
    server.kill9()  # while scrapes keep coming
    check(before[1] > TARGETS * SERIES * 3, f"too few samples before the kill: {before[1]}")

    server2, url2, _ = start_server(cfg, LOG, extra=flags, data_dir=data, name="vigil-restarted")
    rss_restart = server2.rss_kb("VmHWM")
    after = snapshot(url2, f"{t:.3f}")
    check(after[0] == before[0], f"series with samples before the kill: {before[0]} -> {after[0]}")
    check(after[1] == before[1], f"samples up to the kill: {before[1]} -> {after[1]}")
    check(after[2] == before[2], "up[1h] values/timestamps differ after restart")
    check(abs(after[3] - before[3]) <= 1e-9 * max(1.0, abs(before[3])),
          f"sum of values differs: {before[3]} -> {after[3]}")
    print(f"samples before kill {before[1]:.0f} in {before[0]} series; RSS running {rss_running} kB, "
          f"peak at restart {rss_restart} kB")
    check(rss_restart <= rss_running * 1.10 + 8192,
          f"restart peak RSS {rss_restart} kB exceeds running RSS {rss_running} kB")
    # It keeps ingesting after the restart.
    n0 = metric_value(url2, "prometheus_tsdb_head_samples_appended_total")
    wait_until(lambda: metric_value(url2, "prometheus_tsdb_head_samples_appended_total") > n0, 20,
               what="ingestion after restart")
    server2.stop()
    fleet.stop()


if __name__ == "__main__":
    main([test_kill9_loses_no_acknowledged_sample])
