"""MissingProcessedCrash: crashes the verifyprocessed job found stored but never processed."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from webapp.api.declarations import Call, Endpoint, Param
from webapp.api.errors import ApiError
from webapp.crashstats.models import MissingProcessedCrash as MissingRow

PAGE_SIZE = 1000


class MissingProcessedCrash(Endpoint):
    """Crashes found in storage without a processed crash or search entry, 1,000 per page."""

    name = "MissingProcessedCrash"
    summary = "Crashes stored but not processed, as found by the verifyprocessed job."
    parameters = (Param("page", "int", default=1, doc="Page number, from 1."),)
    returns = (
        '{"results": [{"crash_id", "is_processed": bool, "created": ISO date}], "count", '
        '"next": URL or null, "previous": URL or null}'
    )
    example = {
        "results": [
            {
                "crash_id": "de1bb258-cbbf-4589-a673-34f800160918",
                "is_processed": False,
                "created": "2024-10-02T04:00:00+00:00",
            }
        ],
        "count": 1,
        "next": None,
        "previous": None,
    }

    def handle(self, call: Call) -> Any:
        page = call.params["page"]
        count = MissingRow.objects.count()
        last_page = max(1, -(-count // PAGE_SIZE))
        if not 1 <= page <= last_page:
            raise ApiError("Invalid page.", 404)
        start = (page - 1) * PAGE_SIZE
        rows = MissingRow.objects.order_by("id").values("crash_id", "is_processed", "created")
        base = call.request.build_absolute_uri(call.request.path)

        def link(number: int) -> str | None:
            return f"{base}?{urlencode({'page': number})}" if 1 <= number <= last_page else None

        return {
            "results": list(rows[start : start + PAGE_SIZE]),
            "count": count,
            "next": link(page + 1),
            "previous": link(page - 1),
        }
