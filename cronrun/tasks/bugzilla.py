"""Which Bugzilla bugs name which crash signatures, from a Bugzilla-compatible REST API.

Bugs list their signatures in the ``cf_crash_signature`` field as ``[@ signature]`` items.
Each run reads the bugs created, or whose signature field, summary, status or resolution
changed, since the last success; it replaces each bug's links with what the field says now
(none when it was emptied) and keeps its summary, status and resolution for the pages (not for
bugs in a security group).
"""

from __future__ import annotations

import datetime
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from webapp.crashstats.models import Bug, BugAssociation

PAGE_SIZE = 1000
# A bug with crash signatures is read again when one of these changes (Bugzilla ORs repeated
# chfield values).
STATE_FIELDS = ("short_desc", "bug_status", "resolution")
INCLUDED_FIELDS = "id,cf_crash_signature,summary,status,resolution,groups"
USER_AGENT = "jansky-cron (bugassociations)"


class BugzillaError(Exception):
    """Bugzilla did not answer, or not with bugs."""


def find_signatures(text: str | None) -> set[str]:
    """The signatures of a crash-signature field: what lies between each ``[@`` and the last
    ``]`` before the next one (signatures may hold brackets themselves)."""
    found = set()
    for part in (text or "").split("[@")[1:]:
        end = part.rfind("]")
        if end != -1 and (signature := part[:end].strip()):
            found.add(signature)
    return found


@dataclass(frozen=True)
class BugzillaClient:
    url: str  # the REST API's base, e.g. https://bugzilla.mozilla.org/rest
    api_key: str = ""
    timeout: float = 30.0

    def _get(self, path: str, params: list[tuple[str, str]]) -> Any:
        address = f"{self.url}/{path}?{urllib.parse.urlencode(params)}"
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if self.api_key:
            headers["X-BUGZILLA-API-KEY"] = self.api_key
        request = urllib.request.Request(address, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode("utf-8", "replace")
            raise BugzillaError(f"{self.url}/{path} answered {exc.code}: {detail}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise BugzillaError(f"cannot reach Bugzilla at {self.url}: {exc}") from exc
        try:
            return json.loads(body)
        except ValueError as exc:
            raise BugzillaError(f"{self.url}/{path} did not answer JSON: {exc}") from exc

    def changed_bugs(self, since: datetime.date) -> Iterator[tuple[int, set[str], BugInfo]]:
        """``(bug id, signatures, info)`` of every bug created or whose crash signatures
        changed since ``since``, then of every bug with crash signatures whose summary, status
        or resolution changed (a bug may come twice), a page at a time."""
        window = [("chfieldfrom", since.isoformat()), ("chfieldto", "Now")]
        yield from self._search(
            [*window, ("chfield", "[Bug creation]"), ("chfield", "cf_crash_signature")]
        )
        yield from self._search(
            [
                *window,
                *(("chfield", name) for name in STATE_FIELDS),
                ("f1", "cf_crash_signature"),
                ("o1", "isnotempty"),
            ]
        )

    def _search(self, criteria: list[tuple[str, str]]) -> Iterator[tuple[int, set[str], BugInfo]]:
        offset = 0
        while True:
            params = [
                *criteria,
                ("include_fields", INCLUDED_FIELDS),
                ("limit", str(PAGE_SIZE)),
                ("offset", str(offset)),
            ]
            answer = self._get("bug", params)
            bugs = answer.get("bugs") if isinstance(answer, dict) else None
            if not isinstance(bugs, list):
                raise BugzillaError(
                    f"{self.url}/bug answered without a list of bugs: {answer!r:.200}"
                )
            for bug in bugs:
                yield int(bug["id"]), find_signatures(bug.get("cf_crash_signature")), bug_info(bug)
            if len(bugs) < PAGE_SIZE:
                return
            offset += len(bugs)


@dataclass(frozen=True)
class BugInfo:
    summary: str
    status: str
    resolution: str
    restricted: bool  # in a security group: nothing of it is kept


def bug_info(bug: dict[str, Any]) -> BugInfo:
    def text(name: str, limit: int) -> str:
        value = bug.get(name)
        return value[:limit] if isinstance(value, str) else ""

    return BugInfo(
        text("summary", 1000), text("status", 40), text("resolution", 40), bool(bug.get("groups"))
    )


@dataclass(frozen=True)
class BugChange:
    bug_id: int
    added: frozenset[str]
    removed: frozenset[str]


@transaction.atomic
def save_bug(
    bug_id: int, signatures: set[str], dry_run: bool, info: BugInfo | None = None
) -> BugChange:
    """Make the bug's links exactly ``signatures``, and keep what ``info`` says of it."""
    known = set(BugAssociation.objects.filter(bug_id=bug_id).values_list("signature", flat=True))
    change = BugChange(bug_id, frozenset(signatures - known), frozenset(known - signatures))
    if not dry_run:
        BugAssociation.objects.filter(bug_id=bug_id, signature__in=change.removed).delete()
        BugAssociation.objects.bulk_create(
            [BugAssociation(bug_id=bug_id, signature=name) for name in sorted(change.added)],
            ignore_conflicts=True,
        )
        if info is None or info.restricted or not signatures:
            Bug.objects.filter(bug_id=bug_id).delete()
        else:
            Bug.objects.update_or_create(
                bug_id=bug_id,
                defaults={
                    "summary": info.summary,
                    "status": info.status,
                    "resolution": info.resolution,
                },
            )
    return change
