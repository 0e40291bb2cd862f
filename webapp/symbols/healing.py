"""Late-symbol healing: reprocess the crashes that lacked a module once its symbols arrive.

Each module an upload brings (new or replaced) has a :class:`HealingJob`. The healer walks the
job's crashes newest first through Super Search (``missing_symbols_modules`` starting with
``<debug_file>/<debug_id>/``, dated from SYMBOLS_HEAL_DAYS before the upload to an hour after
it) and publishes them to the reprocessing queue, at most SYMBOLS_HEAL_RATE per second over
all jobs. The processor walks them again, finds the symbols in the store, and stores and
indexes the new signature; a healed crash no longer lacks the module, so the search count of
crashes still lacking it falls to zero as healing completes.

One process heals at a time: it holds a lease row in the database, renewed while it works.
``jansky webapp`` runs a healer thread in each worker (SYMBOLS_HEALING); whichever takes the
lease does the work, and another takes over if it dies. ``jansky symbols heal`` runs one alone.
"""

from __future__ import annotations

import datetime
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, close_old_connections, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from jansky.queue import REPROCESSING, make_body
from jansky.search import SearchError
from jansky.symbols import missing
from webapp.crashstats import backends
from webapp.crashstats.permissions import ANONYMOUS_ACCESS
from webapp.crashstats.supersearch import search
from webapp.symbols.models import HealerLease, HealingJob, SymbolFile, SymbolUpload

logger = logging.getLogger(__name__)

LEASE_NAME = "healer"
LEASE_SECONDS = 30.0
TICK_SECONDS = 1.0
BATCH = 500  # crash ids per search and per publish
MAX_BURST_SECONDS = 2.0  # the rate's unused allowance kept, in seconds' worth
STEP_SECONDS = 5.0  # longest round, well within LEASE_SECONDS


def _search(params: Any) -> dict[str, Any]:
    return search(params, ANONYMOUS_ACCESS)


@dataclass
class Progress:
    """How healing an upload goes."""

    modules: int  # modules the upload brought
    done: int  # modules whose crashes are all queued
    crashes: int  # crashes that lacked them when healing began
    queued: int

    @property
    def finished(self) -> bool:
        return self.done == self.modules

    def as_dict(self) -> dict[str, Any]:
        return {
            "modules": self.modules,
            "modules_done": self.done,
            "crashes": self.crashes,
            "queued": self.queued,
            "finished": self.finished,
        }


def progress_of(upload_ids: Iterable[int]) -> dict[int, Progress]:
    """Healing progress of each upload that has jobs."""
    rows = (
        HealingJob.objects.filter(upload_id__in=list(upload_ids))
        .values("upload_id")
        .annotate(
            modules=Count("id"),
            done=Count("id", filter=Q(state=HealingJob.DONE)),
            crashes=Sum("crashes"),
            queued=Sum("queued"),
        )
    )
    return {
        row["upload_id"]: Progress(
            row["modules"], row["done"], row["crashes"] or 0, row["queued"] or 0
        )
        for row in rows
    }


@dataclass
class JobRow:
    job: HealingJob
    still_lacking: int | None  # crashes of the job's window lacking the module now


def job_rows(upload: SymbolUpload, live_counts: int = 50) -> list[JobRow]:
    """The upload's jobs; the first ``live_counts`` with crashes get a live count."""
    rows = []
    for job in upload.healing.all().order_by("-crashes", "id"):
        still = None
        if job.crashes and live_counts > 0:
            live_counts -= 1
            try:
                still = missing.count_crashes(_search, job.key, job.since, job.until)
            except SearchError:
                still = None
        rows.append(JobRow(job, still))
    return rows


class Lease:
    """The database lease that lets one process heal at a time."""

    def __init__(self, holder: str | None = None) -> None:
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"

    def acquire(self) -> bool:
        """Take or renew the lease; whether this process holds it now."""
        now = timezone.now()
        expires = now + datetime.timedelta(seconds=LEASE_SECONDS)
        taken = HealerLease.objects.filter(
            Q(name=LEASE_NAME) & (Q(holder=self.holder) | Q(expires__lt=now))
        ).update(holder=self.holder, expires=expires)
        if taken:
            return True
        try:
            with transaction.atomic():
                _, created = HealerLease.objects.get_or_create(
                    name=LEASE_NAME, defaults={"holder": self.holder, "expires": expires}
                )
        except IntegrityError:  # another process created it at the same moment
            return False
        return created

    def release(self) -> None:
        HealerLease.objects.filter(name=LEASE_NAME, holder=self.holder).delete()


class Healer:
    """Publishes the crashes of healing jobs, oldest job first, at ``rate`` crashes a second."""

    def __init__(
        self, rate: float, lease: Lease | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.lease = lease or Lease()
        self.clock = clock
        self._allowance = max(rate, 1.0)  # one second's worth to start with
        self._last = clock()

    def step(self) -> int:
        """One round: with the lease, queue what the rate allows; the crashes queued."""
        if not self.lease.acquire():
            return 0
        now = self.clock()
        self._allowance = min(
            self._allowance + (now - self._last) * self.rate,
            max(self.rate * MAX_BURST_SECONDS, 1.0),
        )
        self._last = now
        queued = 0
        ends = now + STEP_SECONDS
        for job in HealingJob.objects.exclude(state=HealingJob.DONE).order_by("id"):
            # Many modules whose crashes are all healed cost a search each and no allowance:
            # stop in time to renew the lease.
            if self._allowance < 1 or self.clock() > ends:
                break
            count = self._advance(job, int(self._allowance))
            self._allowance -= count
            queued += count
        return queued

    def _advance(self, job: HealingJob, budget: int) -> int:
        """Queue up to ``budget`` more crashes of ``job``; how many were queued."""
        if job.state == HealingJob.PENDING:
            job.crashes = missing.count_crashes(_search, job.key, job.since, job.until)
            if job.crashes:
                _learn_code_info(job)
            job.state = HealingJob.RUNNING
            job.started = timezone.now()
            job.cursor_before = job.until.isoformat()
            job.cursor_seen = []
            if job.crashes == 0:
                return self._finish(job)
            job.save()
        cursor = missing.CrashCursor(job.cursor_before, list(job.cursor_seen))
        crash_ids, after = missing.crashes_lacking(
            _search, job.key, job.since, cursor, min(budget, BATCH)
        )
        if crash_ids:
            backends.queue().publish(REPROCESSING, [make_body(crash_id) for crash_id in crash_ids])
            job.queued += len(crash_ids)
            logger.info(
                "event=healing_queued job=%s module=%s crashes=%d",
                job.pk,
                job.key,
                len(crash_ids),
            )
        if after is None:
            self._finish(job)
        else:
            job.cursor_before, job.cursor_seen = after.before, after.seen_at_boundary
            job.save()
        return len(crash_ids)

    def _finish(self, job: HealingJob) -> int:
        job.state = HealingJob.DONE
        job.finished = timezone.now()
        job.save()
        return 0

    def run_until_idle(self) -> int:
        """Heal until no job is left; the crashes queued (`jansky symbols heal --once`)."""
        queued = 0
        try:
            while HealingJob.objects.exclude(state=HealingJob.DONE).exists():
                queued += self.step()
                time.sleep(TICK_SECONDS)
        finally:
            self.lease.release()
        return queued


def _learn_code_info(job: HealingJob) -> None:
    """Fill in the code file and id of an uploaded file that did not name them (a PDB's
    symbols without INFO CODE_ID) from a crash that lacked it, for lookups by code."""
    row = SymbolFile.objects.filter(debug_file=job.debug_file, debug_id=job.debug_id).first()
    if row is None or row.code_id:
        return
    found = missing.code_info(_search, job.key, job.since, job.until)
    if found is not None:
        row.code_file, row.code_id = found
        row.save(update_fields=["code_file", "code_id"])


class HealerThread(threading.Thread):
    """The healer as a daemon thread of a web worker."""

    def __init__(self, rate: float) -> None:
        super().__init__(name="symbols-healer", daemon=True)
        self.healer = Healer(rate)
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(TICK_SECONDS):
            try:
                self.healer.step()
            except Exception:
                # Search, queue or database down: try again next tick.
                logger.exception("event=healing_failed")
            finally:
                close_old_connections()


_started: HealerThread | None = None
_start_lock = threading.Lock()


def start_healer_thread(rate: float) -> HealerThread:
    """Start this process's healer thread once."""
    global _started
    with _start_lock:
        if _started is None or not _started.is_alive():
            _started = HealerThread(rate)
            _started.start()
        return _started
