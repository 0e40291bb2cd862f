"""The whole pipeline: crashes per second from submit to searchable, and each crash's latency.

Two shapes, side by side in one run:

- embedded: `jansky run` (files and SQLite) in a temporary DATA_DIR, as `make run` starts it;
- production: docker-compose.yml's setup, collector, processor and webapp, each started with its
  compose command and environment (tests/stacks.py) against the MinIO, ElasticMQ,
  OpenSearch and PostgreSQL of `make services`.

The crashes are the shared test minidumps (rust-minidump's, symbolicated from their symbols),
posted over HTTP to the collector; a poller asks Crash Stats' Super Search API for the accepted
ids every 0.25 s. A crash's latency runs from the collector's answer to the first poll that finds
it (so it may read up to a poll's interval and a search high). Each round, after a few crashes
that warm the stackwalker up (not counted):

1. throughput: CRASHES crashes from CLIENTS clients as fast as the collector takes them; the rate
   is the crashes found over the time from the first submit to the last crash found;
2. latency: half as many crashes paced at half that rate, so that they seldom wait in a queue.

Figures are printed, nothing is asserted.

    .venv/bin/python bench/pipeline.py [--crashes 1000] [--clients 4] [--rounds 2]
                                       [--shapes embedded,production]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from antenna.client import EncodedReport, encode_report, post_report  # noqa: E402
from tests.servers import read_services_env  # noqa: E402
from tests.stacks import Stack, compose_stack, embedded_stack  # noqa: E402

TESTDATA = Path(os.environ.get("JANSKY_TESTDATA_DIR", ROOT.parent / "shared" / "testdata"))
DUMPS = ("test.dmp", "linux-mini.dmp", "simple-crashpad.dmp", "pipeline-inlines-macos-segv.dmp")
POLL_SECONDS = 0.25
BATCH = 50
WARM_UP = 4
TIMEOUT_SECONDS = 600.0


@dataclass
class Measure:
    """When each crash was accepted and when it was first found searchable."""

    accepted: dict[str, float] = field(default_factory=dict)
    found: dict[str, float] = field(default_factory=dict)
    rejected: int = 0
    first_submit: float = 0.0
    submitted_in: float = 0.0


def reports() -> list[EncodedReport]:
    folder = TESTDATA / "rust-minidump"
    if not all((folder / name).exists() for name in DUMPS):
        sys.exit(f"no test minidumps under {folder}: set JANSKY_TESTDATA_DIR")
    encoded = []
    for index, name in enumerate(DUMPS):
        annotations = {
            "ProductName": "Firefox",
            "Version": f"13{index}.0",
            "ReleaseChannel": "release",
            "BuildID": "20241001093012",
        }
        dumps = {"upload_file_minidump": (folder / name).read_bytes()}
        encoded.append(encode_report(annotations, dumps))
    return encoded


def submit_all(
    collector: str, count: int, clients: int, measure: Measure, rate: float | None = None
) -> None:
    """Post ``count`` reports from ``clients`` threads, recording when each was accepted; with
    ``rate``, the n-th report leaves n / rate seconds after the first."""
    encoded = reports()
    lock = threading.Lock()

    def send(index: int) -> None:
        if rate:
            time.sleep(max(0.0, measure.first_submit + index / rate - time.monotonic()))
        response = post_report(f"{collector}/submit", encoded[index % len(encoded)])
        with lock:
            if response.crash_id:
                measure.accepted[response.crash_id] = time.monotonic()
            else:
                measure.rejected += 1

    measure.first_submit = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(send, range(count)))
    measure.submitted_in = time.monotonic() - measure.first_submit


def searchable(webapp: str, ids: list[str]) -> set[str]:
    query = urllib.parse.urlencode(
        [("uuid", crash_id) for crash_id in ids]
        + [("_columns", "uuid"), ("_results_number", str(len(ids)))]
    )
    with urllib.request.urlopen(f"{webapp}/api/SuperSearch/?{query}", timeout=30) as response:
        return {hit["uuid"] for hit in json.loads(response.read())["hits"]}


def poll(webapp: str, measure: Measure, done: threading.Event) -> None:
    """Until ``done`` and every accepted crash is found: ask for the ones not found yet."""
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        pending = [crash_id for crash_id in list(measure.accepted) if crash_id not in measure.found]
        if done.is_set() and not pending:
            return
        for start in range(0, len(pending), BATCH):
            now = time.monotonic()
            for crash_id in searchable(webapp, pending[start : start + BATCH]):
                measure.found[crash_id] = now
        time.sleep(POLL_SECONDS)
    print(f"  gave up after {TIMEOUT_SECONDS:g} s", file=sys.stderr)


def run_round(
    collector: str, webapp: str, count: int, clients: int, rate: float | None = None
) -> Measure:
    measure = Measure()
    done = threading.Event()
    poller = threading.Thread(target=poll, args=(webapp, measure, done))
    poller.start()
    submit_all(collector, count, clients, measure, rate)
    done.set()
    poller.join()
    return measure


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def searchable_rate(measure: Measure) -> float:
    last = max(measure.found.values(), default=measure.first_submit)
    return len(measure.found) / (last - measure.first_submit) if measure.found else 0.0


def summary(shape: str, test: str, measure: Measure, paced: bool) -> str:
    latencies = [
        measure.found[crash_id] - at
        for crash_id, at in measure.accepted.items()
        if crash_id in measure.found
    ]
    sent = len(measure.accepted) + measure.rejected
    submit_rate = len(measure.accepted) / measure.submitted_in if measure.submitted_in else 0.0
    if not latencies:
        return f"{shape:<11} {test:<10} nothing became searchable"
    # Paced crashes become searchable at the pace: only a burst measures the pipeline's rate.
    rate = "-" if paced else f"{searchable_rate(measure):.1f}"
    return (
        f"{shape:<11} {test:<10} {len(measure.found):>5}/{sent:<5} {submit_rate:>10.1f} "
        f"{rate:>12}   {statistics.median(latencies):>5.2f} "
        f"{percentile(latencies, 0.9):>5.2f} {percentile(latencies, 0.99):>5.2f} "
        f"{max(latencies):>6.2f}"
    )


HEADER = (
    f"{'shape':<11} {'test':<10} {'found/sent':<11} {'accepted/s':>10} {'searchable/s':>12}   "
    f"{'p50':>5} {'p90':>5} {'p99':>5} {'max':>6}   (latency in s, accepted to searchable)"
)


def bench_env() -> dict[str, str]:
    """What both shapes get on top of their own settings: the test symbols, no rate limit on
    the poller's API calls."""
    return {
        "SYMBOLS_PATHS": str(TESTDATA / "rust-minidump" / "symbols"),
        "WEBAPP_RATELIMIT_ENABLED": "false",
    }


@contextmanager
def embedded(work: Path, log: TextIO) -> Iterator[Stack]:
    with embedded_stack(work, log, bench_env()) as stack:
        yield stack


@contextmanager
def production(work: Path, log: TextIO) -> Iterator[Stack]:
    services_env = read_services_env()
    if not services_env:
        sys.exit("no var/services.env: run `make services` first")
    with compose_stack(services_env, work, log, extra_env=bench_env()) as stack:
        yield stack


SHAPES = {"embedded": embedded, "production": production}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crashes", type=int, default=1000, help="crashes per round")
    parser.add_argument("--clients", type=int, default=4, help="concurrent submitting clients")
    parser.add_argument("--rounds", type=int, default=2, help="rounds per shape, alternating")
    parser.add_argument("--shapes", default="embedded,production", help="comma-separated")
    args = parser.parse_args()
    shapes = [shape for shape in args.shapes.split(",") if shape]
    unknown = set(shapes) - set(SHAPES)
    if unknown:
        parser.error(f"unknown shapes {sorted(unknown)}; choose from {sorted(SHAPES)}")
    print(
        f"{args.crashes} crashes per round from {args.clients} clients, on {os.cpu_count()} "
        "cores shared with the load generator and, for production, the servers"
    )
    results: dict[str, list[str]] = {shape: [] for shape in shapes}
    with tempfile.TemporaryDirectory(prefix="jansky-bench-pipeline-") as temporary:
        work = Path(temporary)
        for round_number in range(args.rounds):
            for shape in shapes:
                folder = work / f"{shape}-{round_number}"
                folder.mkdir()
                with (folder / "output.log").open("w") as log, SHAPES[shape](folder, log) as stack:
                    urls = stack.collector, stack.webapp
                    run_round(*urls, WARM_UP, 1)
                    burst = run_round(*urls, args.crashes, args.clients)
                    paced_rate = searchable_rate(burst) / 2
                    paced = run_round(*urls, args.crashes // 2, args.clients, paced_rate)
                results[shape] += [
                    summary(shape, "throughput", burst, paced=False),
                    summary(shape, f"{paced_rate:.1f}/s", paced, paced=True),
                ]
                for line in results[shape][-2:]:
                    print(f"  round {round_number + 1}: {line}", flush=True)
    print()
    print(HEADER)
    for shape in shapes:
        for line in results[shape]:
            print(line)


if __name__ == "__main__":
    main()
