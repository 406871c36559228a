#!/usr/bin/env python3
"""Which B-trees a SQLite WAL's frames belong to: the pages each commit
wrote, per table and index (BENCHMARKS.md "Fourth pass").

    python3 bench/wal_frames.py COPY_OF_DB-wal DB [REQUESTS]

Reads the frames still valid in a copy of the WAL (those after its last
restart), maps each page number to its owner through SQLite's dbstat
table (sqlite3 must be built with it, as Debian's python3 is), and prints
frames per commit for each owner.
"""
import collections
import sqlite3
import struct
import sys

wal, db = sys.argv[1], sys.argv[2]
data = open(wal, "rb").read()
_magic, _version, page_size, _seq, salt1, salt2 = struct.unpack(">IIIIII", data[:24])
offset, frames, commits = 32, [], 0
while offset + 24 + page_size <= len(data):
    page, commit_size, s1, s2 = struct.unpack(">IIII", data[offset : offset + 16])
    if (s1, s2) != (salt1, salt2):
        break  # frames of an earlier WAL generation
    frames.append(page)
    commits += commit_size != 0
    offset += 24 + page_size

con = sqlite3.connect(db)
owner = dict(con.execute("SELECT pageno, name FROM dbstat"))
kind = dict(con.execute("SELECT pageno, pagetype FROM dbstat"))
by_owner = collections.Counter(owner.get(p, "?") for p in frames)
by_kind = collections.Counter(kind.get(p, "?") for p in frames)
per = max(commits, 1)
print(f"frames {len(frames)}, commits {commits}, frames/commit {len(frames) / per:.1f}, "
      f"page types {dict(by_kind)}")
for name, n in by_owner.most_common(30):
    print(f"{name:45} {n:7} {n / per:6.2f}/commit")
