"""Weekly index names: from a strftime template, for a crash, a date range, or retention."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta


def index_for(template: str, moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(template)


def indices_between(template: str, start: datetime, end: datetime) -> list[str]:
    """Names covering every day from ``start`` to ``end``, oldest first, without repeats."""
    names: dict[str, None] = {}
    day = start.astimezone(UTC)
    while day <= end:
        names[index_for(template, day)] = None
        day += timedelta(days=1)
    names[index_for(template, end)] = None
    return list(names)


def prefix_of(template: str) -> str:
    """The literal start of the template, used to list its indices (``jansky`` here)."""
    return template.split("%", 1)[0]


def week_start(moment: datetime) -> datetime:
    day = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def parse_index_date(template: str, name: str) -> datetime | None:
    """The first day an index named from ``template`` covers, or None if it is not one."""
    pattern = re.escape(template)
    for directive, digits in (("%Y", 4), ("%W", 2), ("%U", 2), ("%m", 2), ("%d", 2), ("%V", 2)):
        pattern = pattern.replace(re.escape(directive), rf"\d{{{digits}}}")
    if not re.fullmatch(pattern, name):
        return None
    for fmt, text in ((template + "-%w", name + "-1"), (template, name)):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def expired(template: str, names: Iterable[str], retention_weeks: int, now: datetime) -> list[str]:
    """Names of indices whose week started before the retention window."""
    cutoff = week_start(now - timedelta(weeks=retention_weeks))
    found = []
    for name in names:
        start = parse_index_date(template, name)
        if start is not None and start < cutoff:
            found.append(name)
    return sorted(found)
