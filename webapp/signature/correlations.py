"""The signature report's Correlations tab: attributes over-represented in a signature's crashes.

For each of a set of attributes (versions, OS, CPU, GPU and driver, process type, add-ons,
flags), the share of the signature's crashes with each value is compared with its share of
every crash the page's filters select (the reference: the same versions and dates, any
signature), of the signature's own products unless the filters name products. A value is
listed when its share among the signature's crashes exceeds the reference share by at least
:data:`MIN_POINTS` points and a two-proportion z-test says the difference is unlikely to be
chance (z >= :data:`MIN_Z`). Socorro shows correlations computed by an external Firefox-only
job; these come from Super Search facets on any product.

The reference facets are the same for every signature of a product and date range: they are
cached for :data:`REFERENCE_SECONDS`.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache

from jansky.search import get_registry
from webapp.crashstats import filters
from webapp.crashstats.permissions import Access
from webapp.signature.tabs import Params, base_query, search_for_tab

FIELDS = (
    "version",
    "release_channel",
    "platform_pretty_version",
    "cpu_arch",
    "cpu_microcode_version",
    "process_type",
    "adapter_vendor_id",
    "adapter_driver_version",
    "addons",
    "accessibility",
    "safe_mode",
    "dom_fission_enabled",
    "startup_crash",
    "has_device_touch_screen",
    "bios_manufacturer",
    "android_model",
    "android_version",
)
TERMS_PER_FIELD = 50
MIN_POINTS = 2.0  # percentage points above the reference share
MIN_Z = 3.0
SHOWN = 25
REFERENCE_SECONDS = 600


@dataclass(frozen=True)
class Correlation:
    """One attribute value and how much more common it is in the signature's crashes."""

    field: str
    term: str
    count: int
    percent: float  # of the signature's crashes
    reference_percent: float  # of the reference crashes
    reference_at_most: bool  # the value is past the reference's top terms: its share is lower
    z: float

    @property
    def points(self) -> float:
        return self.percent - self.reference_percent


@dataclass
class Correlations:
    total: int
    reference_total: int
    rows: list[Correlation]
    fields: list[str]
    products: list[str]


def correlated_fields(access: Access) -> list[str]:
    """The attributes compared, among those the viewer may aggregate on."""
    visible = {f.name for f in filters.visible_fields(access) if f.aggregatable}
    registry = get_registry()
    return [name for name in FIELDS if name in visible and name in registry]


def _facets_query(query: Mapping[str, list[str]], fields: Sequence[str]) -> dict[str, list[str]]:
    return {
        **query,
        "_results_number": ["0"],
        "_facets": list(fields),
        "_facets_size": [str(TERMS_PER_FIELD)],
    }


def _reference(params: Params, fields: Sequence[str], access: Access) -> dict[str, Any]:
    """Facets of every crash the filters select, whatever its signature (cached)."""
    registry = get_registry()
    query = {
        name: sorted(values)
        for name, values in params.items()
        if name in registry and name != "signature"
    }
    identity = json.dumps([query, list(fields), sorted(access.schema_permissions)])
    key = f"signature-correlations:{hashlib.sha256(identity.encode()).hexdigest()}"
    answer = cache.get(key)
    if answer is None:
        answer = search_for_tab(_facets_query(query, fields), access)
        cache.set(key, answer, REFERENCE_SECONDS)
    return answer


def z_score(count: int, total: int, reference_count: int, reference_total: int) -> float:
    """Two-proportion z-test of count/total against reference_count/reference_total."""
    if not total or not reference_total:
        return 0.0
    share, reference_share = count / total, reference_count / reference_total
    pooled = (count + reference_count) / (total + reference_total)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / total + 1 / reference_total))
    return (share - reference_share) / spread if spread else 0.0


def _field_rows(
    name: str,
    buckets: Sequence[Mapping[str, Any]],
    total: int,
    reference: Sequence[Mapping[str, Any]],
    reference_total: int,
) -> list[Correlation]:
    reference_counts = {str(bucket["term"]): int(bucket["count"]) for bucket in reference}
    # A value past the reference's top terms has at most the smallest count listed there.
    ceiling = min(reference_counts.values(), default=0)
    complete = len(reference_counts) < TERMS_PER_FIELD
    rows = []
    for bucket in buckets:
        term, count = str(bucket["term"]), int(bucket["count"])
        known = term in reference_counts
        reference_count = reference_counts.get(term, 0 if complete else ceiling)
        reference_count = max(reference_count, count)  # the reference holds the signature
        percent = 100 * count / total
        reference_percent = 100 * reference_count / reference_total
        z = z_score(count, total, reference_count, reference_total)
        if percent - reference_percent >= MIN_POINTS and z >= MIN_Z:
            at_most = not known and not complete
            rows.append(Correlation(name, term, count, percent, reference_percent, at_most, z))
    return rows


def correlations(signature: str, params: Params, access: Access) -> Correlations:
    fields = correlated_fields(access)
    own = search_for_tab(_facets_query(base_query(signature, params), [*fields, "product"]), access)
    products = sorted(str(bucket["term"]) for bucket in own.get("facets", {}).get("product", []))
    if products and not params.get("product"):
        # The signature's own products are the population it is compared with.
        params = {**params, "product": products}
    reference = _reference(params, fields, access)
    total, reference_total = int(own["total"]), int(reference["total"])
    rows: list[Correlation] = []
    if total and reference_total:
        for name in fields:
            rows += _field_rows(
                name,
                own.get("facets", {}).get(name, []),
                total,
                reference.get("facets", {}).get(name, []),
                reference_total,
            )
    rows.sort(key=lambda row: (-row.points, -row.z, row.field, row.term))
    return Correlations(total, reference_total, rows[:SHOWN], fields, params.get("product", []))
