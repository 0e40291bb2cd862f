"""Reprocessing: send crashes back through the processor (the reprocessing queue)."""

from __future__ import annotations

from typing import Any

from jansky.crashid import InvalidCrashId, parse_crash_id
from jansky.queue import REPROCESSING, make_body
from processor.rulesets import RULESET_NAMES
from webapp.api.declarations import Call, Endpoint, Param
from webapp.api.errors import ApiError, bad_request
from webapp.crashstats import backends
from webapp.crashstats.permissions import REPROCESS_CRASHES

MAX_CRASH_IDS = 1000


def queue_bodies(values: list[str]) -> list[str]:
    """Queue bodies for ``<id>[:<ruleset>]`` values; raises ApiError naming the first bad one."""
    if len(values) > MAX_CRASH_IDS:
        raise ApiError(
            f"Bad request: at most {MAX_CRASH_IDS:,} crash ids per request, got {len(values):,}"
        )
    bodies = []
    for value in values:
        text, _, ruleset = value.strip().partition(":")
        if ruleset and ruleset not in RULESET_NAMES:
            raise ApiError(
                f"Bad request: unknown ruleset {ruleset!r} for {text}; "
                f"use one of {', '.join(RULESET_NAMES)}"
            )
        try:
            bodies.append(make_body(parse_crash_id(text), ruleset or None))
        except InvalidCrashId as exc:
            raise bad_request(exc) from None
    return bodies


class Reprocessing(Endpoint):
    """Queue crashes for reprocessing.

    Form-encoded POST with `crash_ids` repeated; each may end in `:<ruleset>`
    (`regenerate_signature` only recomputes the signature). Answers `true` once every id is
    queued; nothing is queued when one id is invalid.
    """

    name = "Reprocessing"
    summary = "Queue crashes for reprocessing (POST)."
    methods = ("POST",)
    permission = REPROCESS_CRASHES
    parameters = (
        Param(
            "crash_ids",
            "list",
            required=True,
            doc=f"Crash ids, optionally <id>:<ruleset> with ruleset one of "
            f"{', '.join(RULESET_NAMES)}; at most {MAX_CRASH_IDS:,}.",
        ),
    )
    returns = "true"
    example = True

    def handle(self, call: Call) -> Any:
        backends.queue().publish(REPROCESSING, queue_bodies(call.params["crash_ids"]))
        return True
