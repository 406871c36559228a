#!/usr/bin/env python3
"""Parse the same sample messages as `cargo bench -p ebrim --bench ebrim`
with lxml (libxml2, C), for a side-by-side of parse time per message.

    python3 bench/lxml_compare.py [--target-dir target]

lxml builds a full tree (no namespace or schema checks beyond
well-formedness); renkei's parser checks namespaces and builds the typed
ebRIM model, so it does more work per byte. The criterion numbers are read
from target/criterion/<group>/<id>/new/estimates.json when present.
"""
import argparse
import json
import os
import timeit

from lxml import etree

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = os.path.join(HERE, "..", "..", "shared", "conformance", "xds", "samples")
MESSAGES = [
    ("ihe-register-1doc", "ihe-iti-info/XDS.b/RegisterDocumentSet-bRequest.xml"),
    ("ipf-ebrs30", "ipf/SubmitObjectsRequest_ebrs30.xml"),
]


def lxml_us(data: bytes) -> float:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    n, total = timeit.Timer(lambda: etree.fromstring(data, parser)).autorange()
    best = min(timeit.repeat(lambda: etree.fromstring(data, parser), number=n, repeat=5))
    return best / n * 1e6


def criterion_us(target: str, group: str, ident: str):
    path = os.path.join(target, "criterion", group, ident, "new", "estimates.json")
    try:
        with open(path) as f:
            return json.load(f)["median"]["point_estimate"] / 1000.0
    except (OSError, KeyError, ValueError):
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--target-dir", default=os.environ.get("CARGO_TARGET_DIR", os.path.join(HERE, "..", "target")))
    args = ap.parse_args()
    print(f"lxml {etree.__version__} (libxml2 {'.'.join(map(str, etree.LIBXML_VERSION))})")
    print(f"{'message':<22} {'bytes':>7} {'lxml µs':>9} {'renkei µs':>10} {'ratio':>7}")
    for label, rel in MESSAGES:
        with open(os.path.join(SAMPLES, rel), "rb") as f:
            data = f.read()
        lx = lxml_us(data)
        rk = criterion_us(args.target_dir, "parse_submit_objects", label)
        rk_s = f"{rk:10.1f}" if rk is not None else f"{'n/a':>10}"
        ratio = f"{rk / lx:7.2f}" if rk is not None else f"{'':>7}"
        print(f"{label:<22} {len(data):>7} {lx:9.1f} {rk_s} {ratio}")


if __name__ == "__main__":
    main()
