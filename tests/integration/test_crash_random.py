"""Randomized kill -9 loop over ingestion, head compaction, block compaction and their
cleanup: `vigil server` with 10 s blocks (merged up to 90 s) takes remote writes whose
synthetic timestamps run ~50x faster than the clock, so every compaction tick cuts and
merges blocks; it is killed with SIGKILL at a random moment, restarted, and every sample
acknowledged so far must be served exactly once, with no leftover temporary directory of
the crash. The seed is printed (VIGIL_CRASH_SEED=... repeats a run)."""
import os
import random
import threading
import time

from harness import block_dirs, check, main, start_server, tempdir, tmp_leftovers
from test_crash_compaction import CONFIG, Writer, check_disk, check_served, flags

LOG = tempdir("vigil-it-crashr-")
ROUNDS = 6


def test_random_kills_lose_no_acknowledged_sample():
    seed = int(os.environ.get("VIGIL_CRASH_SEED") or time.time())
    print(f"VIGIL_CRASH_SEED={seed}")
    rnd = random.Random(seed)
    f = flags(max_block="90s")
    w = Writer()
    data = None
    kills_in_compaction = 0
    for r in range(ROUNDS):
        server, url, data = start_server(CONFIG, LOG, extra=f, data_dir=data, name=f"r{r}")
        if r > 0:
            gone = [n for n in w.leftovers if os.path.exists(os.path.join(data, n))]
            check(not gone, f"round {r}: leftovers of the last crash still there: {gone}")
            check_served(url, w)
        stop = threading.Event()

        def write():
            while not stop.is_set() and w.send(url, 1):
                time.sleep(0.01)
        t = threading.Thread(target=write)
        t.start()
        time.sleep(rnd.uniform(1.0, 6.0))
        server.kill9()
        stop.set()
        t.join(30)
        w.leftovers = tmp_leftovers(data)
        kills_in_compaction += bool(w.leftovers)
        print(f"round {r}: killed with {sum(len(v) for v in w.acked.values())} acknowledged "
              f"samples, {len(block_dirs(data))} blocks, leftovers {w.leftovers}")
    server, url, data = start_server(CONFIG, LOG, extra=f, data_dir=data, name="final")
    n = check_served(url, w)
    server.stop()
    check_disk(data)
    print(f"{n} samples served after {ROUNDS} kills ({kills_in_compaction} left temporary "
          f"directories behind)")


if __name__ == "__main__":
    main([test_random_kills_lose_no_acknowledged_sample])
