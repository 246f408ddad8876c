"""vigil server scrapes Debian's real node_exporter and a vigil fleet; /api/v1/series,
/api/v1/targets and the label APIs show exactly what the targets expose."""
import os
import shutil
import subprocess

from harness import (VIGIL, Proc, check, free_port, get_json, http, main, query, start_fleet,
                     start_server, tempdir, wait_http_ok, wait_until)

LOG = tempdir("vigil-it-scrape-")
FLEET_TARGETS, SERIES = 4, 200
SYNTHETIC = ["up", "scrape_duration_seconds", "scrape_samples_scraped",
             "scrape_samples_post_metric_relabeling", "scrape_series_added"]
NODE_EXPORTER = shutil.which("prometheus-node-exporter")


def exposition_names(text):
    names = set()
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name = line.split("{", 1)[0].split(" ", 1)[0]
        names.add(name)
    return names


def test_scrape_node_exporter_and_fleet():
    fleet, base = start_fleet(FLEET_TARGETS, SERIES, LOG)
    jobs = ("scrape_configs:\n  - job_name: fleet\n    scrape_interval: 1s\n    static_configs:\n"
            "      - targets: [" + ", ".join(f"'127.0.0.1:{base + i}'" for i in range(FLEET_TARGETS)) +
            "]\n        labels: {dc: dc1}\n")
    node_addr = None
    if NODE_EXPORTER:
        np = free_port()
        node = Proc([NODE_EXPORTER, f"--web.listen-address=127.0.0.1:{np}"], "node_exporter", LOG)
        node_addr = f"127.0.0.1:{np}"
        wait_http_ok(f"http://{node_addr}/metrics", 30, node)
        jobs += (f"  - job_name: node\n    scrape_interval: 1s\n    static_configs:\n"
                 f"      - targets: ['{node_addr}']\n")
    else:
        print("SKIP part: prometheus-node-exporter not installed")
    server, url, _ = start_server("global:\n  scrape_interval: 1s\n" + jobs, LOG)
    n_targets = FLEET_TARGETS + (1 if node_addr else 0)

    wait_until(lambda: len([r for r in query(url, "up == 1")]) == n_targets, 30,
               what="all targets up")

    # /api/v1/targets: every target active and healthy, discovered vs final labels.
    st, body = get_json(url + "/api/v1/targets")
    check(st == 200, f"targets: {st}")
    active = body["data"]["activeTargets"]
    check(len(active) == n_targets, f"want {n_targets} active targets, got {len(active)}")
    for t in active:
        check(t["health"] == "up", f"target not up: {t}")
        check(t["labels"]["instance"] == t["discoveredLabels"]["__address__"], f"instance: {t}")
        check(t["scrapeUrl"] == f"http://{t['labels']['instance']}/metrics", f"scrapeUrl: {t}")
        if t["scrapePool"] == "fleet":
            check(t["labels"].get("dc") == "dc1", f"static label missing: {t}")
            check(t["discoveredLabels"]["__scrape_interval__"] == "1s", f"interval: {t}")
    check(body["data"]["droppedTargets"] == [], "no target should be dropped")

    # /api/v1/series for the fleet: exactly the exposed series plus 5 synthetic per target.
    st, body = get_json(url + "/api/v1/series", {"match[]": '{job="fleet"}'})
    check(st == 200, f"series: {st} {body}")
    series = body["data"]
    want = FLEET_TARGETS * (SERIES + len(SYNTHETIC))
    check(len(series) == want, f"fleet series: want {want}, got {len(series)}")
    for s in series:
        check(s["job"] == "fleet" and s["dc"] == "dc1" and s["instance"].startswith("127.0.0.1:"),
              f"bad target labels on {s}")
    # The series of one target equal what the target serves (names + label sets).
    _, _, raw = http("GET", f"http://127.0.0.1:{base}/metrics")
    served = exposition_names(raw.decode())
    inst = f"127.0.0.1:{base}"
    got = {s["__name__"] for s in series if s["instance"] == inst}
    check(got == served | set(SYNTHETIC), f"names differ: {sorted(got ^ (served | set(SYNTHETIC)))[:10]}")

    # Label APIs.
    st, body = get_json(url + "/api/v1/label/job/values")
    check(body["data"] == sorted(["fleet"] + (["node"] if node_addr else [])), f"job values: {body}")
    st, body = get_json(url + "/api/v1/labels")
    for n in ("__name__", "instance", "job", "dc"):
        check(n in body["data"], f"label {n} missing from /api/v1/labels")

    if node_addr:
        # Every metric name node_exporter serves is stored under job="node".
        _, _, raw = http("GET", f"http://{node_addr}/metrics")
        served = exposition_names(raw.decode())
        st, body = get_json(url + "/api/v1/label/__name__/values", {"match[]": '{job="node"}'})
        got = set(body["data"])
        missing = served - got
        check(not missing, f"node_exporter metrics missing: {sorted(missing)[:10]}")
        r = query(url, 'count(node_cpu_seconds_total{job="node"}) > 0')
        check(len(r) == 1, "node_cpu_seconds_total should be stored")

    # Synthetic series carry the scrape facts.
    r = query(url, f'scrape_samples_scraped{{instance="{inst}"}}')
    check(float(r[0]["value"][1]) == SERIES, f"scrape_samples_scraped: {r}")

    # Vigil's own /metrics passes Prometheus' linter (names, suffixes, types, help).
    promtool = shutil.which("promtool")
    if promtool:
        _, _, own = http("GET", url + "/metrics")
        lint = subprocess.run([promtool, "check", "metrics"], input=own, capture_output=True)
        check(lint.returncode == 0, "promtool check metrics: " + (lint.stdout + lint.stderr).decode()[:2000])
    else:
        print("SKIP part: promtool not installed")
    server.stop()
    fleet.stop()


def test_bad_config_fails_fast_with_location():
    cfg = os.path.join(LOG, "bad.yml")
    with open(cfg, "w") as f:
        f.write("global:\n  scrape_intervall: 1s\n")
    p = Proc([VIGIL, "server", f"--config.file={cfg}",
              f"--storage.tsdb.path={tempdir()}", f"--web.listen-address=127.0.0.1:{free_port()}"],
             "badcfg", LOG)
    rc = p.p.wait(30)
    check(rc == 1, f"exit code {rc}")
    out = p.tail()
    check("bad.yml:2" in out and "scrape_intervall" in out, f"error should name file:line and key: {out}")


if __name__ == "__main__":
    main([test_scrape_node_exporter_and_fleet, test_bad_config_fails_fast_with_location])
