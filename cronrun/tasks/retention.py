"""Delete crashes past retention: every object in storage, then their search entries.

A crash expires with the date in its id: with 180 days of retention, a run on June 30 deletes
the crashes filed before January 1 (dates are UTC), from storage (raw crash, dumps, processed
crash) and from search (everything dated before January 1, 00:00 UTC). Each expired date is
deleted in parallel by crash id prefix, as ``verifyprocessed`` lists a day.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from cronrun.tasks.crashes import batched, id_prefixes, run_by_prefix
from jansky.storage import CrashStorage

# Crashes deleted together: on S3, their objects go in a couple of DeleteObjects requests.
DELETE_BATCH = 100


def cutoff_date(run_time: datetime.datetime, days: int) -> datetime.date:
    """The first date kept: crashes filed before it are deleted."""
    return run_time.date() - datetime.timedelta(days=days)


def cutoff_moment(cutoff: datetime.date) -> datetime.datetime:
    """The first moment kept in search: midnight UTC of the first date kept."""
    return datetime.datetime.combine(cutoff, datetime.time(), datetime.UTC)


def expired_dates(storage: CrashStorage, cutoff: datetime.date) -> list[datetime.date]:
    return [day for day in storage.list_crash_dates() if day < cutoff]


def _delete_prefix(storage: CrashStorage, day: datetime.date, prefix: str, dry_run: bool) -> int:
    count = 0
    for batch in batched(storage.list_crash_ids(day, prefix), DELETE_BATCH):
        if not dry_run:
            storage.delete_crashes(batch)
        count += len(batch)
    return count


def delete_day(
    storage: CrashStorage, day: datetime.date, workers: int, dry_run: bool
) -> Iterator[int]:
    """Delete (or, with ``dry_run``, count) the crashes of ``day``; yields counts as each
    prefix is done. The emptied date is pruned at the end."""
    prefixes = id_prefixes(storage.listing_prefix_digits)
    yield from run_by_prefix(
        prefixes, workers, lambda prefix: _delete_prefix(storage, day, prefix, dry_run)
    )
    if not dry_run:
        storage.prune_date(day)
