"""Crash lists as pages show them: columns with sort links, cells with links, page links.

Super Search results and the signature report's Reports tab render the same table
(``crashstats/includes/crash_table.html``) from what :func:`crash_table` returns; the links
are built here from the page's own parameters, so a sorted or paged view is a URL to share.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.http import urlencode

from webapp.crashstats.templatetags.crashstats import crashdate

PER_PAGE = 50
MAX_RESULTS_WINDOW = 10_000  # Super Search's offset + number limit
DATE_FIELDS = frozenset({"date"})

UrlFor = Callable[[Mapping[str, list[str]]], str]


@dataclass(frozen=True)
class Cell:
    text: str
    url: str = ""


@dataclass(frozen=True)
class Header:
    name: str
    url: str
    sorted: str = ""  # "", "ascending" or "descending"


@dataclass(frozen=True)
class Page:
    number: int
    url: str
    current: bool = False


def with_params(params: Mapping[str, list[str]], **changes: list[str] | None) -> dict:
    """``params`` with some keys replaced (None removes the key)."""
    updated = {key: list(values) for key, values in params.items()}
    for key, values in changes.items():
        if values is None:
            updated.pop(key, None)
        else:
            updated[key] = values
    return updated


def query_string(params: Mapping[str, list[str]]) -> str:
    return urlencode([(key, value) for key, values in params.items() for value in values])


def report_url(crash_id: str) -> str:
    return reverse("report:index", args=[crash_id])


def signature_url(signature: str) -> str:
    return f"{reverse('signature:report')}?{urlencode({'signature': signature})}"


def cell(field: str, value: Any) -> Cell:
    if value is None:
        return Cell("")
    if isinstance(value, list):
        return Cell(", ".join(str(item) for item in value))
    if field == "uuid":
        return Cell(str(value), report_url(str(value)))
    if field == "signature":
        return Cell(str(value), signature_url(str(value)))
    if field in DATE_FIELDS:
        return Cell(crashdate(value))
    if isinstance(value, bool):
        return Cell("true" if value else "false")
    return Cell(str(value))


def sort_state(sort: Sequence[str], field: str) -> str:
    if not sort:
        return ""
    first = sort[0]
    if first == field:
        return "ascending"
    if first == f"-{field}":
        return "descending"
    return ""


def headers(
    columns: Sequence[str],
    params: Mapping[str, list[str]],
    url_for: UrlFor,
    sortable: set[str],
    sort: Sequence[str] = (),
) -> list[Header]:
    """Column headers; a click sorts by the column (descending first, then ascending).

    ``sort`` is the order in effect (the page's default when its URL names none).
    """
    found = []
    for name in columns:
        state = sort_state(sort, name)
        if name not in sortable:
            found.append(Header(name, "", state))
            continue
        next_sort = name if state == "descending" else f"-{name}"
        found.append(
            Header(name, url_for(with_params(params, _sort=[next_sort], page=None)), state)
        )
    return found


def crash_table(
    hits: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    params: Mapping[str, list[str]],
    url_for: UrlFor,
    sortable: set[str],
    sort: Sequence[str] = (),
) -> dict[str, Any]:
    """Headers and rows (crash id first) of a crash list."""
    shown = [column for column in columns if column != "uuid"]
    return {
        "headers": headers(shown, params, url_for, sortable, sort),
        "rows": [
            {
                "uuid": cell("uuid", hit.get("uuid")),
                "cells": [cell(column, hit.get(column)) for column in shown],
            }
            for hit in hits
        ],
    }


def current_page(params: Mapping[str, list[str]]) -> int:
    try:
        page = int((params.get("page") or ["1"])[0])
    except ValueError:
        return 1
    return min(max(page, 1), MAX_RESULTS_WINDOW // PER_PAGE)


def pagination(
    total: int, page: int, params: Mapping[str, list[str]], url_for: UrlFor, window: int = 3
) -> dict[str, Any]:
    """Links to the first, nearby and last pages (Super Search pages at most 10,000 hits)."""
    last = max(1, min(math.ceil(total / PER_PAGE), MAX_RESULTS_WINDOW // PER_PAGE))
    numbers = sorted({1, last, *range(max(1, page - window), min(last, page + window) + 1)} - {0})

    def link(number: int) -> str:
        return url_for(with_params(params, page=[str(number)]))

    return {
        "pages": [Page(number, link(number), number == page) for number in numbers],
        "previous": link(page - 1) if page > 1 else "",
        "next": link(page + 1) if page < last else "",
        "last": last,
        "truncated": total > MAX_RESULTS_WINDOW,
    }


@dataclass(frozen=True)
class FacetRow:
    rank: int
    term: str
    count: int
    percent: float
    bar: str  # a .w-NN class: bars are sized by class, never by a style attribute (CSP)
    url: str = ""


def bar_class(fraction: float) -> str:
    return f"w-{max(0, min(100, round(fraction * 20) * 5))}"


def exact_value(field: Any, term: Any) -> str:
    """The filter value that selects exactly ``term`` of ``field`` (a facet bucket's term)."""
    if field is None:
        return str(term)
    if field.validation_type == "bool":
        return "__true__" if str(term).upper() in {"T", "TRUE", "1"} else "!__true__"
    if field.validation_type == "str":
        return f"={term}"
    return str(term)


def facet_rows(
    buckets: Sequence[Mapping[str, Any]], total: int, url_for_term: Callable[[Any], str] | None
) -> list[FacetRow]:
    """Rank, term, count and share of each bucket of a terms facet."""
    rows = []
    for rank, bucket in enumerate(buckets, start=1):
        count = int(bucket.get("count") or 0)
        fraction = count / total if total else 0.0
        term = bucket.get("term")
        rows.append(
            FacetRow(
                rank=rank,
                term="" if term is None else str(term),
                count=count,
                percent=100 * fraction,
                bar=bar_class(fraction),
                url=url_for_term(term) if url_for_term else "",
            )
        )
    return rows
