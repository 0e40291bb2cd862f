"""Record the first build and first date of each signature seen in recent crashes."""

from __future__ import annotations

from typing import Any

from cronrun.commands import JobCommand
from cronrun.metrics import METRICS
from cronrun.tasks.signatures import crashes_between, first_seen, save_first_seen, window
from webapp.crashstats import backends


class Command(JobCommand):
    help = (
        "Read the crashes since --last-success (the last 90 minutes without it) up to "
        "--run-time and record new signatures and earlier first builds and dates. "
        "Example: jansky cron updatesignatures --dry-run"
    )
    takes_run_time = True
    takes_last_success = True
    has_dry_run = True

    def run(self, **options: Any) -> None:
        start, end = window(options["run_time"], options["last_success"])
        found = first_seen(crashes_between(backends.search(), start, end))
        changes = save_first_seen(found, options["dry_run"])
        verb = "would record" if options["dry_run"] else "recorded"
        for name in changes.created:
            self.say(f"new signature: {name}")
        if not options["dry_run"]:
            METRICS.incr("updatesignatures.new", len(changes.created))
        self.say(
            f"updatesignatures: {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC: "
            f"{len(found):,} signatures, {verb} {len(changes.created):,} new and "
            f"{len(changes.lowered):,} seen earlier than known"
        )
