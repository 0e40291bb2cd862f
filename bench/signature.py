"""Signature generation speed: Jansky against siggen on the same generated corpus.

Usage: .venv/bin/python bench/signature.py [--size N] [--lists DIR] [--repeat R]

Both generators use the same lists (Socorro's by default, as in the parity test) and sign the
same crashes; the corpus comes from tests/unit/siggen_corpus.py. Prints signatures per second
for each and the ratio. Jansky's first pass starts with empty caches, like a fresh processor.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from processor.signature import SignatureGenerator, load_lists  # noqa: E402
from tests.unit.siggen_corpus import build_corpus  # noqa: E402


def _rate(sign, corpus: list[dict]) -> float:
    start = time.perf_counter()
    for crash in corpus:
        sign(crash)
    return len(corpus) / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10000, help="crashes in the corpus")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes (best is kept)")
    parser.add_argument(
        "--lists",
        default=str(REPO.parent / "shared" / "data" / "socorro-siglists"),
        help="signature lists directory used by both",
    )
    args = parser.parse_args()

    from siggen.generator import SignatureGenerator as SiggenGenerator
    from siggen.utils import convert_to_crash_data

    corpus = build_corpus(args.size)
    # siggen's generator does not convert processed crashes itself; convert up front so that
    # both sides do the same work inside the timed loop (Jansky converts inside generate()).
    siggen_corpus = [convert_to_crash_data(c) if "json_dump" in c else c for c in corpus]

    jansky = SignatureGenerator(load_lists(args.lists))
    cold = _rate(jansky.generate, corpus)
    warm = max(_rate(jansky.generate, corpus) for _ in range(args.repeat))
    siggen = SiggenGenerator(signature_list_dir=args.lists)
    theirs = max(_rate(siggen.generate, siggen_corpus) for _ in range(args.repeat))

    print(f"corpus: {len(corpus)} crashes, lists: {args.lists}")
    print(f"jansky  first pass (empty caches): {cold:10.0f} signatures/s")
    print(f"jansky  steady state:              {warm:10.0f} signatures/s")
    print(f"siggen  best of {args.repeat}:                 {theirs:10.0f} signatures/s")
    print(f"ratio jansky/siggen: first pass {cold / theirs:.1f}x, steady {warm / theirs:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
