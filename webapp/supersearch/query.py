"""The Super Search page's state: URL parameters <-> form, and running the search.

The page URL holds the same parameters as the API (``product=Firefox&signature=~OOM&
_facets=platform``), plus ``page``: that is what makes a search shareable. The form submits its
simple fields, builder rows (``_field``/``_op``/``_value``) and options; :func:`canonical_params`
turns that into the URL form, dropping what equals the defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.http import QueryDict
from django.urls import reverse

from jansky.search import BadArgumentError, get_registry
from jansky.search.params import parse_params
from webapp.crashstats import filters, supersearch, tables
from webapp.crashstats.bugs import bugs_by_signature
from webapp.crashstats.models import Platform
from webapp.crashstats.permissions import Access

SIMPLE_FIELDS = ("product", "version", "platform", "process_type")
PROCESS_TYPES = ("parent", "content", "gpu", "utility", "rdd", "socket", "plugin")
DEFAULT_COLUMNS = ("date", "signature", "product", "version", "build_id", "platform")
DEFAULT_FACETS = ("signature",)
DEFAULT_SORT = ("-date",)
META_LISTS = ("_columns", "_facets", "_sort")
DEFAULTS = {"_columns": DEFAULT_COLUMNS, "_facets": DEFAULT_FACETS, "_sort": DEFAULT_SORT}
PAGE_ONLY = ("page", "_dont_run")

Params = dict[str, list[str]]


def canonical_params(data: QueryDict) -> Params:
    """The URL parameters of a submitted search form."""
    params: Params = {}
    for name in SIMPLE_FIELDS:
        value = data.get(name, "").strip()
        if value:
            params[name] = [value]
    for name, values in filters.params_from_rows(filters.rows_from_form(data)).items():
        params.setdefault(name, []).extend(values)
    for name in META_LISTS:
        chosen = [value for value in data.getlist(name) if value]
        # A multiple select sends its options in page order: the defaults in another order
        # are still the defaults.
        if chosen and sorted(chosen) != sorted(DEFAULTS[name]):
            params[name] = chosen
    size = data.get("_facets_size", "").strip()
    if size and size != "50":
        params["_facets_size"] = [size]
    return params


def filter_params(params: Mapping[str, list[str]]) -> Params:
    """The filters of ``params`` (fields of the registry), without paging or options."""
    registry = get_registry()
    return {name: list(values) for name, values in params.items() if name in registry}


def has_filters(params: Mapping[str, list[str]]) -> bool:
    return any(value for values in filter_params(params).values() for value in values)


def query_params(params: Mapping[str, list[str]], page: int) -> Params:
    """What the search sends to Super Search for one results page."""
    query = filter_params(params)
    columns = params.get("_columns") or list(DEFAULT_COLUMNS)
    query["_columns"] = ["uuid", *[column for column in columns if column != "uuid"]]
    query["_facets"] = params.get("_facets") or list(DEFAULT_FACETS)
    query["_sort"] = params.get("_sort") or list(DEFAULT_SORT)
    if params.get("_facets_size"):
        query["_facets_size"] = params["_facets_size"][:1]
    query["_results_number"] = [str(tables.PER_PAGE)]
    query["_results_offset"] = [str((page - 1) * tables.PER_PAGE)]
    return query


def api_params(params: Mapping[str, list[str]]) -> Params:
    """The same search as an API call (what the page shows to copy)."""
    return {name: list(values) for name, values in params.items() if name not in PAGE_ONLY}


def search_url(params: Mapping[str, list[str]]) -> str:
    text = tables.query_string(params)
    return f"{reverse('supersearch:search')}?{text}" if text else reverse("supersearch:search")


@dataclass
class FormState:
    """What the form shows: simple fields, builder rows (with their operators) and options."""

    simple: dict[str, str]
    rows: list[dict[str, Any]]
    columns: list[str]
    facets: list[str]
    sort: list[str]
    facets_size: str
    selects: list[dict[str, Any]] = field(default_factory=list)  # the simple row's menus


def form_state(params: Mapping[str, list[str]], access: Access, products: list[str]) -> FormState:
    registry = get_registry()
    simple: dict[str, str] = {}
    for name in SIMPLE_FIELDS:
        values = params.get(name, [])
        if len(values) == 1 and filters.split_value(registry.get(name), values[0])[0] == "":
            simple[name] = values[0]
    rows = filters.rows_from_params(params, access, exclude=simple)
    return FormState(
        simple=simple,
        rows=[filters.row_context(row) for row in rows],
        columns=list(params.get("_columns") or DEFAULT_COLUMNS),
        facets=list(params.get("_facets") or DEFAULT_FACETS),
        sort=list(params.get("_sort") or DEFAULT_SORT),
        facets_size=(params.get("_facets_size") or ["50"])[0],
        selects=[
            _select(name, label, choices, simple.get(name, ""))
            for name, label, choices in (
                ("product", "Product", products),
                ("platform", "Platform", Platform.objects.values_list("name", flat=True)),
                ("process_type", "Process type", PROCESS_TYPES),
            )
        ],
    )


def _select(name: str, label: str, choices: Any, value: str) -> dict[str, Any]:
    """A menu of the simple row; a value from the URL that is not a choice is kept."""
    listed = sorted(choices) if name == "platform" else list(choices)
    if value and value not in listed:
        listed.append(value)
    return {"name": name, "label": label, "choices": listed, "value": value}


@dataclass
class Results:
    """One page of results with its facets, or the reason there are none."""

    total: int = 0
    table: dict[str, Any] = field(default_factory=dict)
    paging: dict[str, Any] = field(default_factory=dict)
    facets: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""
    date_from: datetime | None = None
    date_to: datetime | None = None


def _term_linker(params: Mapping[str, list[str]], name: str) -> Any:
    """Links of a facet's terms: the signature report, or this search narrowed to the term."""
    facet_field = get_registry().get(name)

    def term_url(term: Any) -> str:
        if name == "signature":
            narrowed = tables.with_params(filter_params(params), signature=[str(term)])
            return f"{reverse('signature:report')}?{tables.query_string(narrowed)}"
        narrowed = tables.with_params(params, page=None)
        narrowed.setdefault(name, []).append(tables.exact_value(facet_field, term))
        return search_url(narrowed)

    return term_url


def run(params: Mapping[str, list[str]], access: Access) -> Results:
    """Run the search of the page URL ``params``; BadArgumentError becomes ``error``."""
    registry = get_registry()
    page = tables.current_page(params)
    query = query_params(params, page)
    try:
        parsed = parse_params(query, registry)
        response = supersearch.search(query, access)
    except BadArgumentError as exc:
        return Results(error=str(exc))
    total = response["total"]
    sortable = {f.name for f in filters.visible_fields(access) if f.aggregatable}
    results = Results(
        total=total,
        table=tables.crash_table(
            response["hits"], query["_columns"], params, search_url, sortable, query["_sort"]
        ),
        paging=tables.pagination(total, page, params, search_url),
        date_from=parsed.date_from,
        date_to=parsed.date_to,
    )
    for name, buckets in response.get("facets", {}).items():
        if not isinstance(buckets, list):
            continue
        facet_field = registry.get(name)
        results.facets.append(
            {
                "name": name,
                "rows": tables.facet_rows(
                    buckets, total, _term_linker(params, name) if facet_field else None
                ),
                "bugs": bugs_by_signature([str(b.get("term")) for b in buckets])
                if name == "signature"
                else None,
            }
        )
    return results
