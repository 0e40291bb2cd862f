"""Products and their versions, for the pickers, the home pages and top crashers.

Jansky has no product table: a product is whatever crashes name. Versions come from the
``ProductVersion`` table (filled by the ``productversions`` cron job) when it lists the product,
and otherwise from recent crash data: a Super Search facet on ``version`` over the last
:data:`VERSIONS_WINDOW_DAYS` days, without the rare versions (fewer than
:data:`MIN_VERSION_CRASHES` crashes) unless that would leave none. Featured versions are the
newest version of each of the three most recent ``major.minor`` lines, betas and ESR left out,
as Socorro's "auto" featured versions. The catalogue is cached per process for
:data:`CACHE_SECONDS`.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.cache import cache

from jansky.search import SearchError
from webapp.crashstats.models import ProductVersion
from webapp.crashstats.permissions import ANONYMOUS_ACCESS
from webapp.crashstats.supersearch import search

logger = logging.getLogger(__name__)

VERSIONS_WINDOW_DAYS = 60
MIN_VERSION_CRASHES = 50
FEATURED_LINES = 3
MAX_VERSIONS = 200
CACHE_KEY = "crashstats:products"
CACHE_SECONDS = 600
_VERSION = re.compile(r"^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.(\d+))?(a|b|rc|esr)?(\d*)")
# Release rank of a version suffix: nightly < beta < release candidate < release (and ESR).
_SUFFIX_RANK = {"a": 0, "b": 1, "rc": 2, None: 3, "esr": 3}


@dataclass(frozen=True)
class Version:
    """One version of a product as the pickers list it."""

    product: str
    version: str
    is_featured: bool = False
    crashes: int = 0  # in the versions window; 0 when only the ProductVersion table knows it


@dataclass(frozen=True)
class Catalogue:
    """Every known product (most crashes first) and its versions (newest first)."""

    products: tuple[str, ...]
    versions: dict[str, tuple[Version, ...]]

    def versions_of(self, product: str) -> tuple[Version, ...]:
        return self.versions.get(product, ())

    def featured(self, product: str) -> tuple[Version, ...]:
        return tuple(version for version in self.versions_of(product) if version.is_featured)

    def default_versions(self, product: str, count: int = 4) -> tuple[Version, ...]:
        """The featured versions, or the newest ``count`` when none is featured."""
        return self.featured(product) or self.versions_of(product)[:count]


def version_key(version: str) -> tuple:
    """Sort key: larger is newer (135.0a1 > 134.0b9 > 134.0b5 > 133.0.3 > 133.0)."""
    match = _VERSION.match(version)
    if match is None:
        return (-1, version)
    numbers = tuple(int(part or 0) for part in match.group(1, 2, 3, 4))
    suffix = match.group(5)
    return (*numbers, _SUFFIX_RANK[suffix], int(match.group(6) or 0), version)


def is_beta_or_esr(version: str) -> bool:
    match = _VERSION.match(version)
    return match is not None and match.group(5) in {"b", "esr"}


def featured(versions: list[str]) -> set[str]:
    """The newest version of each of the most recent major.minor lines (no betas, no ESR)."""
    lines: dict[tuple[int, int], str] = {}
    for version in sorted(versions, key=version_key, reverse=True):
        match = _VERSION.match(version)
        if match is None or is_beta_or_esr(version):
            continue
        line = (int(match.group(1)), int(match.group(2) or 0))
        lines.setdefault(line, version)
    newest = sorted(lines, reverse=True)[:FEATURED_LINES]
    return {lines[line] for line in newest}


def _crash_counts(now: datetime) -> dict[str, dict[str, int]]:
    """product -> version -> crashes in the versions window, from Super Search."""
    start = now - timedelta(days=VERSIONS_WINDOW_DAYS)
    params = {
        "date": [f">={start.isoformat()}", f"<={now.isoformat()}"],
        "_results_number": "0",
        "_facets": "product",
        "_aggs.product": "version",
        "_facets_size": str(MAX_VERSIONS),
    }
    facets = search(params, ANONYMOUS_ACCESS)["facets"]
    counts: dict[str, dict[str, int]] = {}
    for bucket in facets.get("product", []):
        versions = bucket.get("facets", {}).get("version", [])
        counts[str(bucket["term"])] = {str(b["term"]): b["count"] for b in versions}
    return counts


def _table_versions() -> dict[str, set[str]]:
    """product -> version strings from the ProductVersion table."""
    found: dict[str, set[str]] = defaultdict(set)
    for product, version in ProductVersion.objects.values_list("product_name", "version_string"):
        found[product].add(version)
    return found


def _common_versions(counts: dict[str, int]) -> dict[str, int]:
    """Versions with enough crashes to list, or all of them when none has enough."""
    common = {
        version: count
        for version, count in counts.items()
        if count >= MIN_VERSION_CRASHES and not version.startswith("1024")
    }
    return common or counts


def build_catalogue(now: datetime | None = None) -> Catalogue:
    """The catalogue from the ProductVersion table and the last weeks of crashes."""
    counts = _crash_counts(now or datetime.now(UTC))
    table = _table_versions()
    products = sorted(
        set(counts) | set(table), key=lambda name: (-sum(counts.get(name, {}).values()), name)
    )
    versions: dict[str, tuple[Version, ...]] = {}
    for product in products:
        crashes = counts.get(product, {})
        names = table.get(product) or set(_common_versions(crashes))
        ordered = sorted(names, key=version_key, reverse=True)[:MAX_VERSIONS]
        chosen = featured(ordered)
        versions[product] = tuple(
            Version(product, name, name in chosen, crashes.get(name, 0)) for name in ordered
        )
    return Catalogue(tuple(products), versions)


EMPTY = Catalogue((), {})


def catalogue() -> Catalogue:
    """The cached catalogue; an empty one (not cached) when search does not answer."""
    found = cache.get(CACHE_KEY)
    if found is None:
        try:
            found = build_catalogue()
        except SearchError as exc:
            logger.warning("event=products_unavailable error=%r", exc)
            return EMPTY
        cache.set(CACHE_KEY, found, CACHE_SECONDS)
    return found
