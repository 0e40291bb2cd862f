"""Mark the recorded missing crashes that are now processed and searchable."""

from __future__ import annotations

from typing import Any

from cronrun.commands import JobCommand
from cronrun.metrics import METRICS
from cronrun.progress import Progress
from cronrun.tasks.missing import mark_processed, processed_now, unprocessed_batches
from webapp.crashstats import backends


class Command(JobCommand):
    help = (
        "Mark MissingProcessedCrash rows processed once their crash has a processed crash "
        "and is in search. Example: jansky cron updatemissing"
    )

    def run(self, **options: Any) -> None:
        storage, search = backends.storage(), backends.search()
        progress = Progress("updatemissing", self.stdout, ("crashes", "processed"))
        still_missing = 0
        for batch in unprocessed_batches():
            done = processed_now(storage, search, batch)
            mark_processed(done)
            for crash_id in batch:
                if crash_id not in done:
                    self.say(f"still missing: {crash_id}")
                    still_missing += 1
            progress.add(crashes=len(batch), processed=len(done))
        progress.report()
        METRICS.gauge("updatemissing.still_missing", still_missing)
        self.say(
            f"updatemissing: {progress.counts['processed']:,} crashes processed since found "
            f"missing, {still_missing:,} still missing"
        )
