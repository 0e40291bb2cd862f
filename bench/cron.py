"""Cron benchmark: how fast ``verifyprocessed`` checks a day and ``retention`` deletes one,
and that the memory of a check does not grow with the day's crashes.

Stores a day of crashes (small raw crashes, minidumps and processed crashes, every one
indexed) on files + SQLite and, when `make services` has written var/services.env, on MinIO +
OpenSearch; then
times the check of the whole day with 1, 4 and 8 threads (crashes per second, and the peak of
Python allocations during the check, measured with tracemalloc on a separate run), then the
deletion of the day. Figures are printed; nothing is asserted.

    .venv/bin/python bench/cron.py [--crashes 20000] [--s3-crashes 4000] [--backends files]
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cronrun.tasks.retention import delete_day  # noqa: E402
from cronrun.tasks.verify import PrefixCheck, verify_day  # noqa: E402
from jansky.crashid import create_crash_id  # noqa: E402
from jansky.search import SearchBackend, open_search  # noqa: E402
from jansky.search.settings import SearchSettings  # noqa: E402
from jansky.storage import CrashStorage, open_storage  # noqa: E402
from tests.servers import is_listening, read_services_env  # noqa: E402

DAY = datetime.datetime.now(datetime.UTC).replace(hour=12, minute=0, second=0, microsecond=0)
DAY -= datetime.timedelta(days=1)
MISSING_EVERY = 1000  # one crash in a thousand left unprocessed
SMALL_DUMP = b"MDMP" + bytes(252)  # every crash has a minidump: one more object to delete


def seed(storage: CrashStorage, search: SearchBackend, count: int) -> int:
    """Store ``count`` crashes of DAY, index those processed; returns how many are missing."""

    def one(number: int) -> tuple[str, dict] | None:
        crash_id = create_crash_id(DAY)
        when = (DAY + datetime.timedelta(seconds=number % 80000)).isoformat()
        raw_crash = {"uuid": crash_id, "ProductName": "Bench"}
        storage.save_raw_crash(crash_id, raw_crash, {"upload_file_minidump": SMALL_DUMP})
        if number % MISSING_EVERY == 0:
            return None
        processed = {"uuid": crash_id, "date_processed": when, "product": "Bench"}
        storage.save_processed_crash(crash_id, processed)
        return crash_id, processed

    with ThreadPoolExecutor(max_workers=16) as pool:
        done = [item for item in pool.map(one, range(count)) if item]
    result = search.index_crashes(done)
    assert result.ok, result.failed[:3]
    search.refresh()
    return count - len(done)


def check(storage: CrashStorage, search: SearchBackend, workers: int) -> tuple[int, int]:
    counts = [0, 0]

    def found(result: PrefixCheck) -> None:
        counts[0] += result.checked
        counts[1] += len(result.missing)

    verify_day(storage, search, DAY.date(), workers, found)
    return counts[0], counts[1]


def timed(work: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def peak_allocations(work: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def bench(name: str, storage: CrashStorage, search: SearchBackend, sizes: Iterable[int]) -> None:
    total = 0
    for size in sizes:
        seeded_missing = seed(storage, search, size - total)
        total = size
        print(
            f"\n{name}: {total:,} crashes filed under {DAY.date()} ({seeded_missing} unprocessed)"
        )
        for workers in (1, 4, 8):
            seconds, (checked, missing) = timed(lambda w=workers: check(storage, search, w))
            print(
                f"  verifyprocessed, {workers} threads: {checked:,} checked, {missing} missing "
                f"in {seconds:.1f} s = {checked / seconds:,.0f} crashes/s"
            )
        peak = peak_allocations(lambda: check(storage, search, 8))
        print(f"  verifyprocessed, 8 threads: peak Python allocations {peak:.1f} MiB")
    seconds, deleted = timed(lambda: sum(delete_day(storage, DAY.date(), 8, dry_run=False)))
    print(
        f"  retention, 8 threads: {deleted:,} crashes deleted in {seconds:.1f} s = "
        f"{deleted / seconds:,.0f} crashes/s"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crashes", type=int, default=20000, help="crashes on files + SQLite")
    parser.add_argument(
        "--s3-crashes", type=int, default=4000, help="crashes on MinIO + OpenSearch"
    )
    parser.add_argument("--backends", default="files,s3", help="files and/or s3")
    args = parser.parse_args()
    print("Figures from one run on this machine; other work on it moves them.")
    chosen = args.backends.split(",")
    with tempfile.TemporaryDirectory(prefix="jansky-bench-cron-") as work:
        if "files" in chosen:
            storage = open_storage(f"file://{Path(work) / 'crashes'}")
            search = open_search(f"sqlite://{Path(work) / 'search.db'}")
            sizes = (args.crashes // 4, args.crashes)
            bench("files + SQLite", storage, search, sizes)
            search.close()
    env = read_services_env()
    if "s3" in chosen and env.get("AWS_ENDPOINT_URL_S3") and is_listening(env["SEARCH_URL"]):
        os.environ.update({key: value for key, value in env.items() if key.startswith("AWS_")})
        template = f"jbench{uuid.uuid4().hex[:8]}%Y%W"
        storage = open_storage(f"s3://jansky-crashes/bench/{uuid.uuid4().hex}")
        search = open_search(env["SEARCH_URL"], settings=SearchSettings(template, replicas=0))
        try:
            bench("MinIO + OpenSearch", storage, search, (args.s3_crashes // 4, args.s3_crashes))
        finally:
            search.client.delete(search.all_indices())
            search.close()
    elif "s3" in chosen:
        print("\n(no MinIO + OpenSearch: run `make services` first)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
