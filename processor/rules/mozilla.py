"""Rules specific to Mozilla's products, enabled by PROCESSOR_MOZILLA_RULES.

They rewrite versions the way Mozilla's release process names them, read Mozilla-only
annotations and dumps (memory reports, PHC, MOZ_CRASH reasons), and name Mozilla add-ons.
"""

from __future__ import annotations

import gzip
import json
import logging
import threading
import time
import urllib.parse
import urllib.request
import zlib
from pathlib import Path
from typing import Any

from processor.rules.annotations import loads_strict
from processor.rules.base import CrashContext, Rule
from processor.rules.general import as_dict

logger = logging.getLogger(__name__)

MEMORY_REPORT_MAX_BYTES = 20 * 1024 * 1024
# nsIMemoryReporter's kinds and units (about:memory's report format).
KIND_NONHEAP = 0
KIND_HEAP = 1
UNITS_BYTES = 0
# Top-level report paths copied into memory_measures as they are.
COPIED_MEASURES = {
    "gfx-textures": "gfx_textures",
    "ghost-windows": "ghost_windows",
    "heap-allocated": "heap_allocated",
    "host-object-urls": "host_object_urls",
    "private": "private",
    "resident": "resident",
    "resident-unique": "resident_unique",
    "system-heap-allocated": "system_heap_allocated",
    "vsize": "vsize",
    "vsize-max-contiguous": "vsize_max_contiguous",
}
DERIVED_MEASURES = (
    "explicit",
    "heap_overhead",
    "heap_unclassified",
    "images",
    "js_main_runtime",
    "top_none_detached",
)
MEMORY_MEASURES = sorted({*COPIED_MEASURES.values(), *DERIVED_MEASURES})
# The memory_report schema's types, checked by hand: jsonschema takes seconds on a big report.
REPORT_FIELD_TYPES: dict[str, type] = {
    "version": int,
    "hasMozMallocUsableSize": bool,
    "reports": list,
}
ENTRY_FIELD_TYPES: dict[str, type] = {
    "process": str,
    "path": str,
    "kind": int,
    "units": int,
    "amount": int,
    "description": str,
}
JSON_TYPE_NAMES = {int: "integer", bool: "boolean", list: "array", str: "string"}
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
DEFAULT_THEME_ID = "{972ce4c6-7e08-4474-a285-3208198ce6fd}"
SANITIZED_REASON_PREFIXES = (
    "Failed to load module",
    "byte index",
    "do not use eval with system privileges",
)


class ConvertModuleSignatureInfoRule(Rule):
    """The stackwalker reads ``ModuleSignatureInfo`` as JSON text: encode it if it is not."""

    def predicate(self, crash: CrashContext) -> bool:
        value = crash.raw_crash.get("ModuleSignatureInfo")
        return value is not None and not isinstance(value, str)

    def action(self, crash: CrashContext) -> None:
        crash.raw_crash["ModuleSignatureInfo"] = json.dumps(crash.raw_crash["ModuleSignatureInfo"])


class FenixVersionRewriteRule(Rule):
    """Fenix nightlies report ``Nightly <date>``; Crash Stats files them under ``0.0a1``."""

    def predicate(self, crash: CrashContext) -> bool:
        version = crash.processed_crash.get("version")
        return crash.processed_crash.get("product") == "Fenix" and (
            isinstance(version, str) and version.startswith("Nightly ")
        )

    def action(self, crash: CrashContext) -> None:
        crash.note(f"Changed version from {crash.processed_crash['version']!r} to 0.0a1")
        crash.processed_crash["version"] = "0.0a1"


class ESRVersionRewrite(Rule):
    """ESR builds get an ``esr`` suffix on their version."""

    def predicate(self, crash: CrashContext) -> bool:
        return crash.processed_crash.get("release_channel") == "esr"

    def action(self, crash: CrashContext) -> None:
        version = crash.processed_crash.get("version")
        if not isinstance(version, str) or not version:
            crash.note('"Version" missing from esr release raw_crash')
            return
        if not version.endswith("esr"):
            crash.processed_crash["version"] = f"{version}esr"


class OutOfMemoryBinaryRule(Rule):
    """``memory_report`` from the gzip-compressed ``memory_report`` dump.

    The dump comes from the client, so anything may be in it: whatever cannot be read becomes
    ``memory_report_error`` (protected) and a note without the file's content.
    """

    def predicate(self, crash: CrashContext) -> bool:
        return "memory_report" in crash.dumps

    def action(self, crash: CrashContext) -> None:
        processed = crash.processed_crash
        try:
            report = read_memory_report(crash.dumps["memory_report"])
        except MemoryReportUnreadable as exc:
            processed.pop("memory_report", None)
            processed["memory_report_error"] = str(exc)
            crash.note("memory_report could not be read")
            return
        processed.pop("memory_report_error", None)
        processed["memory_report"] = report


class MemoryReportUnreadable(ValueError):
    """The memory report dump is not gzip-compressed JSON holding an object."""


def read_memory_report(path: Path) -> dict[str, Any]:
    """The decoded report; raises MemoryReportUnreadable saying what was wrong with it."""
    try:
        with gzip.open(path, "rb") as stream:
            data = stream.read(MEMORY_REPORT_MAX_BYTES + 1)
        if len(data) > MEMORY_REPORT_MAX_BYTES:
            raise ValueError(f"larger than {MEMORY_REPORT_MAX_BYTES} bytes uncompressed")
        report = loads_strict(data)
    except (OSError, EOFError, zlib.error, ValueError, RecursionError) as exc:
        raise MemoryReportUnreadable(
            f"memory_report: {type(exc).__name__}: {str(exc)[:100]}"
        ) from exc
    if not isinstance(report, dict):
        raise MemoryReportUnreadable(
            f"memory_report: a JSON {type(report).__name__}, not an object"
        )
    _check_types(report, REPORT_FIELD_TYPES, "memory_report")
    for index, entry in enumerate(report.get("reports", ())):
        if not isinstance(entry, dict):
            raise MemoryReportUnreadable(f"memory_report: reports[{index}] is not an object")
        _check_types(entry, ENTRY_FIELD_TYPES, f"memory_report: reports[{index}]")
    return report


def _check_types(data: dict[str, Any], types: dict[str, type], where: str) -> None:
    for key, expected in types.items():
        if key not in data:
            continue
        value = data[key]
        wrong_bool = isinstance(value, bool) and expected is not bool
        if wrong_bool or not isinstance(value, expected):
            raise MemoryReportUnreadable(
                f"{where}: {key} is a {type(value).__name__}, not {JSON_TYPE_NAMES[expected]}"
            )


class MemoryReportInvalid(ValueError):
    """The memory report cannot give the measures; the message is a public note."""


def memory_measures(report: dict[str, Any], pid: int) -> dict[str, int]:
    """The ``memory_measures`` of process ``pid``, summed from about:memory report entries.

    ``explicit`` and ``heap_unclassified`` are derived the way about:memory derives them:
    ``heap-allocated`` plus the explicit non-heap entries, and ``heap-allocated`` minus the
    explicit heap entries (which can come out negative when the measurements disagree).
    """
    entries = report.get("reports")
    if not isinstance(entries, list):
        raise MemoryReportInvalid("reports is not a list")
    totals = dict.fromkeys(MEMORY_MEASURES, 0)
    explicit_heap = explicit_nonheap = 0
    tag = f"(pid {pid})"
    found = False
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("process"), str):
            raise MemoryReportInvalid("an entry is not an object with a process name")
        if tag not in entry["process"]:
            continue
        found = True
        path, kind, units, amount = (entry.get(key) for key in ("path", "kind", "units", "amount"))
        if not isinstance(path, str) or not all(_is_int(v) for v in (kind, units, amount)):
            raise MemoryReportInvalid("an entry lacks a string path or integer kind/units/amount")
        if path.startswith("explicit/"):
            if units != UNITS_BYTES:
                raise MemoryReportInvalid(f"an explicit/ entry has units {units}, not bytes")
            if kind == KIND_HEAP:
                explicit_heap += amount
            elif kind == KIND_NONHEAP:
                explicit_nonheap += amount
            else:
                raise MemoryReportInvalid(f"an explicit/ entry has kind {kind}")
            measure = _explicit_subtotal(path)
            if measure is not None:
                totals[measure] += amount
        elif path.startswith("js-main-runtime/"):
            totals["js_main_runtime"] += amount
        elif path in COPIED_MEASURES:
            totals[COPIED_MEASURES[path]] += amount
    if not found:
        raise MemoryReportInvalid(f"no entries for the crashing process (pid {pid})")
    totals["heap_unclassified"] = totals["heap_allocated"] - explicit_heap
    totals["explicit"] = totals["heap_allocated"] + explicit_nonheap
    if any(not INT64_MIN <= value <= INT64_MAX for value in (*totals.values(), explicit_heap)):
        raise MemoryReportInvalid("a total does not fit in a signed 64-bit integer")
    return totals


def _explicit_subtotal(path: str) -> str | None:
    """The measure an ``explicit/`` entry also counts towards, if any."""
    if path.startswith("explicit/images/"):
        return "images"
    if "top(none)/detached" in path:
        return "top_none_detached"
    if path.startswith("explicit/heap-overhead/"):
        return "heap_overhead"
    return None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class MemoryReportExtractionRule(Rule):
    """``memory_measures``: the crashing process's memory totals, from ``memory_report``."""

    def predicate(self, crash: CrashContext) -> bool:
        report = crash.processed_crash.get("memory_report")
        pid = as_dict(crash.processed_crash.get("json_dump")).get("pid")
        return isinstance(report, dict) and bool(report) and _is_int(pid)

    def action(self, crash: CrashContext) -> None:
        processed = crash.processed_crash
        try:
            measures = memory_measures(processed["memory_report"], processed["json_dump"]["pid"])
        except MemoryReportInvalid as exc:
            processed.pop("memory_measures", None)
            crash.note(f"memory_report_extraction: {exc}")
            return
        processed["memory_measures"] = measures


class PHCRule(Rule):
    """Probabilistic heap checker details (all protected)."""

    def predicate(self, crash: CrashContext) -> bool:
        return "PHCKind" in crash.raw_crash

    def action(self, crash: CrashContext) -> None:
        raw, processed = crash.raw_crash, crash.processed_crash
        processed["phc_kind"] = str(raw["PHCKind"])
        base = raw.get("PHCBaseAddress")
        if isinstance(base, str) and base.strip().isdigit():
            processed["phc_base_address"] = hex(int(base.strip()))
        size = raw.get("PHCUsableSize")
        if isinstance(size, str) and size.strip().isdigit():
            processed["phc_usable_size"] = int(size.strip())
        for annotation, field in (
            ("PHCAllocStack", "phc_alloc_stack"),
            ("PHCFreeStack", "phc_free_stack"),
        ):
            if isinstance(raw.get(annotation), str):
                processed[field] = raw[annotation]


class MozCrashReasonRule(Rule):
    """``moz_crash_reason``, hiding reasons known to carry private data (raw one protected)."""

    def predicate(self, crash: CrashContext) -> bool:
        return isinstance(crash.raw_crash.get("MozCrashReason"), str)

    def action(self, crash: CrashContext) -> None:
        reason = crash.raw_crash["MozCrashReason"]
        crash.processed_crash["moz_crash_reason_raw"] = reason
        if reason.startswith(SANITIZED_REASON_PREFIXES):
            reason = "sanitized--see moz_crash_reason_raw"
        crash.processed_crash["moz_crash_reason"] = reason


class UtilityActorsNameRule(Rule):
    """``utility_actors_name``: the actors running in a utility process."""

    def predicate(self, crash: CrashContext) -> bool:
        return isinstance(crash.raw_crash.get("UtilityActorsName"), str)

    def action(self, crash: CrashContext) -> None:
        names = crash.raw_crash["UtilityActorsName"].split(",")
        crash.processed_crash["utility_actors_name"] = [
            name.strip() for name in names if name.strip()
        ]


class DistributionIdRule(Rule):
    """``distribution_id``: the partner build, from the annotation or telemetry environment."""

    def action(self, crash: CrashContext) -> None:
        value: Any = crash.raw_crash.get("DistributionID")
        if "DistributionID" not in crash.raw_crash:
            telemetry = as_dict(crash.processed_crash.get("telemetry_environment"))
            partner = as_dict(telemetry.get("partner"))
            value = (
                partner.get("distributionId", "unknown")
                if "distributionId" in partner
                else "unknown"
            )
        if not value:
            value = "mozilla"
        crash.processed_crash["distribution_id"] = str(value)


class ThemePrettyNameRule(Rule):
    """Name the default theme in ``addons``."""

    def action(self, crash: CrashContext) -> None:
        addons = crash.processed_crash.get("addons")
        if not isinstance(addons, list):
            return
        crash.processed_crash["addons"] = [
            f"{addon} (default theme)"
            if isinstance(addon, str) and addon.split(":", 1)[0] == DEFAULT_THEME_ID
            else addon
            for addon in addons
        ]


class VersionStringLookup:
    """Cached lookups of a beta/aurora build's version string in Crash Stats' API."""

    HIT_SECONDS = 24 * 3600
    MISS_SECONDS = 30 * 60
    MAX_ENTRIES = 5000

    def __init__(self, url: str, timeout: float = 5.0) -> None:
        self.url = url
        self.timeout = timeout
        self._cache: dict[tuple[str, str, str], tuple[float, str | None]] = {}
        self._lock = threading.Lock()

    def __call__(self, product: str, channel: str, build_id: str) -> str | None:
        key = (product, channel, build_id)
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(key)
        if cached and cached[0] > now:
            return cached[1]
        version = self._fetch(product, channel, build_id)
        with self._lock:
            if len(self._cache) >= self.MAX_ENTRIES:
                self._cache.clear()
            ttl = self.HIT_SECONDS if version else self.MISS_SECONDS
            self._cache[key] = (now + ttl, version)
        return version

    def _fetch(self, product: str, channel: str, build_id: str) -> str | None:
        query = urllib.parse.urlencode(
            {"product": product, "channel": channel, "build_id": build_id}
        )
        try:
            with urllib.request.urlopen(f"{self.url}?{query}", timeout=self.timeout) as response:
                hits = json.loads(response.read()).get("hits") or []
        except (OSError, ValueError, AttributeError) as exc:
            logger.warning(
                "version string lookup failed for %s %s %s: %s", product, channel, build_id, exc
            )
            return None
        version = (
            as_dict(hits[0]).get("version_string") if isinstance(hits, list) and hits else None
        )
        return version if isinstance(version, str) else None


class BetaVersionRule(Rule):
    """Beta and aurora builds: the real version (``68.0b3``) from the build id."""

    PRODUCTS = ("Firefox", "Thunderbird")
    CHANNELS = ("beta", "aurora")

    def __init__(self, lookup: VersionStringLookup | None) -> None:
        self.lookup = lookup

    def predicate(self, crash: CrashContext) -> bool:
        processed = crash.processed_crash
        return (
            processed.get("product") in self.PRODUCTS
            and processed.get("release_channel") in self.CHANNELS
        )

    def action(self, crash: CrashContext) -> None:
        processed = crash.processed_crash
        product, channel = processed["product"], processed["release_channel"]
        build = str(processed.get("build", ""))
        if product == "Firefox" and channel == "aurora" and build > "20170601":
            product = "DevEdition"
        version = None
        if self.lookup is not None and build.isdigit():
            version = self.lookup(product, channel, build)
        if version:
            processed["version"] = version
            return
        original = processed.get("version")
        processed["version"] = f"{original if isinstance(original, str) else ''}b0"
        crash.note(
            f'release channel is {channel} but no version data was found - added "b0" suffix'
        )
