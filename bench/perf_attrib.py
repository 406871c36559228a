#!/usr/bin/env python3
"""Attributes `perf script` samples (DWARF call graphs) to renkei's own code.

    perf script -i perf.data | python3 bench/perf_attrib.py [--depth N] [--match REGEX]

For each sample it finds the innermost frame of a renkei crate (or of the
crates named by --own) and counts the sample there, inclusive of everything
that frame called; it also counts, per renkei frame, every sample with that
frame anywhere on its stack (inclusive). --match REGEX lists the renkei
callers of samples whose stack contains a frame matching REGEX (for example
sqlite3Prepare), to find which queries are re-parsed.
"""
import argparse
import collections
import re
import sys

OWN = r"^(<)?(store|registry|repository|audit|consent|ebrim|soap|hl7|pix|hub|certs)::"


def samples(stream):
    frames = []
    for line in stream:
        line = line.rstrip("\n")
        if not line.strip():
            if frames:
                yield frames
            frames = []
            continue
        if line[0] not in " \t":
            continue  # the sample's header line (comm, pid, time, event)
        parts = line.strip().split(None, 1)
        if len(parts) == 2:
            sym = re.sub(r"\+0x[0-9a-f]+$", "", parts[1].rsplit(" (", 1)[0])
            frames.append(sym)
    if frames:
        yield frames


def short(sym):
    sym = re.sub(r"<[^<>]*>", "", re.sub(r"<[^<>]*>", "", re.sub(r"<[^<>]*>", "", sym)))
    return sym[:140]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--own", default=OWN)
    ap.add_argument("--match")
    ap.add_argument("--top", type=int, default=40)
    args = ap.parse_args()
    own = re.compile(args.own)
    match = re.compile(args.match) if args.match else None
    innermost = collections.Counter()
    inclusive = collections.Counter()
    matched = collections.Counter()
    total = 0
    for frames in samples(sys.stdin):
        total += 1
        mine = [short(f) for f in frames if own.search(f)]
        innermost[mine[0] if mine else "(no renkei frame: runtime, kernel, threads)"] += 1
        for f in set(mine):
            inclusive[f] += 1
        if match and any(match.search(f) for f in frames):
            matched[" <- ".join(mine[:3]) or "(no renkei frame)"] += 1
    print(f"{total} samples\n\n== innermost renkei frame (self + what it called)")
    for sym, n in innermost.most_common(args.top):
        print(f"{100 * n / total:6.2f}%  {sym}")
    print("\n== inclusive (frame anywhere on the stack)")
    for sym, n in inclusive.most_common(args.top):
        print(f"{100 * n / total:6.2f}%  {sym}")
    if match:
        m = sum(matched.values())
        print(f"\n== stacks matching {args.match}: {100 * m / total:.2f}% of samples")
        for sym, n in matched.most_common(args.top):
            print(f"{100 * n / total:6.2f}%  {sym}")


if __name__ == "__main__":
    main()
