"""Symbols that appear upstream: heal crashes whose modules a symbol server now has.

Healing after an upload covers symbols sent to Jansky. Many deployments also read symbols from
upstream servers (SYMBOLS_URLS: Mozilla's, Microsoft's, a vendor's), where symbols for a module
often appear hours after its first crashes. The `upstreamsymbols` job ranks the modules recent
crashes lacked, asks each upstream server whether it has their symbol file now (a HEAD request
on ``<url>/<debug_file>/<debug_id>/<file>.sym``), and, for each module found, starts healing as
an upload does: a :class:`HealingJob` under a :class:`SymbolUpload` row with the status
"found upstream", so its progress shows on the uploads pages. The processor then fetches the
symbols from that server when it reprocesses the crashes.

A module is looked for again only after ``recheck`` has passed, and never once found; modules
in Jansky's own store, or already being healed, are left to their upload's healing.
"""

from __future__ import annotations

import datetime
import logging
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from jansky.symbols import missing
from jansky.symbols.layout import SymbolKey
from webapp.symbols.models import HealingJob, SymbolFile, SymbolUpload, UpstreamProbe
from webapp.symbols.uploads import HEAL_AFTER_UPLOAD

logger = logging.getLogger(__name__)
USER_AGENT = "jansky-cron (upstreamsymbols)"
PROBE_THREADS = 8
ABSENT_STATUSES = frozenset({403, 404, 410})  # S3-backed servers answer 403 for a missing key


class ProbeError(Exception):
    """A symbol server gave no clear answer (down, 5xx, a timeout): ask again next run."""


@dataclass(frozen=True)
class SymbolServer:
    """One upstream symbol server, in the Breakpad layout."""

    url: str
    timeout: float = 10.0

    def address(self, key: SymbolKey) -> str:
        return f"{self.url.rstrip('/')}/{urllib.parse.quote(key.path)}"

    def has(self, key: SymbolKey) -> bool:
        """Whether the server has ``key``'s symbol file (HEAD; GET when HEAD is refused)."""
        status = self._status(key, "HEAD")
        if status == 405:
            status = self._status(key, "GET")
        if 200 <= status < 300:
            return True
        if status in ABSENT_STATUSES:
            return False
        raise ProbeError(f"{self.address(key)} answered {status}")

    def _status(self, key: SymbolKey, method: str) -> int:
        request = urllib.request.Request(
            self.address(key), method=method, headers={"User-Agent": USER_AGENT}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status  # the body of a GET is left unread
        except urllib.error.HTTPError as exc:
            return exc.code
        except (urllib.error.URLError, OSError) as exc:
            raise ProbeError(f"{self.address(key)}: {exc}") from None


@dataclass
class Outcome:
    """What one run found."""

    ranked: int = 0  # modules lacking symbols in recent crashes
    probed: int = 0
    found: list[tuple[missing.MissingModule, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    unanswered: int = 0  # modules no server gave a clear answer about
    skipped: int = 0  # in the store, being healed, found before or checked recently


def _skipped_keys(keys: Sequence[SymbolKey], recheck_after: datetime.datetime) -> set[SymbolKey]:
    """The modules not to look for: in the store, being healed, found, or checked recently."""
    debug_files = {key.debug_file for key in keys}
    skipped = {
        row.key
        for row in UpstreamProbe.objects.filter(debug_file__in=debug_files)
        if row.found_url or row.checked > recheck_after
    }
    skipped |= {row.key for row in SymbolFile.objects.filter(debug_file__in=debug_files)}
    healing = HealingJob.objects.filter(debug_file__in=debug_files).exclude(state=HealingJob.DONE)
    skipped |= {job.key for job in healing}
    return skipped & set(keys)


def _probe(servers: Sequence[SymbolServer], key: SymbolKey) -> tuple[str, list[str]]:
    """The first server address that has ``key`` ("" when none), and the errors met."""
    errors = []
    for server in servers:
        try:
            if server.has(key):
                return server.address(key), errors
        except ProbeError as exc:
            errors.append(str(exc))
    return "", errors


def _start_healing(module: missing.MissingModule, url: str, heal_days: int) -> SymbolUpload:
    now = timezone.now()
    with transaction.atomic():
        found = SymbolUpload.objects.create(
            user=None, file_name=url[:255], size=0, status=SymbolUpload.UPSTREAM
        )
        HealingJob.objects.create(
            upload=found,
            debug_file=module.key.debug_file,
            debug_id=module.key.debug_id,
            since=now - datetime.timedelta(days=heal_days),
            until=now + HEAL_AFTER_UPLOAD,
        )
        UpstreamProbe.objects.update_or_create(
            debug_file=module.key.debug_file,
            debug_id=module.key.debug_id,
            defaults={"checked": now, "found_url": url[:2000]},
        )
    logger.info("event=symbols_found_upstream module=%s url=%s", module.key, url)
    return found


def _record_absent(key: SymbolKey) -> None:
    UpstreamProbe.objects.update_or_create(
        debug_file=key.debug_file,
        debug_id=key.debug_id,
        defaults={"checked": timezone.now(), "found_url": ""},
    )


def look_upstream(
    search: missing.Search,
    servers: Sequence[SymbolServer],
    *,
    days: int,
    limit: int,
    recheck: datetime.timedelta,
    dry_run: bool = False,
    report: Callable[[str], None] = lambda line: None,
) -> Outcome:
    """Look for the symbols of the ``limit`` modules that most crashes of the last ``days``
    days lacked, and heal the crashes of those found (unless ``dry_run``)."""
    modules, _crashes = missing.rank_recent(search, days, limit)
    outcome = Outcome(ranked=len(modules))
    skipped = _skipped_keys([module.key for module in modules], timezone.now() - recheck)
    wanted = [module for module in modules if module.key not in skipped]
    outcome.skipped = len(modules) - len(wanted)
    with ThreadPoolExecutor(PROBE_THREADS) as pool:
        answers = pool.map(lambda module: _probe(servers, module.key), wanted)
        for module, (url, errors) in zip(wanted, answers, strict=True):
            outcome.probed += 1
            outcome.errors += errors
            if url:
                outcome.found.append((module, url))
                report(f"{module.key}: found at {url} ({module.crashes:,} crashes lack it)")
                if not dry_run:
                    _start_healing(module, url, days)
            elif len(errors) == len(servers):  # not recorded: asked again next run
                outcome.unanswered += 1
            elif not dry_run:  # a server that failed is asked again after `recheck`
                _record_absent(module.key)
    return outcome
