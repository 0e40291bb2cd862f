"""The signature report's tabs as plain functions: parameters in, data for a template out.

Every tab searches with the page's filters, the signature forced to an exact match
(``signature==<sig>``), and the viewer's access: fields the viewer may not use are dropped by
the search bridge before the query, so no tab can show them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jansky.search import BadArgumentError, get_registry
from jansky.search.params import parse_params
from webapp.crashstats import filters, supersearch, tables
from webapp.crashstats.bugs import refs
from webapp.crashstats.models import BugAssociation, GraphicsDevice, Signature
from webapp.crashstats.permissions import VIEW_PII, Access

Params = Mapping[str, list[str]]

REPORT_COLUMNS = (
    "date",
    "product",
    "version",
    "build_id",
    "platform",
    "reason",
    "address",
    "install_time",
    "startup_crash",
)
ALWAYS_FETCHED = ("uuid", "cpu_info")
DEFAULT_SORT = ("-date",)
DEFAULT_AGGREGATION = "product"
DEFAULT_GRAPH = "product"
GRAPHED_TERMS = 4
UPTIME_RANGES = (
    (60, "< 1 min"),
    (300, "1-5 min"),
    (900, "5-15 min"),
    (3600, "15-60 min"),
    (None, "> 1 hour"),
)
STARTUP_WINDOW_SECONDS = 60
COMMENT_COLUMNS = ("uuid", "date", "user_comments", "useragent_locale")


class TabError(Exception):
    """A tab that cannot be shown: ``status`` and a message for the viewer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def base_query(signature: str, params: Params) -> dict[str, list[str]]:
    """The page's filters with the signature as an exact match."""
    registry = get_registry()
    query = {
        name: list(values)
        for name, values in params.items()
        if name in registry and name != "signature"
    }
    query["signature"] = [f"={signature}"]
    return query


def search_for_tab(query: Mapping[str, Any], access: Access) -> dict[str, Any]:
    try:
        return supersearch.search(query, access)
    except BadArgumentError as exc:
        raise TabError(400, str(exc)) from None


def date_range(params: Params) -> tuple[datetime, datetime]:
    """The date window the filters select (the last 7 days by default)."""
    registry = get_registry()
    dates = {"date": params.get("date", [])}
    parsed = parse_params(dates, registry)
    return parsed.date_from, parsed.date_to


def aggregatable(access: Access) -> list[str]:
    """Fields the viewer may aggregate on (terms), for the pickers."""
    return [
        f.name
        for f in filters.visible_fields(access)
        if f.aggregatable and f.validation_type != "datetime" and f.name != "signature"
    ]


def _rows(buckets: Sequence[Mapping[str, Any]], total: int) -> list[tables.FacetRow]:
    return tables.facet_rows(buckets, total, None)


# ---- Summary ---------------------------------------------------------------------------------


@dataclass
class Summary:
    total: int
    panels: dict[str, list[tables.FacetRow]]
    products: list[dict[str, Any]] = field(default_factory=list)
    uptime: list[tables.FacetRow] = field(default_factory=list)
    graphics: list[dict[str, Any]] = field(default_factory=list)
    devices: list[dict[str, Any]] = field(default_factory=list)
    badges: list[tuple[str, str]] = field(default_factory=list)  # (label, why)


def _uptime_rows(buckets: Sequence[Mapping[str, Any]], total: int) -> list[tables.FacetRow]:
    counts = [0] * len(UPTIME_RANGES)
    for bucket in buckets:
        start = float(bucket.get("term") or 0)
        for index, (limit, _) in enumerate(UPTIME_RANGES):
            if limit is None or start < limit:
                counts[index] += int(bucket.get("count") or 0)
                break
    labels = [label for _, label in UPTIME_RANGES]
    return _rows(
        [{"term": label, "count": count} for label, count in zip(labels, counts, strict=True)],
        total,
    )


def _graphics_rows(buckets: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    names = {
        (row.vendor_hex, row.adapter_hex): (row.vendor_name, row.adapter_name)
        for row in GraphicsDevice.objects.filter(vendor_hex__in=[str(b["term"]) for b in buckets])
    }
    rows = []
    for vendor in buckets:
        for device in vendor.get("facets", {}).get("adapter_device_id", []):
            vendor_name, device_name = names.get(
                (str(vendor["term"]), str(device["term"])), ("", "")
            )
            rows.append(
                {
                    "vendor": str(vendor["term"]),
                    "vendor_name": vendor_name or "",
                    "device": str(device["term"]),
                    "device_name": device_name or "",
                    "count": device["count"],
                }
            )
    return sorted(rows, key=lambda row: -row["count"])


def _device_rows(buckets: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for abi in buckets:
        for maker in abi.get("facets", {}).get("android_manufacturer", []):
            for model in maker.get("facets", {}).get("android_model", []):
                for version in model.get("facets", {}).get("android_version", []) or [model]:
                    rows.append(
                        {
                            "cpu_abi": abi["term"],
                            "manufacturer": maker["term"],
                            "model": model["term"],
                            "android_version": version["term"] if version is not model else "",
                            "count": version["count"],
                        }
                    )
    return sorted(rows, key=lambda row: -row["count"])


def _badges(summary: Summary, startup: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    total = summary.total
    if not total:
        return []
    badges = []
    in_startup = sum(int(b["count"]) for b in startup if str(b["term"]).upper() in {"T", "TRUE"})
    if in_startup == total:
        badges.append(("Startup Crash", "every crash happened during startup"))
    elif in_startup:
        badges.append(
            ("Potential Startup Crash", f"{in_startup:,} of {total:,} crashes during startup")
        )
    early = summary.uptime[0].count if summary.uptime else 0
    if early * 2 > total:
        badges.append(
            (
                "Startup Window Crash",
                f"more than half the crashes within {STARTUP_WINDOW_SECONDS} s of start",
            )
        )
    return badges


def summary(signature: str, params: Params, access: Access) -> Summary:
    query = base_query(signature, params)
    query.update(
        {
            "_results_number": ["0"],
            "_facets": [
                "platform_pretty_version",
                "cpu_arch",
                "process_type",
                "startup_crash",
                "_histogram.uptime",
            ],
            "_histogram_interval.uptime": ["60"],
            "_aggs.product.version": ["_cardinality.install_time"],
            "_aggs.adapter_vendor_id": ["adapter_device_id"],
            "_aggs.android_cpu_abi.android_manufacturer.android_model": ["android_version"],
            "_facets_size": ["50"],
        }
    )
    response = search_for_tab(query, access)
    facets = response.get("facets", {})
    total = response["total"]
    systems = facets.get("platform_pretty_version") or []
    if total and not systems:
        # Crashes without a pretty OS version (processors that do not make one): plain names.
        plain = {**base_query(signature, params), "_results_number": ["0"], "_facets": ["platform"]}
        systems = search_for_tab(plain, access).get("facets", {}).get("platform", [])
    result = Summary(
        total=total,
        panels={
            "Operating System": _rows(systems, total),
            "Architecture": _rows(facets.get("cpu_arch", []), total),
            "Process Type": _rows(facets.get("process_type", []), total),
        },
        uptime=_uptime_rows(facets.get("histogram_uptime", []), total),
        graphics=_graphics_rows(facets.get("adapter_vendor_id", [])),
        devices=_device_rows(facets.get("android_cpu_abi", [])),
    )
    for product in facets.get("product", []):
        for version in product.get("facets", {}).get("version", []):
            installs = version.get("facets", {}).get("cardinality_install_time", {})
            result.products.append(
                {
                    "product": product["term"],
                    "version": version["term"],
                    "count": version["count"],
                    "percent": 100 * version["count"] / total if total else 0,
                    "installs": installs.get("value") if isinstance(installs, Mapping) else None,
                }
            )
    result.products.sort(key=lambda row: -row["count"])
    result.badges = _badges(result, facets.get("startup_crash", []))
    return result


# ---- Reports ---------------------------------------------------------------------------------


def reports(
    signature: str, params: Params, access: Access, url_for: tables.UrlFor
) -> dict[str, Any]:
    """One page of the signature's crashes, with the viewer's columns and sort."""
    registry = get_registry()
    permitted = {f.name for f in filters.visible_fields(access)}
    columns = [
        name for name in params.get("_columns") or REPORT_COLUMNS if name in permitted
    ] or list(REPORT_COLUMNS)
    unknown = [name for name in columns if name not in registry]
    if unknown:
        raise TabError(400, f"Unknown field '{unknown[0]}'")
    page = tables.current_page(params)
    query = base_query(signature, params)
    query.update(
        {
            "_columns": [*ALWAYS_FETCHED, *[c for c in columns if c not in ALWAYS_FETCHED]],
            "_sort": list(params.get("_sort") or DEFAULT_SORT),
            "_results_number": [str(tables.PER_PAGE)],
            "_results_offset": [str((page - 1) * tables.PER_PAGE)],
            "_facets_size": ["0"],
        }
    )
    response = search_for_tab(query, access)
    sortable = {f.name for f in filters.visible_fields(access) if f.aggregatable}
    state = tables.with_params(params, tab=["reports"])
    return {
        "total": response["total"],
        "table": tables.crash_table(
            response["hits"], ["uuid", *columns], state, url_for, sortable, query["_sort"]
        ),
        "paging": tables.pagination(response["total"], page, state, url_for),
        "columns": columns,
        "all_columns": sorted(permitted),
    }


# ---- Aggregations and graphs --------------------------------------------------------------


def _check_field(name: str, access: Access) -> None:
    if name not in aggregatable(access):
        raise TabError(400, f"Cannot aggregate on field {name!r}: unknown, or not permitted")


def aggregation(signature: str, params: Params, access: Access, name: str) -> dict[str, Any]:
    _check_field(name, access)
    query = base_query(signature, params)
    query.update({"_results_number": ["0"], "_facets": [name], "_facets_size": ["50"]})
    response = search_for_tab(query, access)
    return {
        "field": name,
        "total": response["total"],
        "rows": _rows(response.get("facets", {}).get(name, []), response["total"]),
    }


def graph(signature: str, params: Params, access: Access, name: str) -> dict[str, Any]:
    """Crashes per day for the most common terms of ``name`` (what the chart draws)."""
    _check_field(name, access)
    query = base_query(signature, params)
    query.update(
        {
            "_results_number": ["0"],
            "_histogram.date": [name],
            "_facets": [name],
            "_facets_size": ["50"],
        }
    )
    response = search_for_tab(query, access)
    facets = response.get("facets", {})
    term_counts = facets.get(name, [])
    shown = [str(bucket["term"]) for bucket in term_counts[:GRAPHED_TERMS]]
    days = []
    for bucket in facets.get("histogram_date", []):
        counts = {str(b["term"]): b["count"] for b in bucket.get("facets", {}).get(name, [])}
        days.append(
            {
                "date": str(bucket["term"])[:10],
                "total": bucket["count"],
                "counts": [counts.get(term, 0) for term in shown],
            }
        )
    return {
        "aggregation": name,
        "total": response["total"],
        "terms": shown,
        "days": days,
        "not_showing": [
            {"term": str(b["term"]), "count": b["count"]} for b in term_counts[GRAPHED_TERMS:]
        ],
        "aggregates": facets.get("histogram_date", []),
        "term_counts": term_counts,
    }


# ---- Comments and bugs ---------------------------------------------------------------------


def comments(
    signature: str, params: Params, access: Access, url_for: tables.UrlFor
) -> dict[str, Any]:
    if not access.has(VIEW_PII):
        raise TabError(403, "Comments are protected data: they need the view_pii permission.")
    page = tables.current_page(params)
    query = base_query(signature, params)
    query.update(
        {
            "user_comments": ["!__null__"],
            "_columns": list(COMMENT_COLUMNS),
            "_sort": ["-date"],
            "_results_number": [str(tables.PER_PAGE)],
            "_results_offset": [str((page - 1) * tables.PER_PAGE)],
            "_facets_size": ["0"],
        }
    )
    response = search_for_tab(query, access)
    state = tables.with_params(params, tab=["comments"])
    return {
        "total": response["total"],
        "hits": response["hits"],
        "paging": tables.pagination(response["total"], page, state, url_for),
    }


def bugzilla(signature: str) -> dict[str, Any]:
    associations = BugAssociation.objects.get_bugs_and_related_bugs([signature])
    bugs = sorted({row.bug_id for row in associations if row.signature == signature}, reverse=True)
    related = sorted(
        {(row.bug_id, row.signature) for row in associations if row.signature != signature},
        key=lambda pair: (-pair[0], pair[1]),
    )
    known = {ref.bug_id: ref for ref in refs([*bugs, *(bug for bug, _ in related)])}
    return {
        "bugs": [known[bug] for bug in bugs],
        "related": [{"bug": known[b], "signature": s} for b, s in related],
    }


def first_appearance(signature: str) -> Signature | None:
    """When the signature was first seen (``updatesignatures`` cron job), if known."""
    return Signature.objects.filter(signature=signature).first()
