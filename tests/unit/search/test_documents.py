"""Indexing fix-ups and the document both backends index."""

from __future__ import annotations

import math

import pytest

from jansky.search.documents import BAD_DATA, build_document, fix_value, truncate_bytes
from jansky.search.fields import get_registry

REGISTRY = get_registry()


def field(name: str):
    found = REGISTRY.get(name)
    assert found is not None
    return found


@pytest.mark.parametrize(
    "name,value,expected",
    [
        ("address", 12, BAD_DATA),
        ("address", "x" * 20_000, "x" * 10_000),
        ("signature", 5, None),
        ("uptime", "42", 42),
        ("uptime", "4.2", None),
        ("uptime", 2**63, None),
        ("crashing_thread", 2**31, None),
        ("cpu_count", 2**15 - 1, 2**15 - 1),
        ("uptime_ts", math.nan, None),
        ("uptime_ts", "1.5", 1.5),
        ("startup_crash", "true", True),
        ("startup_crash", "1", True),
        ("startup_crash", "yes", False),
        ("startup_crash", 1, True),
        ("date", "2024-10-01 12:00:00", "2024-10-01T12:00:00+00:00"),
        ("date", "2024-10-01T14:00:00.5+02:00", "2024-10-01T12:00:00.500000+00:00"),
        ("date", "yesterday", None),
    ],
)
def test_fix_value(name: str, value, expected) -> None:
    assert fix_value(field(name), value) == expected


def test_truncate_bytes_keeps_characters_whole() -> None:
    text = "é" * 20_000
    cut = truncate_bytes(text)
    assert len(cut.encode()) <= 32_766 and cut == "é" * (32_766 // 2)


def test_build_document_uses_sources_and_lists() -> None:
    document = build_document(
        REGISTRY,
        {
            "os_name": "Linux",
            "build": "20240101000000",
            "json_dump": {"system_info": {"cpu_count": 8}},
            "memory_measures": {"explicit": 5},
            "addons": ["a", 3, None],
            "crash_report_keys": [],
            "signature": ["not", "a", "string"],
            "process_type": {"an": "object"},
        },
    )
    assert document == {
        "platform": "Linux",
        "build_id": 20240101000000,
        "cpu_count": 8,
        "memory_explicit": 5,
        "addons": ["a", BAD_DATA],
        "process_type": BAD_DATA,
    }
