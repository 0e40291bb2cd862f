"""One crash as its report page shows it, built from the redacted raw and processed crash.

:func:`build_report` takes documents that already went through
:mod:`webapp.crashstats.redaction` for the viewer's access; what a viewer may not see is not
in them. Permission-gated tabs (raw data links, Debug, Reprocess) are decided here too, from
the same :class:`~webapp.crashstats.permissions.Access`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jansky.schemas import ANONYMOUS, load_schema
from webapp.crashstats import redaction
from webapp.crashstats.bugs import BugRef, bugs_by_signature
from webapp.crashstats.permissions import (
    ANONYMOUS_ACCESS,
    REPROCESS_CRASHES,
    VIEW_PII,
    VIEW_RAWDUMP,
    Access,
)
from webapp.crashstats.signatures import signature_generator
from webapp.report.details import DetailRow, detail_rows
from webapp.report.frames import Thread, threads_of

COLLECTOR_KEYS = frozenset({"metadata", "uuid", "submitted_timestamp", "version"})
EMPTY_FILE_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@dataclass(frozen=True)
class Annotation:
    key: str
    text: str
    description: str
    multiline: bool
    from_collector: bool


@dataclass(frozen=True)
class Module:
    filename: str
    version: str
    debug_file: str
    debug_id: str
    code_id: str
    signed_by: str
    symbol_url: str
    missing_symbols: bool


@dataclass(frozen=True)
class DebugInfo:
    """The Debug tab: when and how the crash went through the pipeline."""

    timeline: list[tuple[str, str]]
    collector: list[tuple[str, str]]
    dump_checksums: list[tuple[str, str, bool]]  # name, sha256, is the empty file
    processor_notes: str
    processor_history: list[str]
    signature_debug: str
    stackwalker: list[tuple[str, str]]


@dataclass
class Report:
    crash_id: str
    processed: dict[str, Any]
    raw: dict[str, Any]
    details: list[DetailRow]
    crashing_thread: Thread | None
    other_threads: list[Thread]
    modules: list[Module]
    unloaded_modules: list[dict[str, str]]
    public_annotations: list[Annotation]
    protected_annotations: list[Annotation]
    json_dump_text: str
    can_reprocess: bool
    raw_data_links: bool  # view_pii: the raw and processed crash as JSON
    dump_names: list[str] = field(default_factory=list)  # view_rawdump: dump downloads
    debug: DebugInfo | None = None  # view_pii and view_rawdump
    bugs: list[BugRef] = field(default_factory=list)
    new_signature: str = ""  # view_pii: what signature generation gives today, if different

    @property
    def signature(self) -> str:
        return str(self.processed.get("signature") or "")

    @property
    def title(self) -> str:
        product = self.processed.get("product") or self.raw.get("ProductName") or ""
        version = self.processed.get("version") or self.raw.get("Version") or ""
        return " ".join(str(part) for part in (product, version, "Crash Report") if part)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Mapping | list):
        return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
    return str(value)


def annotations(raw: Mapping[str, Any]) -> tuple[list[Annotation], list[Annotation]]:
    """The raw crash's keys sorted case-insensitively, split into public and protected."""
    schema = load_schema("raw_crash")
    properties = schema.document["properties"]
    public, protected = [], []
    for key in sorted(raw, key=str.lower):
        value = raw[key]
        item = Annotation(
            key=key,
            text=_text(value),
            description=str(properties.get(key, {}).get("description", "")),
            multiline=isinstance(value, Mapping | list) or "\n" in str(value),
            from_collector=key in COLLECTOR_KEYS,
        )
        (public if schema.can_see(key, ANONYMOUS) else protected).append(item)
    return public, protected


def modules_of(json_dump: Mapping[str, Any]) -> list[Module]:
    modules = []
    for module in json_dump.get("modules") or ():
        if not isinstance(module, Mapping):
            continue
        modules.append(
            Module(
                filename=_text(module.get("filename")),
                version=_text(module.get("version")),
                debug_file=_text(module.get("debug_file")),
                debug_id=_text(module.get("debug_id")),
                code_id=_text(module.get("code_id")),
                signed_by=_text(module.get("cert_subject")),
                symbol_url=_symbol_url(module.get("symbol_url")),
                missing_symbols=bool(module.get("missing_symbols")),
            )
        )
    return modules


def _symbol_url(value: Any) -> str:
    """Only http(s) links: a symbol URL is crash data and could hold any scheme."""
    if isinstance(value, str) and value.startswith(("https://", "http://")):
        return value
    return ""


def unloaded_modules_of(json_dump: Mapping[str, Any]) -> list[dict[str, str]]:
    return [
        {
            "filename": _text(module.get("filename")),
            "code_id": _text(module.get("code_id")),
            "signed_by": _text(module.get("cert_subject")),
        }
        for module in json_dump.get("unloaded_modules") or ()
        if isinstance(module, Mapping)
    ]


def debug_info(processed: Mapping[str, Any], raw: Mapping[str, Any]) -> DebugInfo:
    metadata = raw.get("metadata") if isinstance(raw.get("metadata"), Mapping) else {}
    checksums = metadata.get("dump_checksums") or {}
    timeline = [
        (
            "Collected",
            _text(processed.get("submitted_timestamp") or raw.get("submitted_timestamp")),
        ),
        ("Processing started", _text(processed.get("started_datetime"))),
        ("Processing completed", _text(processed.get("completed_datetime"))),
    ]
    collector = [
        ("uuid", _text(raw.get("uuid"))),
        ("submitted_timestamp", _text(raw.get("submitted_timestamp"))),
        ("version", _text(raw.get("version"))),
        *(
            (key, _text(value))
            for key in ("Throttleable", "SubmittedFrom", "SubmittedFromInfobar")
            if (value := raw.get(key)) is not None
        ),
        *(
            (f"metadata.{key}", _text(value))
            for key, value in sorted(metadata.items())
            if key != "dump_checksums"
        ),
    ]
    stackwalker = [
        (key, _text(processed.get(key)))
        for key in ("stackwalk_version", "mdsw_status_string", "mdsw_return_code", "mdsw_stderr")
        if processed.get(key) not in (None, "")
    ]
    history = processed.get("processor_history")
    return DebugInfo(
        timeline=timeline,
        collector=collector,
        dump_checksums=[
            (str(name), str(digest), digest == EMPTY_FILE_SHA256)
            for name, digest in sorted(checksums.items())
        ],
        processor_notes=_text(processed.get("processor_notes")),
        processor_history=[str(item) for item in history] if isinstance(history, list) else [],
        signature_debug=_text(processed.get("signature_debug")),
        stackwalker=stackwalker,
    )


def _new_signature(processed: Mapping[str, Any]) -> str:
    """What signature generation gives today, when it differs from the stored signature."""
    current = signature_generator().generate(processed).signature
    return current if current and current != processed.get("signature") else ""


def build_report(
    crash_id: str, raw: Mapping[str, Any], processed: Mapping[str, Any], access: Access
) -> Report:
    """The report of a crash for ``access``: ``raw`` and ``processed`` as stored (unredacted)."""
    shown_processed = redaction.processed_crash(processed, access)
    shown_raw = redaction.raw_crash(raw, access)
    json_dump = shown_processed.get("json_dump")
    json_dump = json_dump if isinstance(json_dump, Mapping) else {}
    if not access.has(VIEW_RAWDUMP) and access.has(VIEW_PII):
        # Registers and guard-page details belong with the dumps, not only with view_pii.
        json_dump = redaction.processed_crash({"json_dump": json_dump}, ANONYMOUS_ACCESS).get(
            "json_dump", {}
        )
    threads = threads_of(json_dump, shown_processed.get("crashing_thread"))
    crashing = next((thread for thread in threads if thread.crashing), None)
    public, protected = annotations(shown_raw)
    report = Report(
        crash_id=crash_id,
        processed=shown_processed,
        raw=shown_raw,
        details=detail_rows(shown_processed),
        crashing_thread=crashing,
        other_threads=[thread for thread in threads if not thread.crashing],
        modules=modules_of(json_dump),
        unloaded_modules=unloaded_modules_of(json_dump),
        public_annotations=public,
        protected_annotations=protected,
        json_dump_text=json.dumps(json_dump, indent=2, sort_keys=True, ensure_ascii=False),
        can_reprocess=access.has(REPROCESS_CRASHES),
        raw_data_links=access.has(VIEW_PII),
    )
    if access.has(VIEW_RAWDUMP):
        # Only the dumps' names, which the collector's (protected) metadata lists.
        metadata = raw.get("metadata")
        checksums = metadata.get("dump_checksums") if isinstance(metadata, Mapping) else None
        report.dump_names = sorted(checksums) if isinstance(checksums, Mapping) else []
    if access.has(VIEW_PII) and access.has(VIEW_RAWDUMP):
        report.debug = debug_info(shown_processed, shown_raw)
    if access.has(VIEW_PII):
        report.new_signature = _new_signature(shown_processed)
    if report.signature:
        report.bugs = bugs_by_signature([report.signature]).get(report.signature, [])
    return report
