"""Configuration reload: SIGHUP and POST /-/reload; a bad file keeps the running config."""
import os
import signal

from harness import (check, get_json, http, main, metric_value, query, start_fleet, start_server,
                     tempdir, wait_until)

LOG = tempdir("vigil-it-reload-")


def pools(url):
    _, body = get_json(url + "/api/v1/targets")
    return sorted({t["scrapePool"] for t in body["data"]["activeTargets"]})


def reload_ok(url):
    return metric_value(url, "prometheus_config_last_reload_successful")


def test_reload_keeps_old_config_on_error():
    fleet, base = start_fleet(2, 50, LOG)
    job = lambda name, i: (f"  - job_name: {name}\n    scrape_interval: 1s\n    static_configs:\n"  # noqa: E731
                           f"      - targets: ['127.0.0.1:{base + i}']\n")
    good1 = "scrape_configs:\n" + job("a", 0)
    server, url, _ = start_server(good1, LOG, extra=["--web.enable-lifecycle"], name="vigil")
    cfg = os.path.join(LOG, "vigil.yml")
    check(pools(url) == ["a"], f"pools {pools(url)}")

    # A bad file via SIGHUP: the old config keeps running; the failure is visible.
    with open(cfg, "w") as f:
        f.write("scrape_configs:\n  - job_name: a\n    scrape_interval: nope\n")
    server.p.send_signal(signal.SIGHUP)
    wait_until(lambda: "Error reloading config" in server.tail(), 10, what="reload error logged")
    check("vigil.yml:3" in server.tail(), f"error should name file:line: {server.tail(5)}")
    check(pools(url) == ["a"], "old config must keep running")

    # The same via HTTP: 500 with the reason.
    st, _, body = http("POST", url + "/-/reload")
    check(st == 500 and b"vigil.yml:3" in body, f"POST /-/reload on a bad file: {st} {body[:200]}")

    # GET is refused like Prometheus.
    st, _, _ = http("GET", url + "/-/reload")
    check(st == 405, f"GET /-/reload: {st}")

    # A good file via HTTP: the new job appears, the old one stays.
    with open(cfg, "w") as f:
        f.write("scrape_configs:\n" + job("a", 0) + job("b", 1))
    st, _, body = http("POST", url + "/-/reload")
    check(st == 200, f"POST /-/reload: {st} {body[:200]}")
    check(pools(url) == ["a", "b"], f"pools after reload: {pools(url)}")
    wait_until(lambda: len(query(url, 'up{job="b"} == 1')) == 1, 20, what="job b up")
    wait_until(lambda: reload_ok(url) == 1, 10, what="reload metric back to 1")
    server.stop()
    fleet.stop()


if __name__ == "__main__":
    main([test_reload_keeps_old_config_on_error])
