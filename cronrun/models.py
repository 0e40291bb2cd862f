"""The runner's bookkeeping: one row per job (schedule, last outcome, lock) and a log of runs."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Job(models.Model):
    """The state of one job, keyed by its command name.

    ``ongoing`` is the lock: the time a runner took it, NULL when the job is not running. It is
    taken and released with compare-and-set updates (:mod:`cronrun.locking`).
    """

    app_name = models.CharField(max_length=100, unique=True)
    next_run = models.DateTimeField(null=True, blank=True)
    first_run = models.DateTimeField(null=True, blank=True)
    last_run = models.DateTimeField(null=True, blank=True)
    last_success = models.DateTimeField(null=True, blank=True)
    error_count = models.IntegerField(default=0)
    last_error = models.JSONField(default=dict, blank=True)
    ongoing = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.app_name


class Log(models.Model):
    """One run of a job (a run time of a backfill is a run): how long, how it ended, its output."""

    app_name = models.CharField(max_length=100, db_index=True)
    log_time = models.DateTimeField(default=timezone.now, db_index=True)
    run_time = models.DateTimeField(null=True, blank=True)
    duration = models.FloatField(help_text="Seconds the run took.")
    success = models.DateTimeField(
        null=True, blank=True, help_text="The run time, when the run succeeded."
    )
    exc_type = models.TextField(null=True, blank=True)
    exc_value = models.TextField(null=True, blank=True)
    exc_traceback = models.TextField(null=True, blank=True)
    output = models.TextField(blank=True, default="", help_text="What the command printed.")

    class Meta:
        ordering = ["-log_time"]

    def __str__(self) -> str:
        outcome = "success" if self.success else (self.exc_type or "failure")
        return f"{self.app_name} at {self.log_time:%Y-%m-%d %H:%M}: {outcome}"
