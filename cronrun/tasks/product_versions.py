"""Each product's versions, derived from the crashes of recent days (no release archive).

One Super Search aggregation reads product -> release channel -> version -> build id with
counts; every (product, channel, version, build) seen becomes or refreshes a
``ProductVersion`` row; versions with enough crashes are active, and the newest active
version of each channel is featured. The model's docstring defines those words for the pages.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from jansky.schemas import ANONYMOUS
from jansky.search import SearchBackend
from webapp.crashstats.models import ProductVersion
from webapp.crashstats.versions import major_version, newest_first

AGGREGATION = "_aggs.product.release_channel.version"
BUCKETS = 1000  # per level: products, channels, versions of a channel, builds of a version


@dataclass(frozen=True)
class SeenBuild:
    product: str
    channel: str
    version: str
    build_id: str
    crashes: int


@dataclass
class VersionReport:
    seen: list[SeenBuild]
    version_crashes: dict[tuple[str, str, str], int]  # (product, channel, version) -> crashes


def _buckets(node: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return node.get("facets", {}).get(name, [])


def read_versions(
    search: SearchBackend, start: datetime.datetime, end: datetime.datetime
) -> VersionReport:
    params = {
        "date": [f">={start.isoformat()}", f"<{end.isoformat()}"],
        AGGREGATION: ["build_id"],
        "_facets": [],
        "_facets_size": str(BUCKETS),
        "_results_number": "0",
    }
    result = search.search(params, ANONYMOUS)
    report = VersionReport([], {})
    for product in result["facets"].get("product", []):
        for channel in _buckets(product, "release_channel"):
            for version in _buckets(channel, "version"):
                names = (str(product["term"]), str(channel["term"]), str(version["term"]))
                if major_version(names[2]) is None:
                    continue  # not a version: junk from a hand-edited client
                report.version_crashes[names] = version["count"]
                builds = _buckets(version, "build_id")
                for build in builds:
                    report.seen.append(SeenBuild(*names, str(build["term"]), build["count"]))
                without_build = version["count"] - sum(build["count"] for build in builds)
                if without_build > 0:  # crashes that sent no build id: a row all the same
                    report.seen.append(SeenBuild(*names, "", without_build))
    return report


@dataclass
class VersionChanges:
    active: dict[str, list[str]]  # product -> active versions, newest first
    featured: dict[str, list[str]]


def save_versions(
    report: VersionReport, run_time: datetime.datetime, min_crashes: int, dry_run: bool
) -> VersionChanges:
    active_keys = {key for key, count in report.version_crashes.items() if count >= min_crashes}
    newest: dict[tuple[str, str], str] = {}
    for product, channel, version in active_keys:
        candidates = [version, newest.get((product, channel), version)]
        newest[(product, channel)] = newest_first(candidates)[0]
    featured_keys = {(product, channel, version) for (product, channel), version in newest.items()}
    changes = VersionChanges(defaultdict(list), defaultdict(list))
    for keys, into in ((active_keys, changes.active), (featured_keys, changes.featured)):
        for product, _channel, version in keys:
            into[product].append(version)
    for into in (changes.active, changes.featured):
        for product in into:
            into[product] = newest_first(sorted(set(into[product])))
    if not dry_run:
        _write(report, run_time, active_keys, featured_keys)
    return changes


@transaction.atomic
def _write(
    report: VersionReport,
    run_time: datetime.datetime,
    active_keys: set[tuple[str, str, str]],
    featured_keys: set[tuple[str, str, str]],
) -> None:
    ProductVersion.objects.filter(is_active=True).update(is_active=False, crash_count=0)
    ProductVersion.objects.filter(featured=True).update(featured=False)
    for build in report.seen:
        key = (build.product, build.channel, build.version)
        ProductVersion.objects.update_or_create(
            product_name=build.product[:50],
            release_channel=build.channel[:50],
            build_id=build.build_id[:50],
            version_string=build.version[:100],
            defaults={
                "major_version": major_version(build.version),
                "release_version": build.version[:50],
                "is_active": key in active_keys,
                "featured": key in featured_keys,
                "crash_count": build.crashes,
                "last_seen": run_time,
            },
        )
