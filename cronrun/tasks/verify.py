"""Find the crashes of a day that were stored but never processed, and queue them again.

A crash is missing when it has a raw crash but no processed crash, or a processed crash the
search index does not hold. The day is listed in parallel, one crash id prefix per task
(:attr:`CrashStorage.listing_prefix_digits`), each task reading its ids a batch at a time,
so no more than a batch per thread is ever in memory, whatever the day's volume.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from cronrun.tasks.crashes import batched, id_prefixes, indexed_ids, run_by_prefix
from jansky.queue import REPROCESSING, CrashQueue, make_body
from jansky.search import SearchBackend
from jansky.storage import CrashStorage

CHECK_BATCH = 100


@dataclass
class PrefixCheck:
    """What checking one prefix of the day found."""

    prefix: str
    checked: int = 0
    unprocessed: list[str] = field(default_factory=list)  # no processed crash
    unindexed: list[str] = field(default_factory=list)  # processed, not in search

    @property
    def missing(self) -> list[str]:
        return self.unprocessed + self.unindexed


def check_prefix(
    storage: CrashStorage, search: SearchBackend, day: datetime.date, prefix: str
) -> PrefixCheck:
    result = PrefixCheck(prefix)
    for batch in batched(storage.list_crash_ids(day, prefix), CHECK_BATCH):
        result.checked += len(batch)
        processed = []
        for crash_id in batch:
            if storage.has_processed_crash(crash_id):
                processed.append(crash_id)
            else:
                result.unprocessed.append(crash_id)
        if processed:
            found = indexed_ids(search, processed)
            result.unindexed += [crash_id for crash_id in processed if crash_id not in found]
    return result


def verify_day(
    storage: CrashStorage,
    search: SearchBackend,
    day: datetime.date,
    workers: int,
    on_result: Callable[[PrefixCheck], None],
) -> None:
    """Check every crash filed under ``day``; ``on_result`` gets each prefix's findings (in
    the calling thread, so it may write to the database) as soon as they are in."""
    prefixes = id_prefixes(storage.listing_prefix_digits)
    for result in run_by_prefix(
        prefixes, workers, lambda prefix: check_prefix(storage, search, day, prefix)
    ):
        on_result(result)


def queue_for_reprocessing(queue: CrashQueue, crash_ids: list[str]) -> None:
    if crash_ids:
        queue.publish(REPROCESSING, [make_body(crash_id, None) for crash_id in crash_ids])
