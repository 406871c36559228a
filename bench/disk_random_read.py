#!/usr/bin/env python3
"""8 KiB random reads that bypass the page cache (O_DIRECT) across the given
files: the latency a cold PostgreSQL page read pays on this disk, which is
what separates the "cold" FindDocuments figures from the cached ones.

    python3 bench/disk_random_read.py [--reads N] FILE...

(e.g. the 1 GB segments of registry_objects:
 $(psql -Atc "SHOW data_directory")/$(psql -d DB -Atc "SELECT pg_relation_filepath('registry_objects')")*)
"""
import argparse
import mmap
import os
import random
import time

BLOCK = 8192


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reads", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    fds = []
    for path in a.files:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
        blocks = os.fstat(fd).st_size // BLOCK
        if blocks:
            fds.append((fd, blocks))
    buf = mmap.mmap(-1, BLOCK)  # page-aligned, as O_DIRECT requires
    lat = []
    for _ in range(a.reads):
        fd, blocks = rng.choice(fds)
        off = rng.randrange(blocks) * BLOCK
        t = time.perf_counter()
        os.preadv(fd, [buf], off)
        lat.append((time.perf_counter() - t) * 1000)
    lat.sort()
    pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
    print(f"{len(lat)} random 8 KiB O_DIRECT reads over {len(fds)} files: "
          f"mean {sum(lat) / len(lat):.3f} p50 {pick(0.5):.3f} p90 {pick(0.9):.3f} "
          f"p99 {pick(0.99):.3f} max {lat[-1]:.3f} ms")


if __name__ == "__main__":
    main()
