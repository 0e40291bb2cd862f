"""Crash-level helpers the jobs share: is a crash searchable, and listing a day in parallel."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar

from jansky.search import SearchBackend

Result = TypeVar("Result")
SEARCH_BATCH = 100


def batched(items: Iterable[str], size: int) -> Iterator[list[str]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def indexed_ids(search: SearchBackend, crash_ids: Iterable[str]) -> set[str]:
    """Which of ``crash_ids`` the search index holds (looked up by id, 100 at a time)."""
    found: set[str] = set()
    for batch in batched(crash_ids, SEARCH_BATCH):
        found |= search.indexed_crash_ids(batch)
    return found


def id_prefixes(digits: int) -> list[str]:
    """Every crash id prefix of ``digits`` hex digits, in order (``""`` for none)."""
    return [f"{number:0{digits}x}" for number in range(16**digits)] if digits else [""]


def run_by_prefix(
    prefixes: list[str], workers: int, work: Callable[[str], Result]
) -> Iterator[Result]:
    """``work(prefix)`` for every prefix on ``workers`` threads, results as they finish.

    At most twice ``workers`` prefixes are under way, so results (and what each holds) do not
    pile up; leaving the loop early cancels what has not started.
    """
    pending = iter(prefixes)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cron") as pool:
        running: set[Future[Result]] = set()
        try:
            while True:
                for prefix in itertools.islice(pending, 2 * workers - len(running)):
                    running.add(pool.submit(work, prefix))
                if not running:
                    return
                done, running = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
        finally:
            for future in running:
                future.cancel()
