"""Site-wide views: home pages, the pickers, error pages, the rate-limit answer and the
Dockerflow health endpoints."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import reverse
from django.utils.http import urlencode

from webapp.crashstats import backends, products
from webapp.crashstats.pages import error_page, wants_json, where
from webapp.crashstats.permissions import ANONYMOUS_ACCESS
from webapp.crashstats.responses import error_response, json_response
from webapp.crashstats.supersearch import search

logger = logging.getLogger(__name__)

# Process types with their own top crashers link on a product's home page.
HOME_PROCESS_TYPES = ("parent", "content", "gpu", "utility", "rdd")


def home(request: HttpRequest) -> HttpResponse:
    """Every product that crashed recently, with links to its versions' top crashers."""
    catalogue = products.catalogue()
    listed = [
        {"name": name, "versions": catalogue.default_versions(name)} for name in catalogue.products
    ]
    return render(request, "crashstats/home.html", {"products": listed})


def product_home(request: HttpRequest, product: str) -> HttpResponse:
    """A product's featured (or newest) versions, each with its top crashers per process type."""
    catalogue = products.catalogue()
    if product not in catalogue.products:
        raise Http404(f"No crashes of a product called {product!r} in the last weeks.")
    versions = catalogue.default_versions(product)
    asked = request.GET.get("version")
    if asked and asked not in {version.version for version in catalogue.versions_of(product)}:
        return redirect("crashstats:product_home", product=product)
    if asked:
        versions = tuple(v for v in catalogue.versions_of(product) if v.version == asked)
    context = {
        "product": product,
        "versions": versions,
        "all_versions": catalogue.versions_of(product),
        "process_types": HOME_PROCESS_TYPES,
    }
    return render(request, "crashstats/product_home.html", context)


def pick(request: HttpRequest) -> HttpResponse:
    """Where the header's product and version pickers go without JavaScript."""
    product = request.GET.get("product", "")
    version = request.GET.get("version", "")
    if product not in products.catalogue().products:
        return redirect("crashstats:home")
    if version:
        query = urlencode({"product": product, "version": version})
        return redirect(f"{reverse('topcrashers:topcrashers')}?{query}")
    return redirect("crashstats:product_home", product=product)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """400 for requests Django itself refuses (suspicious or malformed)."""
    return error_page(request, 400, "The request was malformed and could not be answered.")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404: JSON under /api/ and for JSON views, a page elsewhere (saying what is missing)."""
    if wants_json(request):
        return error_response(404, "Page not found", **where(request))
    message = "There is no page at this address."
    if isinstance(exception, Http404) and exception.args and isinstance(exception.args[0], str):
        message = exception.args[0]
    return error_page(request, 404, message)


def server_error(request: HttpRequest) -> HttpResponse:
    """500: JSON under /api/ and for JSON views; elsewhere a page that needs no database."""
    if wants_json(request):
        return error_response(500, "Internal Server Error", **where(request))
    return HttpResponse(loader.render_to_string("crashstats/500.html"), status=500)


def ratelimited(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """What a rate-limited page (not the API, which answers JSON) returns."""
    if wants_json(request) or request.headers.get("X-Requested-With") == "XMLHttpRequest":
        response = HttpResponse("Too Many Requests", status=429, content_type="text/plain")
    else:
        response = error_page(
            request,
            429,
            "You made too many requests in a short time; wait a minute and try again "
            "(logged-in users may make more).",
        )
    response["Retry-After"] = "60"
    return response


def lbheartbeat(request: HttpRequest) -> HttpResponse:
    """Always 200: the process is up and serving."""
    return json_response({"ok": True})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_search() -> None:
    backends.search().check_health()
    search({"_results_number": "1", "_facets_size": "0", "_columns": "uuid"}, ANONYMOUS_ACCESS)


CHECKS: dict[str, Callable[[], None]] = {
    "database": _check_database,
    "storage": lambda: backends.storage().check_health(),
    "queue": lambda: backends.queue().check_health(),
    "search": _check_search,
}


def heartbeat(request: HttpRequest) -> HttpResponse:
    """200 ``{"ok": true}`` when the database and every backend answer; 500 naming failures."""
    errors = []
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as exc:
            logger.warning("event=heartbeat_failed check=%s error=%r", name, exc)
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
    if errors:
        return json_response({"ok": False, "errors": errors}, status=500)
    return json_response({"ok": True})
