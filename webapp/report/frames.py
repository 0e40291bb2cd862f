"""Stack frames as the report page shows them: inline frames expanded, source links, trust.

Frames come from the stackwalker's ``json_dump`` (already redacted for the viewer). File names
in the version-control form the symbol servers write (``hg:host/repo:path:rev``,
``git:host/owner/repo:path:rev``) and Rust standard library paths (``/rustc/<commit>/...``)
become links to that exact revision; anything else is shown as text. Links are built only
from parts that match a strict pattern, so crash data cannot inject a URL scheme.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

_REVISION = r"[0-9A-Za-z._-]{1,64}"
_HOST_REPO = r"[A-Za-z0-9.-]+(?:/[A-Za-z0-9._-]+){1,3}"
_PATH = r"[^:\s?#][^:?#]*"
_HG = re.compile(rf"^hg:(?P<repo>{_HOST_REPO}):(?P<path>{_PATH}):(?P<rev>{_REVISION})$")
_GIT = re.compile(rf"^git:(?P<repo>{_HOST_REPO}):(?P<path>{_PATH}):(?P<rev>{_REVISION})$")
_RUSTC = re.compile(r"^/rustc/(?P<rev>[0-9a-f]{7,40})/(?P<path>[^?#]+)$")
TRUST_LABELS = {
    "context": "context",
    "cfi": "call frame info",
    "frame_pointer": "frame pointer",
    "scan": "stack scanning",
    "cfi_scan": "call frame info with scanning",
    "prewalked": "prewalked",
    "none": "none",
}


@dataclass(frozen=True)
class Source:
    text: str  # what the Source column shows
    url: str | None = None


@dataclass(frozen=True)
class FrameRow:
    number: int
    module: str
    function: str
    source: Source
    trust: str
    inlined: bool = False
    missing_symbols: bool = False
    offset: str = ""


@dataclass(frozen=True)
class Thread:
    index: int
    name: str
    frames: tuple[FrameRow, ...]
    crashing: bool = False


def source_of(file: Any, line: Any) -> Source:
    """The Source cell for a frame's ``file`` and ``line``."""
    if not isinstance(file, str) or not file:
        return Source("")
    line_number = line if isinstance(line, int) and line > 0 else None
    suffix = f":{line_number}" if line_number else ""
    if match := _HG.match(file):
        anchor = f"#l{line_number}" if line_number else ""
        url = f"https://{match['repo']}/annotate/{match['rev']}/{match['path']}{anchor}"
        return Source(f"{match['path']}{suffix}", url)
    if match := _GIT.match(file):
        anchor = f"#L{line_number}" if line_number else ""
        middle = "-/blob" if match["repo"].startswith("gitlab.") else "blob"
        url = f"https://{match['repo']}/{middle}/{match['rev']}/{match['path']}{anchor}"
        return Source(f"{match['path']}{suffix}", url)
    if match := _RUSTC.match(file):
        anchor = f"#L{line_number}" if line_number else ""
        url = f"https://github.com/rust-lang/rust/blob/{match['rev']}/{match['path']}{anchor}"
        return Source(f"{match['path']}{suffix}", url)
    return Source(f"{file}{suffix}")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def frame_rows(frames: Iterable[Any]) -> list[FrameRow]:
    """One row per frame, preceded by a row per function inlined into it (innermost first)."""
    rows: list[FrameRow] = []
    for position, frame in enumerate(frames):
        if not isinstance(frame, Mapping):
            continue
        number = frame.get("frame") if isinstance(frame.get("frame"), int) else position
        module = _text(frame.get("module"))
        trust = TRUST_LABELS.get(_text(frame.get("trust")), _text(frame.get("trust")))
        for inline in frame.get("inlines") or ():
            if isinstance(inline, Mapping):
                rows.append(
                    FrameRow(
                        number=number,
                        module=module,
                        function=_text(inline.get("function")),
                        source=source_of(inline.get("file"), inline.get("line")),
                        trust="inlined",
                        inlined=True,
                    )
                )
        function = _text(frame.get("function"))
        offset = _text(frame.get("module_offset") or frame.get("offset"))
        rows.append(
            FrameRow(
                number=number,
                module=module,
                function=function,
                source=source_of(frame.get("file"), frame.get("line")),
                trust=trust,
                missing_symbols=bool(frame.get("missing_symbols")),
                offset=offset if not function else "",
            )
        )
    return rows


def threads_of(json_dump: Mapping[str, Any], crashing_index: Any) -> list[Thread]:
    """Every thread with its frames; the crashing one is marked."""
    threads = []
    for index, thread in enumerate(json_dump.get("threads") or ()):
        if not isinstance(thread, Mapping):
            continue
        frames = tuple(frame_rows(thread.get("frames") or ()))
        threads.append(
            Thread(
                index=index,
                name=_text(thread.get("thread_name")),
                frames=frames,
                crashing=index == crashing_index,
            )
        )
    return threads
