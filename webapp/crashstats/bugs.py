"""Bugs as pages show them: the bug ids that name signatures, with what Bugzilla last said.

`bugassociations` keeps each bug's summary, status and resolution (``Bug``); pages link a bug
with them as its title and strike resolved bugs through. A bug the job has not read yet is a
plain link.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from webapp.crashstats.models import Bug, BugAssociation

RESOLVED_STATUSES = frozenset({"RESOLVED", "VERIFIED", "CLOSED"})


@dataclass(frozen=True)
class BugRef:
    """A bug id and, when known, its state."""

    bug_id: int
    status: str = ""
    resolution: str = ""
    summary: str = ""

    def __int__(self) -> int:
        return self.bug_id

    def __str__(self) -> str:
        return str(self.bug_id)

    @property
    def resolved(self) -> bool:
        return self.status.upper() in RESOLVED_STATUSES

    @property
    def title(self) -> str:
        state = " ".join(part for part in (self.status, self.resolution) if part)
        return f"{state}: {self.summary}" if state and self.summary else state or self.summary


def refs(bug_ids: Iterable[int]) -> list[BugRef]:
    """``bug_ids`` in their order, each with its state (one query)."""
    ids = list(dict.fromkeys(int(bug_id) for bug_id in bug_ids))
    known = {bug.bug_id: bug for bug in Bug.objects.filter(bug_id__in=ids)}
    return [
        BugRef(bug_id, known[bug_id].status, known[bug_id].resolution, known[bug_id].summary)
        if bug_id in known
        else BugRef(bug_id)
        for bug_id in ids
    ]


def bugs_by_signature(signatures: Iterable[str]) -> dict[str, list[BugRef]]:
    """The bugs naming each of ``signatures``, newest first (two queries in all)."""
    pairs = list(
        BugAssociation.objects.filter(signature__in=list(signatures))
        .order_by("-bug_id")
        .values_list("bug_id", "signature")
    )
    by_id = {ref.bug_id: ref for ref in refs(bug_id for bug_id, _ in pairs)}
    found: dict[str, list[BugRef]] = {}
    for bug_id, signature in pairs:
        found.setdefault(signature, []).append(by_id[bug_id])
    return found
