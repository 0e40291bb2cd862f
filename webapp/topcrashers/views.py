"""The top crashers page: parameters checked, a missing version filled in, the table."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from jansky.search import BadArgumentError, SearchError
from webapp.crashstats import products
from webapp.crashstats.models import Platform
from webapp.crashstats.pages import error_page
from webapp.crashstats.permissions import access_for
from webapp.topcrashers import compute


def _with(request: HttpRequest, **changes: str) -> str:
    query = request.GET.copy()
    for key, value in changes.items():
        query[key] = value
    return f"{reverse('topcrashers:topcrashers')}?{query.urlencode()}"


@require_GET
def topcrashers(request: HttpRequest) -> HttpResponse:
    catalogue = products.catalogue()
    if not request.GET.get("product"):
        if not catalogue.products:
            return render(request, "topcrashers/empty.html")
        return redirect(
            f"{reverse('topcrashers:topcrashers')}?{urlencode({'product': catalogue.products[0]})}"
        )
    platforms = list(Platform.objects.order_by("name").values_list("name", flat=True))
    try:
        params = compute.parse_params(request.GET, catalogue.products, platforms)
    except compute.InvalidParameters as exc:
        return error_page(request, 400, str(exc))
    if "version" not in request.GET:  # an empty version means every version
        default = catalogue.default_versions(params.product)
        if default:
            return redirect(_with(request, version=default[0].version))
    try:
        result = compute.compute(params, access_for(request))
    except BadArgumentError as exc:
        return error_page(request, 400, str(exc))
    except SearchError:
        return error_page(request, 503, "The search backend did not answer; try again.")
    context = {
        "top": result,
        "versions": catalogue.versions_of(params.product),
        "platforms": platforms,
        "choices": {
            "days": compute.DAYS,
            "process_types": compute.PROCESS_TYPES,
            "facets_sizes": compute.FACETS_SIZES,
            "modes": compute.MODES,
            "range_types": compute.RANGE_TYPES,
            "report_types": compute.REPORT_TYPES,
        },
    }
    return render(request, "topcrashers/topcrashers.html", context)
