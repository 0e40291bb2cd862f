"""The per-job lock: ``Job.ongoing`` set and cleared by compare-and-set updates.

Taking the lock is one ``UPDATE ... WHERE ongoing IS NULL`` that must change exactly one row,
so of any number of runners, on any number of hosts, one wins. A lock older than the
configured age belongs to a runner that died: it is taken over with another compare-and-set
on the old value, so again only one runner wins. The lock's value is its owner's token:
releasing, and writing the job's bookkeeping, only happen while it still holds that value, so
a runner whose lock was taken over never undoes the new owner's work. Each recorded success
renews the lock, so a long backfill that makes progress never looks stale.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from cronrun.metrics import METRICS
from cronrun.models import Job

logger = logging.getLogger(__name__)


class JobLocked(Exception):
    """Another runner is running the job."""

    def __init__(self, name: str, since: datetime.datetime) -> None:
        super().__init__(
            f"job {name} is running elsewhere (lock taken at {since:%Y-%m-%d %H:%M:%S} UTC)"
        )
        self.name = name
        self.since = since


def job_row(name: str) -> Job:
    """The job's row, created if it is new (two runners creating it at once both get it)."""
    try:
        with transaction.atomic():
            return Job.objects.get_or_create(app_name=name)[0]
    except IntegrityError:
        return Job.objects.get(app_name=name)


@dataclass
class HeldLock:
    """A job's lock as its holder sees it: ``token`` is the value of ``ongoing`` it set."""

    name: str
    token: datetime.datetime

    def update(self, renew: datetime.datetime | None = None, **fields: object) -> bool:
        """Write ``fields`` to the job's row while this lock holds it; with ``renew``, also
        move the lock's time there (a long backfill is not stale while it makes progress).
        False, and nothing written, once the lock was taken over."""
        if renew is not None:
            fields["ongoing"] = renew
        updated = Job.objects.filter(app_name=self.name, ongoing=self.token).update(**fields)
        if updated and renew is not None:
            self.token = renew
        if not updated:
            logger.warning("job=%s: the lock was taken over; nothing recorded", self.name)
        return bool(updated)

    def release(self) -> bool:
        """Clear the lock if it still holds it; False when it was taken over meanwhile."""
        return self.update(ongoing=None)


def acquire(name: str, now: datetime.datetime, max_age: datetime.timedelta) -> HeldLock:
    """Take the job's lock. Raises :class:`JobLocked` while another runner holds it."""
    job_row(name)
    for _ in range(3):  # the holder may release between our two reads
        if Job.objects.filter(app_name=name, ongoing__isnull=True).update(ongoing=now) == 1:
            return HeldLock(name, now)
        since = Job.objects.filter(app_name=name).values_list("ongoing", flat=True).first()
        if since is None:
            continue
        if now - since <= max_age:
            raise JobLocked(name, since)
        if Job.objects.filter(app_name=name, ongoing=since).update(ongoing=now) == 1:
            logger.warning(
                "job=%s took over a stale lock taken at %s (older than %s)", name, since, max_age
            )
            METRICS.incr("lock_takeover", tags=[f"job:{name}"])
            return HeldLock(name, now)
    since = Job.objects.filter(app_name=name).values_list("ongoing", flat=True).first()
    raise JobLocked(name, since or now)
