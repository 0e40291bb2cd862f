"""Crash Stats benchmarks: the HTTP API and the pages, each through the whole Django stack.

    .venv/bin/python bench/webapp.py                    # both parts, default sizes
    .venv/bin/python bench/webapp.py api [--crashes 100000] [--repeat 40]
    .venv/bin/python bench/webapp.py pages [--crashes 1000000] [--repeat 30] [--fresh]

`api` prints what the Django stack adds over calling the search and storage layers directly
(SuperSearch, ProcessedCrash, RawCrash; target: at most 10 ms at p50). `pages` prints p50/p95 of
whole page responses at 1,000,000 indexed crashes (targets on two cores: report page p50 < 100 ms,
signature summary p50 < 300 ms, top crashers over 7 days p50 < 500 ms on OpenSearch). Both run
on SQLite and, when `make services` has written var/services.env, on OpenSearch. Figures are
printed; nothing is asserted. With no part named, each part runs in a process of its own (Django
is configured once per process).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.support import webapp_api, webapp_pages  # noqa: E402

PARTS = {"api": webapp_api, "pages": webapp_pages}
SUMMARIES = {
    "api": "what Django adds to SuperSearch, ProcessedCrash and RawCrash calls (p50/p95)",
    "pages": "whole page responses at 1,000,000 indexed crashes (p50/p95)",
}


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parts = top.add_subparsers(dest="part", title="parts (default: both, one after the other)")
    for name, module in PARTS.items():
        part = parts.add_parser(name, help=SUMMARIES[name], description=module.__doc__)
        part.add_argument(
            "--backends", default="sqlite,opensearch", help="comma-separated: sqlite, opensearch"
        )
        module.add_arguments(part)
    return top


def main() -> int:
    args = parser().parse_args()
    if args.part is not None:
        return PARTS[args.part].run(args)
    for name in PARTS:
        print(f"=== bench/webapp.py {name}", flush=True)
        code = subprocess.run([sys.executable, __file__, name], check=False).returncode
        if code:
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main())
