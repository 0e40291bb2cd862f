"""When each signature first appeared: its first build and first crash date, from search.

Each run reads the crashes of a window (from 10 minutes before the last success to the run
time, so crashes indexed late are not missed) and lowers ``Signature.first_build`` and
``first_date`` where the window holds something earlier; new signatures are created.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from jansky.schemas import ANONYMOUS
from jansky.search import SearchBackend
from jansky.search.dates import parse_date
from jansky.search.params import MAX_RESULTS_NUMBER, MAX_WINDOW
from webapp.crashstats.models import Signature

OVERLAP = datetime.timedelta(minutes=10)
DEFAULT_WINDOW = datetime.timedelta(minutes=90)
SAVE_BATCH = 500


@dataclass
class FirstSeen:
    build: int | None
    date: datetime.datetime

    def merge(self, build: int | None, date: datetime.datetime) -> None:
        if build is not None and (self.build is None or build < self.build):
            self.build = build
        self.date = min(self.date, date)


def window(
    run_time: datetime.datetime, last_success: datetime.datetime | None
) -> tuple[datetime.datetime, datetime.datetime]:
    """``[start, end)`` to read, to the minute."""
    end = run_time.replace(second=0, microsecond=0)
    start = (last_success - OVERLAP) if last_success else (end - DEFAULT_WINDOW)
    return start.replace(second=0, microsecond=0), end


def _page(
    search: SearchBackend, start: datetime.datetime, end: datetime.datetime, offset: int
) -> dict[str, Any]:
    params = {
        "date": [f">={start.isoformat()}", f"<{end.isoformat()}"],
        "_columns": ["signature", "build_id", "date"],
        "_sort": ["date"],
        "_results_number": str(MAX_RESULTS_NUMBER),
        "_results_offset": str(offset),
        "_facets_size": "0",
    }
    return search.search(params, ANONYMOUS)


def crashes_between(
    search: SearchBackend, start: datetime.datetime, end: datetime.datetime
) -> Iterator[dict[str, Any]]:
    """Every crash of ``[start, end)`` (signature, build_id, date); a window holding more than
    search pages through (10,000) is read in halves."""
    first = _page(search, start, end, 0)
    if first["total"] > MAX_WINDOW and end - start > datetime.timedelta(seconds=1):
        middle = start + (end - start) / 2
        yield from crashes_between(search, start, middle)
        yield from crashes_between(search, middle, end)
        return
    yield from first["hits"]
    offset = len(first["hits"])
    while offset < min(first["total"], MAX_WINDOW):
        hits = _page(search, start, end, offset)["hits"]
        if not hits:
            return
        yield from hits
        offset += len(hits)


def first_seen(hits: Iterator[dict[str, Any]]) -> dict[str, FirstSeen]:
    """The earliest build and date per signature among ``hits``."""
    found: dict[str, FirstSeen] = {}
    for hit in hits:
        signature, date = hit.get("signature"), hit.get("date")
        if not signature or not date:
            continue
        build = hit.get("build_id")
        build = build if isinstance(build, int) else None
        moment = parse_date(date)
        if signature in found:
            found[signature].merge(build, moment)
        else:
            found[signature] = FirstSeen(build, moment)
    return found


@dataclass
class SignatureChanges:
    created: list[str]
    lowered: list[str]


def save_first_seen(found: dict[str, FirstSeen], dry_run: bool) -> SignatureChanges:
    """Create new signatures and lower the first build and date of known ones."""
    changes = SignatureChanges([], [])
    names = sorted(found)
    for start in range(0, len(names), SAVE_BATCH):
        batch = names[start : start + SAVE_BATCH]
        with transaction.atomic():
            known = {row.signature: row for row in Signature.objects.filter(signature__in=batch)}
            new, lowered = [], []
            for name in batch:
                seen = found[name]
                row = known.get(name)
                if row is None:
                    new.append(
                        Signature(signature=name, first_build=seen.build, first_date=seen.date)
                    )
                    continue
                earlier_build = seen.build is not None and (
                    row.first_build is None or seen.build < row.first_build
                )
                earlier_date = row.first_date is None or seen.date < row.first_date
                if earlier_build or earlier_date:
                    row.first_build = seen.build if earlier_build else row.first_build
                    row.first_date = seen.date if earlier_date else row.first_date
                    lowered.append(row)
            if not dry_run:
                Signature.objects.bulk_create(new, ignore_conflicts=True)
                Signature.objects.bulk_update(lowered, ["first_build", "first_date"])
        changes.created += [row.signature for row in new]
        changes.lowered += [row.signature for row in lowered]
    return changes
