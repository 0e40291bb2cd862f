"""Signatures and bugs: SignatureFirstDate, Bugs, SignaturesByBugs and CrashSignature."""

from __future__ import annotations

import json
from typing import Any

from webapp.api.declarations import Call, Endpoint, Param
from webapp.api.errors import ApiError
from webapp.crashstats.models import BugAssociation, Signature
from webapp.crashstats.signatures import signature_generator

MAX_JOBS = 100
BUG_HITS_EXAMPLE = {"hits": [{"id": 1234567, "signature": "OOM | small"}], "total": 1}


def bug_hits(associations: Any) -> dict[str, Any]:
    hits = [
        {"id": bug_id, "signature": signature}
        for bug_id, signature in associations.order_by("bug_id", "signature").values_list(
            "bug_id", "signature"
        )
    ]
    return {"hits": hits, "total": len(hits)}


class SignatureFirstDate(Endpoint):
    """When, and in which build, each signature was first seen."""

    name = "SignatureFirstDate"
    summary = "First date and build of signatures."
    parameters = (Param("signatures", "list", required=True, doc="Signatures (repeat)."),)
    returns = '{"hits": [{"signature", "first_build": str, "first_date": ISO date}], "total"}'
    example = {
        "hits": [
            {
                "signature": "OOM | small",
                "first_build": "20240901093012",
                "first_date": "2024-09-02T10:00:00+00:00",
            }
        ],
        "total": 1,
    }
    cache_seconds = 300

    def handle(self, call: Call) -> Any:
        rows = Signature.objects.filter(signature__in=call.params["signatures"]).order_by(
            "signature"
        )
        hits = [
            {
                "signature": row.signature,
                "first_build": None if row.first_build is None else str(row.first_build),
                "first_date": row.first_date,
            }
            for row in rows
        ]
        return {"hits": hits, "total": len(hits)}


class Bugs(Endpoint):
    """Bugs filed for signatures, with the other signatures those bugs name."""

    name = "Bugs"
    summary = "Bug ids of signatures, and the related signatures of those bugs."
    methods = ("GET", "POST")
    parameters = (Param("signatures", "list", required=True, doc="Signatures (repeat)."),)
    returns = '{"hits": [{"id": bug id, "signature"}], "total"} ordered by id, signature'
    example = BUG_HITS_EXAMPLE
    cache_seconds = 300

    def handle(self, call: Call) -> Any:
        return bug_hits(BugAssociation.objects.get_bugs_and_related_bugs(call.params["signatures"]))


class SignaturesByBugs(Endpoint):
    """The signatures each bug names."""

    name = "SignaturesByBugs"
    summary = "Signatures of bug ids."
    parameters = (Param("bug_ids", "int_list", required=True, doc="Bug ids (repeat)."),)
    returns = '{"hits": [{"id": bug id, "signature"}], "total"}'
    example = BUG_HITS_EXAMPLE
    cache_seconds = 300

    def handle(self, call: Call) -> Any:
        return bug_hits(BugAssociation.objects.filter(bug_id__in=call.params["bug_ids"]))


class CrashSignature(Endpoint):
    """Signature generation over crash data sent as JSON (unstable, as in Socorro).

    POST `application/json` `{"jobs": [<crash data>...]}`; each job is the signature
    generator's crash-data object or a processed crash.
    """

    name = "CrashSignature"
    summary = "Generate signatures for crash data (POST JSON)."
    methods = ("POST",)
    returns = '{"results": [{"signature", "notes": [...], "extra": {...}}]}'
    example = {"results": [{"signature": "OOM | small", "notes": [], "extra": {}}]}

    def handle(self, call: Call) -> Any:
        try:
            body = json.loads(call.request.body or b"{}")
        except ValueError as exc:
            raise ApiError(f"Bad request: the body is not JSON: {exc}") from None
        jobs = body.get("jobs") if isinstance(body, dict) else None
        if not jobs or not isinstance(jobs, list):
            raise ApiError("no jobs specified")
        if len(jobs) > MAX_JOBS:
            raise ApiError(f"Bad request: at most {MAX_JOBS} jobs per request")
        generator = signature_generator()
        results = []
        for job in jobs:
            result = generator.generate(job)
            results.append(
                {"signature": result.signature, "notes": result.notes, "extra": result.extra}
            )
        return {"results": results}
