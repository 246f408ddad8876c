"""--shard=I/N over 2 shards: every target lands on exactly one shard, and the split equals the
one Prometheus 2.42 (Debian) makes with the usual hashmod + keep relabeling."""
import shutil

from harness import (Proc, check, free_port, get_json, main, start_server, tempdir, wait_http_ok,
                     wait_until)

LOG = tempdir("vigil-it-shard-")
# Addresses need not answer: sharding happens before scraping.
ADDRS = [f"10.{i // 250}.{i % 250}.{(i * 7) % 250}:{9100 + i % 3}" for i in range(40)]
PROMETHEUS = shutil.which("prometheus")


def targets_yaml(job, extra=""):
    return (f"  - job_name: {job}\n    scrape_interval: 1h\n    static_configs:\n"
            "      - targets: [" + ", ".join(f"'{a}'" for a in ADDRS) + "]\n" + extra)


def active_addresses(url, pool=None):
    st, body = get_json(url + "/api/v1/targets")
    check(st == 200, f"targets: {st}")
    return {t["discoveredLabels"]["__address__"] for t in body["data"]["activeTargets"]
            if pool is None or t["scrapePool"] == pool}


def test_two_shards_partition_like_prometheus_hashmod():
    cfg = "scrape_configs:\n" + targets_yaml("nodes")
    shards = []
    for i in range(2):
        _, url, _ = start_server(cfg, LOG, extra=[f"--shard={i}/2"], name=f"vigil-shard{i}")
        wait_until(lambda: len(active_addresses(url)) > 0, 30, what=f"shard {i} targets")
        shards.append(active_addresses(url))
        # Sharded-out targets are reported as dropped, not silently lost.
        st, body = get_json(url + "/api/v1/targets", {"state": "dropped"})
        dropped = {t["discoveredLabels"]["__address__"] for t in body["data"]["droppedTargets"]}
        check(dropped == set(ADDRS) - shards[i], f"shard {i}: dropped != complement")
    check(shards[0] and shards[1], "both shards must get targets")
    check(shards[0].isdisjoint(shards[1]), f"overlap: {shards[0] & shards[1]}")
    check(shards[0] | shards[1] == set(ADDRS), "every target must land on a shard")

    if not PROMETHEUS:
        print("SKIP part: prometheus not installed")
        return
    relabel = ("    relabel_configs:\n"
               "      - {source_labels: [__address__], modulus: 2, target_label: __tmp_hash, action: hashmod}\n"
               "      - {source_labels: [__tmp_hash], regex: '%d', action: keep}\n")
    pcfg = "scrape_configs:\n" + targets_yaml("shard0", relabel % 0) + targets_yaml("shard1", relabel % 1)
    path = f"{LOG}/prometheus.yml"
    with open(path, "w") as f:
        f.write(pcfg)
    port = free_port()
    prom = Proc([PROMETHEUS, f"--config.file={path}", f"--storage.tsdb.path={tempdir()}",
                 f"--web.listen-address=127.0.0.1:{port}"], "prometheus", LOG)
    purl = f"http://127.0.0.1:{port}"
    wait_http_ok(purl + "/-/ready", 60, prom)
    wait_until(lambda: len(active_addresses(purl)) == len(ADDRS), 30, what="prometheus targets")
    for i in range(2):
        want = active_addresses(purl, f"shard{i}")
        check(shards[i] == want, f"shard {i} differs from Prometheus: only vigil "
              f"{sorted(shards[i] - want)}, only prometheus {sorted(want - shards[i])}")


if __name__ == "__main__":
    main([test_two_shards_partition_like_prometheus_hashmod])
