"""Link signatures to the Bugzilla bugs that name them (off while CRON_BUGZILLA_URL is unset)."""

from __future__ import annotations

import datetime
from typing import Any

from cronrun.commands import JobCommand
from cronrun.config import load_cron_jobs_settings
from cronrun.metrics import METRICS
from cronrun.tasks.bugzilla import BugzillaClient, save_bug


class Command(JobCommand):
    help = (
        "Read the bugs created or whose crash signatures changed since --last-success (a day "
        "ago without it) from CRON_BUGZILLA_URL and update the bug associations; read the bugs "
        "with crash signatures whose summary, status or resolution changed and keep those. "
        "Example: jansky cron bugassociations --dry-run"
    )
    takes_run_time = True
    takes_last_success = True
    has_dry_run = True

    def run(self, **options: Any) -> None:
        settings = load_cron_jobs_settings()
        if not settings.bugzilla_url:
            self.say("bugassociations: off (set CRON_BUGZILLA_URL to a Bugzilla REST API)")
            return
        client = BugzillaClient(
            settings.bugzilla_url, settings.bugzilla_api_key, settings.bugzilla_timeout
        )
        since = options["last_success"] or options["run_time"] - datetime.timedelta(days=1)
        bugs = changed = 0
        seen: set[int] = set()
        for bug_id, signatures, info in client.changed_bugs(since.date()):
            if bug_id in seen:
                continue
            seen.add(bug_id)
            change = save_bug(bug_id, signatures, options["dry_run"], info)
            bugs += 1
            for name in sorted(change.added):
                self.say(f"bug {bug_id}: + {name}")
            for name in sorted(change.removed):
                self.say(f"bug {bug_id}: - {name}")
            changed += bool(change.added or change.removed)
        if not options["dry_run"]:
            METRICS.incr("bugassociations.bugs", bugs)
        verb = "would change" if options["dry_run"] else "changed"
        self.say(
            f"bugassociations: {bugs:,} bugs changed since {since:%Y-%m-%d}, {verb} the "
            f"links of {changed:,}"
        )
