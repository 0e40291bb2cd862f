"""Heal crashes whose missing symbols an upstream symbol server (SYMBOLS_URLS) now has."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from cronrun.commands import JobCommand
from cronrun.metrics import METRICS
from webapp.crashstats.permissions import ANONYMOUS_ACCESS
from webapp.crashstats.supersearch import search
from webapp.symbols.upstream import SymbolServer, look_upstream

DEFAULT_MODULES = 200
DEFAULT_RECHECK_HOURS = 6


class Command(JobCommand):
    help = (
        "Rank the modules that crashes of the last --days days (SYMBOLS_HEAL_DAYS) lacked "
        "symbols for, ask each upstream symbol server of SYMBOLS_URLS whether it has them now, "
        "and heal the crashes of every module found, as an upload would. A module is asked "
        "for again after --recheck-hours. Off while SYMBOLS_URLS is empty. "
        "Example: jansky cron upstreamsymbols --dry-run"
    )
    takes_run_time = True
    has_dry_run = True

    def add_job_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, help="days of crashes to read")
        parser.add_argument(
            "--modules",
            type=int,
            default=DEFAULT_MODULES,
            help=f"look for the N modules most crashes lack (default {DEFAULT_MODULES})",
        )
        parser.add_argument(
            "--recheck-hours",
            type=float,
            default=DEFAULT_RECHECK_HOURS,
            help="ask again for a module not found this many hours ago "
            f"(default {DEFAULT_RECHECK_HOURS})",
        )

    def run(self, **options: Any) -> None:
        urls = settings.JANSKY_CORE.symbols_urls
        if not urls:
            self.say("upstreamsymbols: off (SYMBOLS_URLS names no upstream symbol server)")
            return
        days = settings.JANSKY_SYMBOLS.heal_days if options["days"] is None else options["days"]
        if days < 1 or options["modules"] < 1 or options["recheck_hours"] < 0:
            raise ValueError("--days and --modules must be at least 1, --recheck-hours >= 0")
        outcome = look_upstream(
            lambda params: search(params, ANONYMOUS_ACCESS),
            [SymbolServer(url) for url in urls],
            days=days,
            limit=options["modules"],
            recheck=datetime.timedelta(hours=options["recheck_hours"]),
            dry_run=options["dry_run"],
            report=self.say,
        )
        for error in outcome.errors[:20]:
            self.say(f"  no answer: {error}")
        if not options["dry_run"]:
            METRICS.incr("upstreamsymbols.found", len(outcome.found))
        verb = "would heal" if options["dry_run"] else "healing"
        self.say(
            f"upstreamsymbols: {outcome.ranked:,} modules lack symbols in the last {days} days; "
            f"{outcome.skipped:,} skipped (in the store, healing, or checked lately), "
            f"{outcome.probed:,} looked for on {len(urls)} server(s), {len(outcome.found):,} "
            f"found ({verb} their crashes), {outcome.unanswered:,} unanswered"
        )
        if outcome.probed and outcome.unanswered == outcome.probed:
            raise CommandError("no upstream symbol server answered; see the lines above")
