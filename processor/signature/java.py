"""Signatures for Java crashes: from a Java stack trace text, or a structured Java exception."""

from __future__ import annotations

import re
from typing import Any

DESCRIPTION_MAX_LENGTH = 255
_HEX_ADDRESS = re.compile(r"@[0-9a-f]{8}")
_JAVA_LINE_NUMBER = re.compile(r"\.java\:\d+\)$")
_BAD_TRACE = "EMPTY: Java stack trace not in expected format"
_BAD_EXCEPTION = "EMPTY: Java exception not in expected format"


def _join_nonempty(delimiter: str, parts: tuple[str, ...]) -> str:
    return delimiter.join(part for part in parts if part)


def java_stack_trace_signature(text: object, delimiter: str = ": ") -> tuple[str, list[str]]:
    """``(signature, notes)`` from the first two lines of a Java stack trace.

    ``<class>: <description> <first frame without :line>``; the description is dropped when
    the whole would exceed 255 characters.
    """
    tool = "JavaSignatureTool"
    if not isinstance(text, str):
        return _BAD_TRACE, [f"{tool}: stack trace not in expected format"]
    lines = [line.strip() for line in text.splitlines()]
    if not lines:
        return _BAD_TRACE, [f"{tool}: stack trace not in expected format"]
    notes = []
    exception_class, colon, description = lines[0].partition(":")
    if colon:
        exception_class = exception_class.strip()
        description = _HEX_ADDRESS.sub("@<addr>", description).strip()
    else:
        notes.append(f"{tool}: stack trace line 1 is not in the expected format")
    if len(lines) > 1:
        method = _JAVA_LINE_NUMBER.sub(".java)", lines[1])
        if not method:
            notes.append(f"{tool}: stack trace line 2 is empty")
    else:
        notes.append(f"{tool}: stack trace line 2 is missing")
        method = ""
    if description.endswith("<addr>"):
        signature = _join_nonempty(delimiter, (exception_class, description, method))
    else:
        signature = _join_nonempty(
            delimiter, (exception_class, _join_nonempty(" ", (description, method)))
        )
    if len(signature) > DESCRIPTION_MAX_LENGTH:
        signature = delimiter.join((exception_class, method))
        notes.append(f"{tool}: dropped Java exception description due to length")
    return signature, notes


def _java_frame(frame: object) -> str:
    """``module.function(filename)``, or the parts that are present, or ``unknown``."""
    if not isinstance(frame, dict):
        return "unknown"
    module = frame.get("module", "")
    function = frame.get("function", "")
    name = f"{module}.{function}" if module and function else module or function or ""
    filename = frame.get("filename", "")
    if name and filename:
        return f"{name}({filename})"
    return str(name) if name else "unknown"


def _first_stacktrace(exception: dict[str, Any]) -> Any:
    values = exception.get("exception")
    values = values.get("values") if isinstance(values, dict) else None
    if isinstance(values, list | tuple) and values and isinstance(values[0], dict):
        return values[0].get("stacktrace")
    return None


def java_exception_signature(exception: object) -> tuple[str, list[str]]:
    """``(signature, notes)`` from a structured Java exception: ``<class>: at <frame 0>``."""
    note = "JavaExceptionSignatureTool: value not in expected format"
    if not isinstance(exception, dict):
        return _BAD_EXCEPTION, [note]
    stacktrace = _first_stacktrace(exception)
    if not stacktrace or not isinstance(stacktrace, dict):
        return _BAD_EXCEPTION, [note]
    exc_module = stacktrace.get("module", "")
    exc_type = stacktrace.get("type", "Unknown")
    exc_class = f"{exc_module}.{exc_type}" if exc_module and exc_type else f"{exc_type}"
    frames = stacktrace.get("frames") or []
    if isinstance(frames, list | tuple) and frames:
        return f"{exc_class}: at {_java_frame(frames[0])}", []
    return exc_class, []
