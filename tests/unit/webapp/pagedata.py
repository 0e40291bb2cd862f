"""Crashes for the page tests: a processed crash with a stackwalker output (threads, inlined
frames, modules with and without symbols), hostile strings wherever crash data reaches a page,
and ``SECRET:`` markers in every protected field the pages could show."""

from __future__ import annotations

import datetime
from typing import Any

from jansky.crashid import create_crash_id
from tests.unit.webapp.crashdata import DUMPS, SECRET, processed_crash, raw_crash

# Markup that must show as text: if the page ran it, it would be a script or an event handler.
HOSTILE = '<script>alert("owned")</script><img src=x onerror=alert(1)>'
HOSTILE_SIGNATURE = f"js::Crash{HOSTILE} | <b>bold</b>"


def json_dump() -> dict[str, Any]:
    frame_registers = {"rip": f"{SECRET}register", "rsp": "0x7ffe"}
    crashing_frames = [
        {
            "frame": 0,
            "function": f"mozilla::Boom{HOSTILE}",
            "module": "xul.dll",
            "file": "hg:hg.mozilla.org/mozilla-central:dom/base/Element.cpp:0123abcdef",
            "line": 42,
            "trust": "context",
            "module_offset": "0x1234",
            "registers": frame_registers,
            "inlines": [
                {
                    "function": "mozilla::InlinedHelper",
                    "file": "git:github.com/mozilla/gecko-dev:dom/base/Helper.h:fedcba987654",
                    "line": 7,
                }
            ],
        },
        {
            "frame": 1,
            "function": "",
            "module": f"evil{HOSTILE}.dll",
            "module_offset": "0xbeef",
            "trust": "scan",
            "missing_symbols": True,
            "file": "javascript:alert(1)",
        },
    ]
    return {
        "crash_info": {
            "address": "0x0",
            "crashing_thread": 0,
            "type": "EXCEPTION_ACCESS_VIOLATION_READ",
            "memory_accesses": [{"address": "0x0", "is_likely_guard_page": True}],
        },
        "crashing_thread": {"frames": crashing_frames, "thread_name": "main"},
        "threads": [
            {"frames": crashing_frames, "thread_name": "main", "frame_count": 2},
            {
                "frames": [{"frame": 0, "function": "WaitForSingleObject", "module": "ntdll.dll"}],
                "thread_name": f"worker{HOSTILE}",
                "frame_count": 1,
            },
        ],
        "modules": [
            {
                "filename": "xul.dll",
                "version": "133.0",
                "debug_file": "xul.pdb",
                "debug_id": "ABCDEF0123456789ABCDEF01234567891",
                "code_id": "65a1b2c3d4e5f",
                "cert_subject": "Mozilla Corporation",
                "loaded_symbols": True,
                "missing_symbols": False,
                "symbol_url": "javascript:alert(1)",
            },
            {
                "filename": f"evil{HOSTILE}.dll",
                "debug_id": "00000000000000000000000000000000",
                "missing_symbols": True,
                "loaded_symbols": False,
            },
        ],
        "unloaded_modules": [{"filename": "gone.dll", "code_id": "1234"}],
        "system_info": {"os": "Windows NT", "cpu_count": 8},
    }


def report_crash(
    crash_id: str, when: datetime.datetime, /, **fields: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(raw crash, processed crash) of a report page's crash, protected data marked."""
    processed = processed_crash(
        crash_id,
        when,
        signature=HOSTILE_SIGNATURE,
        json_dump=json_dump(),
        crashing_thread=0,
        moz_crash_reason=f"MOZ_CRASH({HOSTILE})",
        mdsw_stderr=f"{SECRET}stackwalker stderr",
        signature_debug=f"{SECRET}signature debug",
        breadcrumbs=[{"message": f"{SECRET}breadcrumb"}],
        processor_notes="note one\nnote two",
        started_datetime=when.isoformat(),
        completed_datetime=when.isoformat(),
        submitted_timestamp=when.isoformat(),
        **fields,
    )
    raw = raw_crash(crash_id, when, Notes=HOSTILE, JavaStackTrace=f"{SECRET}JavaStackTrace")
    return raw, processed


def store_report_crash(
    backends: Any, when: datetime.datetime | None = None, **fields: Any
) -> tuple[str, dict[str, Any]]:
    """Store and index a report crash; its id and processed crash."""
    when = when or datetime.datetime.now(datetime.UTC)
    crash_id = create_crash_id(when)
    raw, processed = report_crash(crash_id, when, **fields)
    backends.storage.save_raw_crash(crash_id, raw, DUMPS)
    backends.storage.save_processed_crash(crash_id, processed)
    result = backends.search.index_crashes([(crash_id, processed)])
    assert result.ok, result.failed
    return crash_id, processed


def store_raw_only(backends: Any, when: datetime.datetime | None = None) -> str:
    """A crash the collector stored but the processor has not processed."""
    when = when or datetime.datetime.now(datetime.UTC)
    crash_id = create_crash_id(when)
    backends.storage.save_raw_crash(crash_id, raw_crash(crash_id, when), DUMPS)
    return crash_id


def index_crashes(backends: Any, *specs: dict[str, Any]) -> list[str]:
    """Index (and store) one crash per spec: its fields, ``when`` (default now) included."""
    ids, items = [], []
    for spec in specs:
        fields = dict(spec)
        when = fields.pop("when", None) or datetime.datetime.now(datetime.UTC)
        crash_id = create_crash_id(when)
        processed = processed_crash(crash_id, when, **fields)
        for key in [key for key, value in fields.items() if value is None]:
            processed.pop(key, None)
        backends.storage.save_raw_crash(crash_id, raw_crash(crash_id, when), DUMPS)
        backends.storage.save_processed_crash(crash_id, processed)
        ids.append(crash_id)
        items.append((crash_id, processed))
    result = backends.search.index_crashes(items)
    assert result.ok, result.failed
    return ids
