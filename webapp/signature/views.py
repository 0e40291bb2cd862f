"""Signature report views: the page (with its first tab rendered), each tab as an HTML
fragment (what the page's script swaps in) and the graph data as JSON.

The page URL holds the signature, the filters, the tab and the tab's own choices (page,
columns, sort, field), so every view of a signature is a link to share; tab links work
without JavaScript by loading the whole page with that tab.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from jansky.search import BadArgumentError, SearchError
from webapp.crashstats import filters, tables
from webapp.crashstats.pages import error_page, json_view
from webapp.crashstats.permissions import VIEW_PII, Access, access_for
from webapp.crashstats.responses import json_response
from webapp.signature import correlations, tabs

TABS = ("summary", "aggregations", "reports", "graphs", "correlations", "comments", "bugzilla")
TAB_LABELS = {
    "summary": "Summary",
    "aggregations": "Aggregations",
    "reports": "Reports",
    "graphs": "Graphs",
    "correlations": "Correlations",
    "comments": "Comments",
    "bugzilla": "Bugzilla",
}
PAGE_STATE = ("tab", "page", "field", "_columns", "_sort")
DATE_FROM, DATE_TO = "date_from", "date_to"

Params = dict[str, list[str]]


def _signature(request: HttpRequest) -> str | HttpResponse:
    values = request.GET.getlist("signature")
    if len(values) != 1 or not values[0].strip():
        return error_page(request, 400, "Give exactly one signature: ?signature=<signature>.")
    if "\x00" in values[0]:
        return error_page(request, 400, "The signature contains a NUL character.")
    return values[0]


def shell_url(params: Params) -> str:
    return f"{reverse('signature:report')}?{tables.query_string(params)}"


def _filters_only(params: Params) -> Params:
    return {key: values for key, values in params.items() if key not in PAGE_STATE}


def canonical_params(request: HttpRequest, signature: str) -> Params:
    """The URL of a submitted filter form: signature, date bounds, builder rows, tab."""
    data = request.GET
    params: Params = {"signature": [signature]}
    dates = []
    if data.get(DATE_FROM):
        dates.append(f">={data[DATE_FROM]}")
    if data.get(DATE_TO):
        try:
            end = datetime.date.fromisoformat(data[DATE_TO]) + datetime.timedelta(days=1)
            dates.append(f"<{end.isoformat()}")
        except ValueError:
            dates.append(f"<={data[DATE_TO]}")
    if dates:
        params["date"] = dates
    for name, values in filters.params_from_rows(filters.rows_from_form(data)).items():
        if name not in {"signature", "date"}:
            params.setdefault(name, []).extend(values)
    if data.get("tab") in TABS:
        params["tab"] = [data["tab"]]
    return params


def _visible_tabs(access: Access) -> list[str]:
    return [name for name in TABS if name != "comments" or access.has(VIEW_PII)]


def render_tab(
    request: HttpRequest, name: str, signature: str, params: Params, field: str | None = None
) -> tuple[str, dict[str, Any]]:
    """The template and context of one tab; raises tabs.TabError."""
    access = access_for(request)
    if name == "summary":
        return "signature/tabs/summary.html", {"summary": tabs.summary(signature, params, access)}
    if name == "reports":
        return "signature/tabs/reports.html", {
            "reports": tabs.reports(signature, params, access, shell_url)
        }
    if name == "aggregations":
        chosen = field or (params.get("field") or [tabs.DEFAULT_AGGREGATION])[0]
        return "signature/tabs/aggregations.html", {
            "aggregation": tabs.aggregation(signature, params, access, chosen),
            "fields": tabs.aggregatable(access),
        }
    if name == "graphs":
        chosen = field or (params.get("field") or [tabs.DEFAULT_GRAPH])[0]
        return "signature/tabs/graphs.html", {
            "graph": tabs.graph(signature, params, access, chosen),
            "fields": tabs.aggregatable(access),
        }
    if name == "correlations":
        return "signature/tabs/correlations.html", {
            "correlations": correlations.correlations(signature, params, access)
        }
    if name == "comments":
        return "signature/tabs/comments.html", {
            "comments": tabs.comments(signature, params, access, shell_url)
        }
    return "signature/tabs/bugzilla.html", {"bugzilla": tabs.bugzilla(signature)}


def _tab_links(params: Params, access: Access) -> list[dict[str, str]]:
    base = _filters_only(params)
    return [
        {"name": name, "label": TAB_LABELS[name], "url": shell_url({**base, "tab": [name]})}
        for name in _visible_tabs(access)
    ]


def _handle(request: HttpRequest, render_it: Callable[[], HttpResponse]) -> HttpResponse:
    try:
        return render_it()
    except tabs.TabError as exc:
        return error_page(request, exc.status, exc.message)
    except SearchError:
        return error_page(request, 503, "The search backend did not answer; try again.")


@require_GET
def signature_report(request: HttpRequest) -> HttpResponse:
    signature = _signature(request)
    if isinstance(signature, HttpResponse):
        return signature
    if filters.FORM_MARKER in request.GET:
        return redirect(shell_url(canonical_params(request, signature)))
    params = dict(request.GET.lists())
    access = access_for(request)
    tab = (params.get("tab") or ["summary"])[0]
    if tab not in _visible_tabs(access):
        tab = "summary"

    def page() -> HttpResponse:
        try:
            date_from, date_to = tabs.date_range(params)
        except BadArgumentError as exc:
            raise tabs.TabError(400, str(exc)) from None
        template, tab_context = render_tab(request, tab, signature, params)
        context = {
            "signature": signature,
            "tab": tab,
            "tab_template": template,
            "tab_links": _tab_links(params, access),
            "date_from": date_from,
            "date_to": date_to,
            "first_appearance": tabs.first_appearance(signature),
            "rows": [
                filters.row_context(row)
                for row in filters.rows_from_params(params, access, exclude=("signature", "date"))
            ],
            "empty_row": filters.row_context(filters.EMPTY_ROW),
            "all_fields": [
                f.name
                for f in filters.visible_fields(access)
                if f.name not in ("signature", "date")
            ],
            "builder_fields": filters.builder_spec(access, exclude=("signature", "date")),
            "search_url": f"{reverse('supersearch:search')}?"
            f"{tables.query_string({**_filters_only(params), 'signature': [f'={signature}']})}",
            **tab_context,
        }
        return render(request, "signature/report.html", context)

    return _handle(request, page)


@require_GET
def tab(request: HttpRequest, name: str, field: str | None = None) -> HttpResponse:
    """One tab as an HTML fragment."""
    signature = _signature(request)
    if isinstance(signature, HttpResponse):
        return signature
    params = dict(request.GET.lists())

    def fragment() -> HttpResponse:
        template, context = render_tab(request, name, signature, params, field)
        return render(request, template, {"signature": signature, **context})

    return _handle(request, fragment)


@json_view
@require_GET
def graph_data(request: HttpRequest, field: str) -> HttpResponse:
    """Crashes per day for the top terms of ``field``, as JSON."""
    signature = _signature(request)
    if isinstance(signature, HttpResponse):
        return signature

    def answer() -> HttpResponse:
        data = tabs.graph(signature, dict(request.GET.lists()), access_for(request), field)
        return json_response(
            {key: data[key] for key in ("aggregation", "aggregates", "term_counts", "total")}
        )

    return _handle(request, answer)
