"""The per-job lock: ``Job.ongoing`` set and cleared by compare-and-set updates.

Taking the lock is one ``UPDATE ... WHERE ongoing IS NULL`` that must change exactly one row,
so of any number of runners, on any number of hosts, one wins. A lock older than the
configured age belongs to a runner that died: it is taken over with another compare-and-set
on the old value, so again only one runner wins. The lock's value is its owner's token:
releasing, and writing the job's bookkeeping, only happen while it still holds that value, so
a runner whose lock was taken over never undoes the new owner's work.
"""

from __future__ import annotations

import datetime
import logging

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


def acquire(name: str, now: datetime.datetime, max_age: datetime.timedelta) -> datetime.datetime:
    """Take the job's lock; returns the token to release it with. Raises :class:`JobLocked`."""
    job_row(name)
    for _ in range(3):  # the holder may release between our two reads
        if Job.objects.filter(app_name=name, ongoing__isnull=True).update(ongoing=now) == 1:
            return now
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
            return now
    since = Job.objects.filter(app_name=name).values_list("ongoing", flat=True).first()
    raise JobLocked(name, since or now)


def release(name: str, token: datetime.datetime) -> bool:
    """Clear the lock if ``token`` still holds it; False when it was taken over meanwhile."""
    released = Job.objects.filter(app_name=name, ongoing=token).update(ongoing=None) == 1
    if not released:
        logger.warning("job=%s: the lock was taken over while the job ran", name)
    return released
