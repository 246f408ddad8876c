"""Damaged data directories under `vigil server` and `vigil tool tsdb verify`.

Blocks: a server with 10 s blocks writes several blocks of remote-written samples and
stops. Then one block gets a flipped byte in its index's table of contents, one in an index
series entry, one in a chunk of chunks/000001, and one a garbled meta.json; one block stays
intact. `vigil tool tsdb verify` exits non-zero and names every damaged block with its file
(and the byte offset where there is one). `vigil server` still starts: the blocks that cannot
be opened (TOC, meta.json) are skipped, logged and counted; the intact block answers exactly;
queries that touch the damaged series entry or chunk fail with an error naming the damage
instead of returning wrong data.

WAL: a server writes ten remote-write commits and stops; one byte in the payload of a
record in the middle of the segment is flipped. The restarted server counts the corruption,
logs where it is, truncates the WAL there (as Prometheus' repair does) and serves exactly
the commits before it; new samples are taken and a second restart finds no corruption."""
import os
import re
import struct
import subprocess

from harness import (VIGIL, block_dirs, check, get_json, main, metric_value, raw_series,
                     remote_write, start_server, tempdir, wait_until)

LOG = tempdir("vigil-it-corrupt-")
CONFIG = "global:\n  scrape_interval: 15s\n"
FLAGS = ["--web.enable-remote-write-receiver", "--storage.tsdb.min-block-duration=10s",
         "--storage.tsdb.max-block-duration=10s"]
SERIES = 10
T0 = 1_700_000_000_000


def batch(ts):
    return [({"__name__": "corrupt_test", "series": str(i)}, [(t, i * 1000 + (t - T0) / 1000)
                                                             for t in ts])
            for i in range(SERIES)]


def flip(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 0xFF]))


def query_range_raw(url, mint, maxt):
    """(status, body) of a raw-sample query over [mint, maxt] (errors are not raised)."""
    rng = (maxt - mint) // 1000 + 1
    return get_json(url + "/api/v1/query", {"query": f"corrupt_test[{rng}s]",
                                            "time": f"{maxt / 1000:.3f}"})


def test_damaged_blocks_are_reported_and_skipped():
    server, url, data = start_server(CONFIG, LOG, extra=FLAGS, name="blocks")
    for k in range(0, 80, 5):
        st, body = remote_write(url, batch([T0 + (k + j) * 1000 for j in range(5)]))
        check(st == 204, f"remote write: {st} {body}")
    wait_until(lambda: len(block_dirs(data)) >= 5, 30, what="five blocks")
    server.stop()
    blocks = block_dirs(data)
    check(len(blocks) >= 5, f"blocks: {[n for n, _ in blocks]}")
    (toc, _), (series, _), (chunk, _), (meta, _), (good, good_meta) = blocks[:5]

    # Index TOC: the last 52 bytes (6 offsets and a CRC); flip inside the offsets.
    idx = os.path.join(data, toc, "index")
    flip(idx, os.path.getsize(idx) - 30)
    # Inside the first series entry: the section's offset is the TOC's second field.
    idx = os.path.join(data, series, "index")
    size = os.path.getsize(idx)
    with open(idx, "rb") as f:
        f.seek(size - 52)
        series_off = struct.unpack(">Q", f.read(16)[8:16])[0]
    flip(idx, (series_off + 15) // 16 * 16 + 4)  # entries are 16-byte aligned
    # The first chunk record's data (after the 8-byte file header, 1-2 byte length varint,
    # 2-byte chunk header).
    flip(os.path.join(data, chunk, "chunks", "000001"), 8 + 6)
    with open(os.path.join(data, meta, "meta.json"), "w") as f:
        f.write('{"ulid": "broken", ')

    p = subprocess.run([VIGIL, "tool", "tsdb", "verify", data], capture_output=True, text=True,
                       timeout=60)
    out = p.stdout
    print(out.strip())
    check(p.returncode == 1, f"verify exit code {p.returncode}")
    sections = {}
    for part in re.split(r"^(?=OK |DAMAGED )", out, flags=re.M):
        if part.strip():
            head = part.split("\n", 1)[0]
            sections[os.path.basename(head.split()[1])] = (head.split()[0], part)
    for name, file_re in ((toc, r"index\b.*offset \d+"), (series, r"index\b.*offset \d+"),
                          (chunk, r"chunks/000001\b.*offset \d+"), (meta, r"meta\.json")):
        check(name in sections and sections[name][0] == "DAMAGED", f"{name} not reported damaged")
        check(re.search(file_re, sections[name][1]), f"{name}: no /{file_re}/ in "
              f"{sections[name][1]!r}")
    check(sections.get(good, ("",))[0] == "OK", f"intact block {good} not OK")

    server, url, _ = start_server(CONFIG, LOG, extra=FLAGS, data_dir=data, name="blocks-2")
    check(metric_value(url, "vigil_tsdb_block_load_failures_total") == 2,
          "block load failures not counted")
    check(metric_value(url, "prometheus_tsdb_blocks_loaded") == len(blocks) - 2,
          "blocks loaded")
    with open(server.log_path, errors="replace") as f:
        log = f.read()
    for name in (toc, meta):
        check(re.search(r"Skipping a block that cannot be opened.*" + name, log),
              f"no log line for {name}")
    # The intact block answers exactly.
    mint, maxt = good_meta["minTime"], good_meta["maxTime"] - 1
    got = raw_series(url, "corrupt_test", mint, maxt)
    want = {str(i): [(t, i * 1000 + (t - T0) / 1000) for t in range(mint, maxt + 1, 1000)
                     if (t - T0) % 1000 == 0] for i in range(SERIES)}
    check({dict(k)["series"]: v for k, v in got.items()} == want, "intact block differs")
    # The damaged series entry and chunk: an error naming the damage, not wrong data.
    for name in (series, chunk):
        m = dict(blocks)[name]
        st, body = query_range_raw(url, m["minTime"], m["maxTime"] - 1)
        check(st != 200 and body.get("status") == "error", f"query over {name}: {st} {body}")
        check(re.search(r"checksum|corrupt", body.get("error", ""), re.I),
              f"query error over {name} does not name the damage: {body}")
        print(f"query over damaged block {name}: {body['error'][:160]}")
    # The skipped blocks' ranges are empty, not an error.
    for name in (toc,):
        m = dict(blocks)[name]
        st, body = query_range_raw(url, m["minTime"], m["maxTime"] - 1)
        check(st == 200 and body["data"]["result"] == [], f"skipped block {name}: {st} {body}")
    server.stop()


def wal_fragments(path):
    """[(offset of the fragment header, type, payload length)] of a WAL segment."""
    out = []
    with open(path, "rb") as f:
        buf = f.read()
    page = 32 * 1024
    pos = 0
    while pos + 7 <= len(buf):
        typ = buf[pos] & 0x07
        if typ == 0:  # the rest of the page is padding
            pos = (pos // page + 1) * page
            continue
        length = struct.unpack(">H", buf[pos + 1:pos + 3])[0]
        out.append((pos, typ, length))
        pos += 7 + length
    return out


def test_wal_corruption_is_cut_and_the_rest_kept():
    server, url, data = start_server(CONFIG, LOG, extra=FLAGS, name="wal")
    n = 10
    for k in range(n):
        st, body = remote_write(url, batch([T0 + k * 1000]))
        check(st == 204, f"remote write: {st} {body}")
    # A crash, so that the WAL is the only copy of the open chunks (a clean stop writes
    # them to chunks_head/, and the damage below would then lose nothing).
    server.kill9()
    wal = os.path.join(data, "wal")
    segs = sorted(s for s in os.listdir(wal) if s.isdigit())
    seg = os.path.join(wal, segs[-1])
    frags = wal_fragments(seg)
    check(len(frags) >= n, f"{len(frags)} WAL fragments for {n} commits")
    victim = frags[len(frags) // 2 + 1]
    flip(seg, victim[0] + 7 + victim[2] // 2)

    server, url, _ = start_server(CONFIG, LOG, extra=FLAGS, data_dir=data, name="wal-2")
    check(metric_value(url, "prometheus_tsdb_wal_corruptions_total") == 1,
          "WAL corruption not counted")
    with open(server.log_path, errors="replace") as f:
        log = f.read().lower()
    check("corrupt" in log and segs[-1] in log, "the log does not say where the WAL is damaged")
    got = raw_series(url, "corrupt_test", T0, T0 + n * 1000)
    kept = {dict(k)["series"]: [t for t, _ in v] for k, v in got.items()}
    counts = {len(v) for v in kept.values()}
    check(len(counts) <= 1, f"series kept different prefixes: {kept}")
    k = counts.pop() if counts else 0
    check(1 <= k < n, f"{k} of {n} commits kept")
    for s, ts in kept.items():
        check(ts == [T0 + j * 1000 for j in range(k)], f"series {s}: not a prefix: {ts}")
    check(len(kept) == SERIES, f"series kept: {sorted(kept)}")
    after = wal_fragments(seg)
    check(after == frags[:len(after)] and len(after) < frags.index(victim) + 1,
          f"segment not cut at the damaged record: {len(after)} of {len(frags)} fragments left, "
          f"damage in fragment {frags.index(victim)}")
    print(f"{k} of {n} commits kept before the damaged record")
    # Ingestion goes on after the repair, and the repaired WAL replays cleanly.
    st, body = remote_write(url, batch([T0 + (n + 5) * 1000]))
    check(st == 204, f"remote write after the repair: {st} {body}")
    server.stop()
    server, url, _ = start_server(CONFIG, LOG, extra=FLAGS, data_dir=data, name="wal-3")
    check(metric_value(url, "prometheus_tsdb_wal_corruptions_total") == 0,
          "the repaired WAL is still damaged")
    got = raw_series(url, "corrupt_test", T0, T0 + (n + 5) * 1000)
    check(all(len(v) == k + 1 for v in got.values()) and len(got) == SERIES,
          f"after the second restart: {[len(v) for v in got.values()]}")
    server.stop()


if __name__ == "__main__":
    main([test_damaged_blocks_are_reported_and_skipped, test_wal_corruption_is_cut_and_the_rest_kept])
