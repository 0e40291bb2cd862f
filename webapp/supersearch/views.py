"""Super Search pages: the form and results (/search/), the results fragment, the builder's
field list and the header's quick search."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from jansky.crashid import InvalidCrashId, parse_crash_id
from jansky.search import SearchError
from webapp.crashstats import filters, products, tables
from webapp.crashstats.pages import json_view
from webapp.crashstats.permissions import RUN_CUSTOM_QUERIES, access_for
from webapp.crashstats.responses import json_response
from webapp.crashstats.views import ratelimited
from webapp.supersearch import query
from webapp.supersearch.limits import over_limit

FACET_SIZES = ("10", "50", "100", "200", "500")


def _results_context(request: HttpRequest, params: query.Params) -> tuple[dict, int]:
    """The results part of the page, and the status it answers with."""
    try:
        results = query.run(params, access_for(request))
    except SearchError:
        return {
            "results": query.Results(error="The search backend did not answer; try again.")
        }, 503
    api_query = tables.query_string(query.api_params(params))
    context = {
        "results": results,
        "api_url": f"{reverse('api:endpoint', args=['SuperSearch'])}?{api_query}",
    }
    if access_for(request).has(RUN_CUSTOM_QUERIES):
        context["custom_url"] = f"{reverse('supersearch:custom')}?{api_query}"
    return context, 400 if results.error else 200


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    if filters.FORM_MARKER in request.GET:
        return redirect(query.search_url(query.canonical_params(request.GET)))
    params = dict(request.GET.lists())
    access = access_for(request)
    catalogue = products.catalogue()
    visible = filters.visible_fields(access)
    product = (params.get("product") or [""])[0]
    context = {
        "form": query.form_state(params, access, list(catalogue.products)),
        "builder_fields": filters.builder_spec(access),
        "all_fields": [field.name for field in visible],
        "facet_fields": [
            field.name
            for field in visible
            if field.aggregatable and field.validation_type != "datetime"
        ],
        "facet_sizes": FACET_SIZES,
        "default_columns": list(query.DEFAULT_COLUMNS),
        "default_facets": list(query.DEFAULT_FACETS),
        "empty_row": filters.row_context(filters.EMPTY_ROW),
        "versions": [version.version for version in catalogue.versions_of(product)],
        "ran": False,
    }
    status = 200
    if query.has_filters(params) and "_dont_run" not in params:
        if over_limit(request):
            return ratelimited(request)
        results, status = _results_context(request, params)
        context.update(results, ran=True)
    return render(request, "supersearch/search.html", context, status=status)


@require_GET
def results(request: HttpRequest) -> HttpResponse:
    """The results of a search as an HTML fragment (the page swaps it in when paging)."""
    if over_limit(request):
        return ratelimited(request)
    params = dict(request.GET.lists())
    context, status = _results_context(request, params)
    return render(request, "supersearch/results.html", context, status=status)


@json_view
@require_GET
def fields(request: HttpRequest) -> HttpResponse:
    """The field builder's fields: type, operators (with labels) and choices, by name."""
    exclude = request.GET.getlist("exclude")
    described = {
        field["name"]: {
            **field,
            "name": field["label"],
            "valueType": field["type"],
            "values": [],
            "multiple": True,
            "extensible": True,
        }
        for field in filters.builder_fields(access_for(request), exclude=exclude)
    }
    return json_response(described)


@require_GET
def quick(request: HttpRequest) -> HttpResponse:
    """The header's search box: a crash id opens its report, other text searches signatures."""
    text = request.GET.get("query", "").strip()
    if not text:
        return redirect("supersearch:search")
    try:
        crash_id = parse_crash_id(text)
    except InvalidCrashId:
        return redirect(f"{reverse('supersearch:search')}?{urlencode({'signature': f'~{text}'})}")
    return redirect("report:index", crash_id=crash_id)
