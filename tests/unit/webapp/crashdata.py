"""Crash documents that fill every node of a schema, protected ones marked, for redaction tests.

``full_document(schema)`` walks the schema (``$ref`` followed) and gives every property a value:
strings under a protected node hold ``SECRET:<path>``, others ``public:<path>``; numbers and
booleans cannot carry a marker, so their protected paths are returned for an absence check.
Permissions are read with ``jansky.schemas.nodes`` (where the schema declares them), never with
the redaction under test.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from jansky.schemas import PROTECTED, Schema
from jansky.schemas import nodes as schema_nodes
from jansky.search.corpus import Corpus
from jansky.storage.keys import MAIN_DUMP_NAME

SECRET = "SECRET:"
MAX_DEPTH = 12


@dataclass
class FilledDocument:
    document: dict[str, Any]
    protected_paths: list[tuple[str, ...]] = field(default_factory=list)


def full_document(schema: Schema) -> FilledDocument:
    root = schema.document
    defaults = schema.default_permissions
    filled = FilledDocument({})

    def child(sub: Any, path: tuple[str, ...], kind: Any, protected: bool) -> Any:
        needed = schema_nodes.required_permissions(root, sub, kind, defaults)
        if PROTECTED in needed and not protected:
            filled.protected_paths.append(path)
        return value(sub, path, protected or PROTECTED in needed)

    def value(node: Any, path: tuple[str, ...], protected: bool) -> Any:
        structure = schema_nodes.resolve(root, node)
        types = structure.get("type", node.get("type", "string"))
        kinds = [kind for kind in (types if isinstance(types, list) else [types]) if kind != "null"]
        kind = kinds[0] if kinds else "string"
        if len(path) > MAX_DEPTH:
            return None
        if kind == "object":
            result = {
                name: child(sub, (*path, name), "property", protected)
                for name, sub in (structure.get("properties") or {}).items()
            }
            extra = structure.get("additionalProperties")
            if isinstance(extra, dict) or extra is True:
                sub = extra if isinstance(extra, dict) else {}
                result["extra_key"] = child(sub, (*path, "extra_key"), "map", protected)
            return result
        if kind == "array":
            sub = structure.get("items") if isinstance(structure.get("items"), dict) else {}
            return [child(sub, (*path, "0"), None, protected)]
        if "enum" in structure:
            return structure["enum"][0]
        if kind == "integer":
            return 7
        if kind == "number":
            return 1.5
        if kind == "boolean":
            return True
        if structure.get("format") == "date-time":
            return "2024-10-01T12:00:00+00:00"
        return f"{SECRET if protected else 'public:'}{'.'.join(path)}"

    filled.document = value(root, (), False)
    return filled


def lookup(document: Any, path: tuple[str, ...]) -> bool:
    """Whether ``path`` exists in ``document``."""
    for part in path:
        if isinstance(document, list) and part.isdigit() and int(part) < len(document):
            document = document[int(part)]
        elif isinstance(document, dict) and part in document:
            document = document[part]
        else:
            return False
    return True


def processed_crash(crash_id: str, when: datetime.datetime, /, **fields: Any) -> dict[str, Any]:
    """A realistic processed crash (the search corpus' shape) with protected fields set."""
    corpus = Corpus(when, days=1, seed=int(crash_id[:8], 16), signature_count=20)
    _, crash = next(corpus.crashes(1))
    crash.update(
        uuid=crash_id,
        crash_id=crash_id,
        date_processed=when.isoformat(),
        user_comments=f"{SECRET}user_comments of {crash_id}",
        url=f"https://example.com/{SECRET}url",
        moz_crash_reason_raw=f"{SECRET}moz_crash_reason_raw",
        has_guard_page_access=True,
        phc_usable_size=4096,
        collector_metadata={"collector_notes": [f"{SECRET}collector note"]},
    )
    crash.update(fields)
    return crash


def raw_crash(crash_id: str, when: datetime.datetime, **fields: Any) -> dict[str, Any]:
    return {
        "uuid": crash_id,
        "ProductName": "Firefox",
        "Version": "133.0",
        "BuildID": "20241001000000",
        "URL": f"https://example.com/{SECRET}URL",
        "Comments": f"{SECRET}Comments",
        "submitted_timestamp": when.isoformat(),
        "version": 2,
        "metadata": {
            "dump_checksums": {MAIN_DUMP_NAME: "0" * 64, "memory_report": "1" * 64},
            "collector_notes": [],
        },
        **fields,
    }


DUMPS = {MAIN_DUMP_NAME: b"MDMP\x93\xa7 main minidump bytes", "memory_report": b"\x1f\x8b report"}


def store_crash(backends: Any, crash_id: str, when: datetime.datetime, **fields: Any) -> dict:
    """Save the raw crash, its dumps and its processed crash, and index it."""
    processed = processed_crash(crash_id, when, **fields)
    backends.storage.save_raw_crash(crash_id, raw_crash(crash_id, when), DUMPS)
    backends.storage.save_processed_crash(crash_id, processed)
    backends.search.index_crash(crash_id, processed)
    return processed
