"""The ``MissingProcessedCrash`` table: recording crashes found missing, marking them done."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from cronrun.tasks.crashes import indexed_ids
from cronrun.tasks.retention import cutoff_moment
from jansky.search import SearchBackend
from jansky.storage import CrashStorage
from webapp.crashstats.models import MissingProcessedCrash

MARK_BATCH = 500


def record_missing(crash_ids: list[str]) -> None:
    """Record the crashes as missing; one recorded before and marked processed is missing
    again, so it goes back to unprocessed."""
    MissingProcessedCrash.objects.bulk_create(
        [MissingProcessedCrash(crash_id=crash_id, is_processed=False) for crash_id in crash_ids],
        update_conflicts=True,
        unique_fields=["crash_id"],
        update_fields=["is_processed"],
    )


def unprocessed_batches() -> Iterator[list[str]]:
    """The crash ids still recorded as unprocessed, a batch at a time (oldest first)."""
    last = 0
    while True:
        rows = list(
            MissingProcessedCrash.objects.filter(is_processed=False, pk__gt=last)
            .order_by("pk")
            .values_list("pk", "crash_id")[:MARK_BATCH]
        )
        if not rows:
            return
        last = rows[-1][0]
        yield [crash_id for _, crash_id in rows]


def processed_now(storage: CrashStorage, search: SearchBackend, crash_ids: list[str]) -> set[str]:
    """Those of ``crash_ids`` that have a processed crash and are in the search index."""
    stored = [crash_id for crash_id in crash_ids if storage.has_processed_crash(crash_id)]
    return indexed_ids(search, stored)


def mark_processed(crash_ids: set[str]) -> int:
    return MissingProcessedCrash.objects.filter(crash_id__in=list(crash_ids)).update(
        is_processed=True
    )


def forget_missing(cutoff: datetime.date, dry_run: bool) -> int:
    """Drop ``MissingProcessedCrash`` rows recorded before the cutoff: their crashes are gone
    (``verifyprocessed`` records a crash the day after it was filed)."""
    rows = MissingProcessedCrash.objects.filter(created__lt=cutoff_moment(cutoff))
    return rows.count() if dry_run else rows.delete()[0]
