"""MissingSymbols: modules ranked by the crashes that lacked their symbols."""

from __future__ import annotations

from typing import Any

from jansky.symbols.missing import rank_recent
from webapp.api.declarations import Call, Endpoint, Param
from webapp.api.errors import ApiError
from webapp.crashstats.permissions import ANONYMOUS_ACCESS
from webapp.crashstats.supersearch import search

MAX_DAYS = 365
MAX_LIMIT = 10_000


class MissingSymbols(Endpoint):
    """Modules whose symbols the stackwalker did not find, ranked by the number of crashes of
    the period that lacked them: the symbols worth uploading first. `/symbols/missing.csv`
    gives the same list in the `debug_file,debug_id,code_file,code_id` CSV that symbol-upload
    scripts read."""

    name = "MissingSymbols"
    summary = "Modules ranked by the crashes that lacked their symbols."
    parameters = (
        Param("days", "int", default=7, doc=f"Crashes of the last this many days (1-{MAX_DAYS})."),
        Param("product", doc="Only crashes of this product."),
        Param("limit", "int", default=100, doc=f"Most modules listed (1-{MAX_LIMIT:,})."),
    )
    returns = (
        '{"hits": [{"debug_file", "debug_id", "code_file", "code_id", "crashes"}], '
        '"total": modules listed, "crashes": crashes that lacked any symbols}'
    )
    example = {
        "hits": [
            {
                "debug_file": "test_app.pdb",
                "debug_id": "5A9832E5287241C1838ED98914E9B7FF1",
                "code_file": "test_app.exe",
                "code_id": "45d35f6c2d000",
                "crashes": 12,
            }
        ],
        "total": 1,
        "crashes": 12,
    }
    cache_seconds = 60

    def handle(self, call: Call) -> Any:
        days, limit = call.params["days"], call.params["limit"]
        if not 1 <= days <= MAX_DAYS:
            raise ApiError(f"Bad request: days must be 1 to {MAX_DAYS}")
        if not 1 <= limit <= MAX_LIMIT:
            raise ApiError(f"Bad request: limit must be 1 to {MAX_LIMIT:,}")
        modules, crashes = rank_recent(
            lambda params: search(params, ANONYMOUS_ACCESS),
            days,
            limit,
            (call.params["product"] or "").strip(),
        )
        return {
            "hits": [module.as_dict() for module in modules],
            "total": len(modules),
            "crashes": crashes,
        }
