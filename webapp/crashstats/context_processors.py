"""Template context every page gets: the request's access and the site chrome.

The chrome (products and versions for the pickers, status banners) is computed only when a
template reads it, so fragments and JSON-backed pages that never show it pay nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from webapp.crashstats import products
from webapp.crashstats.models import StatusMessage
from webapp.crashstats.permissions import access_for

STATUS_CACHE_KEY = "crashstats:status-messages"
STATUS_CACHE_SECONDS = 60


def access(request: HttpRequest) -> dict[str, Any]:
    return {"access": access_for(request)}


@dataclass
class Chrome:
    """What the header shows: the product and version pickers, and the status banners."""

    products: tuple[str, ...]
    product: str
    version: str
    versions: tuple[products.Version, ...]
    status_messages: list[StatusMessage] = field(default_factory=list)


def status_messages() -> list[StatusMessage]:
    found = cache.get(STATUS_CACHE_KEY)
    if found is None:
        found = list(StatusMessage.objects.filter(enabled=True))
        cache.set(STATUS_CACHE_KEY, found, STATUS_CACHE_SECONDS)
    return found


def build_chrome(request: HttpRequest) -> Chrome:
    catalogue = products.catalogue()
    match = request.resolver_match
    product = (match.kwargs.get("product") if match else None) or request.GET.get("product", "")
    if product not in catalogue.products:
        product = catalogue.products[0] if catalogue.products else ""
    version = request.GET.get("version", "")
    return Chrome(
        products=catalogue.products,
        product=product,
        version=version,
        versions=catalogue.versions_of(product),
        status_messages=status_messages(),
    )


def chrome(request: HttpRequest) -> dict[str, Any]:
    return {"chrome": SimpleLazyObject(lambda: build_chrome(request))}
