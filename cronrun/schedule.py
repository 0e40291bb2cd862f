"""When a job runs: frequencies, times of day, the due check and backfill run times.

Pure functions of the job's declaration and its recorded state, so every rule can be tested
without a database or a clock. Times are aware datetimes in UTC.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator

_FREQUENCY = re.compile(r"^(\d+)([mhd])$")
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}
RUN_TIME_FORMAT = "%Y-%m-%dT%H:%M"


class InvalidSchedule(ValueError):
    """A frequency or time of day that cannot be a schedule."""


def parse_frequency(text: str) -> datetime.timedelta:
    """``Nm``, ``Nh`` or ``Nd`` (minutes, hours, days) as a duration of at least a minute."""
    match = _FREQUENCY.match(text)
    if not match or int(match.group(1)) < 1:
        raise InvalidSchedule(f"frequency {text!r} must look like 5m, 1h or 7d (at least 1)")
    return datetime.timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def parse_time(text: str) -> datetime.time:
    """A time of day ``HH:MM`` (UTC)."""
    match = _TIME.match(text)
    if not match:
        raise InvalidSchedule(f"time {text!r} must be HH:MM, from 00:00 to 23:59 (UTC)")
    return datetime.time(int(match.group(1)), int(match.group(2)))


def snap(moment: datetime.datetime, time: datetime.time | None) -> datetime.datetime:
    """``moment`` with its hour and minute set to ``time`` (seconds dropped); unchanged if None."""
    if time is None:
        return moment
    return moment.replace(hour=time.hour, minute=time.minute, second=0, microsecond=0)


def next_run_after(
    now: datetime.datetime, frequency: datetime.timedelta, time: datetime.time | None
) -> datetime.datetime:
    """When a job that ran at ``now`` is due again."""
    return snap(now + frequency, time)


def is_due(
    next_run: datetime.datetime | None, time: datetime.time | None, now: datetime.datetime
) -> bool:
    """A job never run is due at once, or once the time of day is reached; else at next_run."""
    if next_run is None:
        return time is None or now.time() >= time
    return next_run < now


def run_times(
    last_success: datetime.datetime | None,
    frequency: datetime.timedelta,
    time: datetime.time | None,
    backfill: bool,
    now: datetime.datetime,
) -> Iterator[datetime.datetime]:
    """The run times to execute now, oldest first.

    A backfill job that succeeded before runs once for every interval since its last success
    up to ``now``, so nothing is skipped after downtime or failures (none while its next
    interval has not come). Any other job runs once, at ``now``.
    """
    if not (backfill and last_success):
        yield now
        return
    moment = snap(last_success, time) + frequency
    while moment <= now:
        yield moment
        moment += frequency


def format_run_time(moment: datetime.datetime) -> str:
    """``--run-time`` and ``--last-success`` values: ``YYYY-MM-DDTHH:MM`` (UTC)."""
    return moment.astimezone(datetime.UTC).strftime(RUN_TIME_FORMAT)


def parse_run_time(text: str) -> datetime.datetime:
    """A ``--run-time`` value back as an aware UTC datetime; seconds are accepted too."""
    for layout in (RUN_TIME_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.datetime.strptime(text, layout).replace(tzinfo=datetime.UTC)
        except ValueError:
            continue
    raise InvalidSchedule(f"run time {text!r} must be YYYY-MM-DDTHH:MM (UTC)")
