"""Top crashers: the parameters and the computation (Socorro's, section 3.6 of the reference).

Two Super Search queries, no hits fetched: the signatures of the window with per-signature
sub-aggregations (platforms, process types, startup, garbage collection, installations), then
the signatures of the window just before, of the same length, with twice as many buckets.
Comparing the two gives each signature's rank change and percentage change; a signature absent
from the previous window is "new".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.http import QueryDict

from webapp.crashstats import supersearch
from webapp.crashstats.bugs import BugRef, bugs_by_signature
from webapp.crashstats.models import Platform, Signature
from webapp.crashstats.permissions import Access

DAYS = (1, 3, 7, 14, 28)
DEFAULT_DAYS = 7
KNOWN_PROCESS_TYPES = ("content", "gpu", "parent", "plugin", "rdd", "socket", "utility")
PROCESS_TYPES = ("any", *KNOWN_PROCESS_TYPES, "other")
DEFAULT_PROCESS_TYPE = "parent"
FACETS_SIZES = (50, 100, 200, 300)
MODES = ("realtime", "byday")
RANGE_TYPES = ("report", "build")
REPORT_TYPES = ("any", "crash", "hang")
BUILD_ID_FORMAT = "%Y%m%d%H%M%S"
TRUE_TERMS = frozenset({"T", "TRUE", "1"})


class InvalidParameters(ValueError):
    """A parameter top crashers cannot use; the message says which and what it accepts."""


@dataclass(frozen=True)
class TopCrashersParams:
    product: str
    versions: tuple[str, ...]
    days: int = DEFAULT_DAYS
    process_type: str = DEFAULT_PROCESS_TYPE
    platform: str = ""
    facets_size: int = FACETS_SIZES[0]
    mode: str = "realtime"
    range_type: str = "report"
    report_type: str = "crash"


def _choice(data: QueryDict, name: str, choices: Sequence[str], default: str) -> str:
    value = data.get(name, "") or default
    return value if value in choices else default


def parse_params(
    data: QueryDict, products: Sequence[str], platforms: Sequence[str]
) -> TopCrashersParams:
    """The page's parameters; raises InvalidParameters for an unknown product or bad days."""
    product = data.get("product", "")
    if product not in products:
        known = ", ".join(products) or "none yet"
        raise InvalidParameters(
            f"Unknown product {product!r}; products with recent crashes: {known}."
        )
    days_text = data.get("days", str(DEFAULT_DAYS))
    if not days_text.isdigit() or int(days_text) not in DAYS:
        raise InvalidParameters(
            f"days must be one of {', '.join(str(d) for d in DAYS)}, not {days_text!r}."
        )
    size_text = data.get("_facets_size", "")
    size = (
        int(size_text)
        if size_text.isdigit() and int(size_text) in FACETS_SIZES
        else FACETS_SIZES[0]
    )
    platform = data.get("platform", "")
    return TopCrashersParams(
        product=product,
        versions=tuple(dict.fromkeys(v for v in data.getlist("version") if v)),
        days=int(days_text),
        process_type=_choice(data, "process_type", PROCESS_TYPES, DEFAULT_PROCESS_TYPE),
        platform=platform if platform in platforms else "",
        facets_size=size,
        mode=_choice(data, "_tcbs_mode", MODES, "realtime"),
        range_type=_choice(data, "_range_type", RANGE_TYPES, "report"),
        report_type=_choice(data, "_report_type", REPORT_TYPES, "crash"),
    )


def window(params: TopCrashersParams, now: datetime) -> tuple[datetime, datetime]:
    """``[start, end)``: ending now (realtime) or at today's midnight UTC (by day)."""
    end = now.astimezone(UTC)
    if params.mode == "byday":
        end = end.replace(hour=0, minute=0, second=0, microsecond=0)
    return end - timedelta(days=params.days), end


def filters(params: TopCrashersParams, start: datetime, end: datetime) -> dict[str, list[str]]:
    """The Super Search filters of a window (without aggregations)."""
    query: dict[str, list[str]] = {
        "product": [params.product],
        "date": [f">={start.isoformat()}", f"<{end.isoformat()}"],
    }
    if params.versions:
        query["version"] = list(params.versions)
    if params.range_type == "build":
        query["build_id"] = [f">={start:{BUILD_ID_FORMAT}}", f"<{end:{BUILD_ID_FORMAT}}"]
    if params.process_type == "other":
        query["process_type"] = [f"!{name}" for name in KNOWN_PROCESS_TYPES]
    elif params.process_type != "any":
        query["process_type"] = [params.process_type]
    if params.platform:
        query["platform"] = [params.platform]
    if params.report_type == "crash":
        # Every report that is not a hang: processors that set no report_type make crashes.
        query["report_type"] = ["!hang"]
    elif params.report_type == "hang":
        query["report_type"] = ["hang"]
    return query


@dataclass
class Row:
    rank: int
    signature: str
    count: int
    percent: float
    previous_rank: int | None
    previous_percent: float | None
    platforms: dict[str, int]
    installs: int | None
    gc_count: int
    startup_count: int
    process_types: dict[str, int]
    first_date: datetime | None = None
    bugs: list[BugRef] = field(default_factory=list)

    @property
    def is_new(self) -> bool:
        return self.previous_rank is None

    @property
    def rank_change(self) -> int | None:
        return None if self.previous_rank is None else self.previous_rank - self.rank

    @property
    def rank_drop(self) -> int:
        return -(self.rank_change or 0)

    @property
    def percent_change(self) -> float | None:
        return None if self.previous_percent is None else self.percent - self.previous_percent

    @property
    def is_startup(self) -> bool:
        return self.count > 0 and self.startup_count == self.count


@dataclass
class TopCrashers:
    params: TopCrashersParams
    start: datetime
    end: datetime
    total: int
    rows: list[Row]
    platform_columns: list[tuple[str, str]]  # (short name, name)

    @property
    def shown_count(self) -> int:
        return sum(row.count for row in self.rows)

    @property
    def shown_percent(self) -> float:
        return 100 * self.shown_count / self.total if self.total else 0.0


def _terms(buckets: Any) -> dict[str, int]:
    return {str(b["term"]): int(b["count"]) for b in buckets or () if isinstance(b, Mapping)}


def platform_columns(params: TopCrashersParams) -> list[tuple[str, str]]:
    rows = Platform.objects.exclude(short_name="unknown").order_by("pk")
    if params.platform:
        rows = rows.filter(name=params.platform)
    return list(rows.values_list("short_name", "name"))


def _short_platform(term: str, columns: Sequence[tuple[str, str]]) -> str | None:
    """The column of a platform term: "Windows NT" counts under the "Windows" column."""
    lowered = term.lower()
    for short, name in columns:
        if lowered == name.lower() or lowered.startswith(name.lower().split()[0]):
            return short
    return None


def compute(params: TopCrashersParams, access: Access, now: datetime | None = None) -> TopCrashers:
    start, end = window(params, now or datetime.now(UTC))
    current = filters(params, start, end)
    current.update(
        {
            "_results_number": ["0"],
            "_facets": ["signature"],
            "_facets_size": [str(params.facets_size)],
            "_aggs.signature": [
                "platform",
                "is_garbage_collecting",
                "process_type",
                "startup_crash",
                "_cardinality.install_time",
            ],
        }
    )
    response = supersearch.search(current, access)
    previous_start = start - (end - start)
    before = filters(params, previous_start, start)
    before.update(
        {
            "_results_number": ["0"],
            "_facets": ["signature"],
            "_facets_size": [str(params.facets_size * 2)],
        }
    )
    previous = supersearch.search(before, access)
    columns = platform_columns(params)
    previous_ranks = {
        str(bucket["term"]): (rank, int(bucket["count"]))
        for rank, bucket in enumerate(previous["facets"].get("signature", []), start=1)
    }
    total, previous_total = response["total"], previous["total"]
    rows = []
    for rank, bucket in enumerate(response["facets"].get("signature", []), start=1):
        signature = str(bucket["term"])
        sub = bucket.get("facets", {})
        platforms: dict[str, int] = {}
        for term, count in _terms(sub.get("platform")).items():
            short = _short_platform(term, columns)
            if short:
                platforms[short] = platforms.get(short, 0) + count
        before_rank = previous_ranks.get(signature)
        installs = sub.get("cardinality_install_time")
        rows.append(
            Row(
                rank=rank,
                signature=signature,
                count=int(bucket["count"]),
                percent=100 * int(bucket["count"]) / total if total else 0.0,
                previous_rank=before_rank[0] if before_rank else None,
                previous_percent=(100 * before_rank[1] / previous_total)
                if before_rank and previous_total
                else None,
                platforms=platforms,
                installs=installs.get("value") if isinstance(installs, Mapping) else None,
                gc_count=sum(
                    c
                    for t, c in _terms(sub.get("is_garbage_collecting")).items()
                    if t in TRUE_TERMS
                ),
                startup_count=sum(
                    c for t, c in _terms(sub.get("startup_crash")).items() if t in TRUE_TERMS
                ),
                process_types=_terms(sub.get("process_type")),
            )
        )
    _add_bookkeeping(rows)
    return TopCrashers(params, start, end, total, rows, columns)


def _add_bookkeeping(rows: list[Row]) -> None:
    """First appearance (``updatesignatures`` job) and bug ids of each signature, if known."""
    signatures = [row.signature for row in rows]
    first = dict(
        Signature.objects.filter(signature__in=signatures).values_list("signature", "first_date")
    )
    bugs = bugs_by_signature(signatures)
    for row in rows:
        row.first_date = first.get(row.signature)
        row.bugs = bugs.get(row.signature, [])
