#!/usr/bin/env python3
"""Markdown table of renkei-load results (one JSON object per line).

    python3 bench/report.py target/bench/*/results.jsonl
"""
import json
import sys


def main():
    print("| run | c | ok | err | req/s | entries/s | MB/s | p50 ms | p95 ms | p99 ms | max ms | hub CPU % | hub RSS max MB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for path in sys.argv[1:]:
        with open(path) as f:
            for line in f:
                if not line.strip():
                    continue
                r = json.loads(line)
                l = r["latency"]
                s = r.get("server") or {}
                mb = f"{r['payload_mb_per_s']:.1f}" if r["payload_mb_per_s"] else ""
                # Results written before --docs-per-request carry no entries field.
                entries = f"{r['entries_per_s']:.1f}" if r.get("entries_per_s") else ""
                print(
                    f"| {r.get('label', r['transaction'])} | {r['concurrency']} | {r['ok']} | {r['errors']} "
                    f"| {r['throughput_rps']:.1f} | {entries} | {mb} | {l['p50_ms']:.2f} | {l['p95_ms']:.2f} | {l['p99_ms']:.2f} "
                    f"| {l['max_ms']:.2f} | {s.get('cpu_percent', 0):.0f} | {s.get('rss_max_mb', 0):.1f} |"
                )


if __name__ == "__main__":
    main()
