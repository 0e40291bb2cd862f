"""Walking the normalized frames with the signature lists (Socorro's CSignatureTool.generate).

Start at the first sentinel if there is one; skip empty and irrelevant frames and repeated
library-only frames; keep prefix frames and go on; stop after the first other frame.
"""

from __future__ import annotations

from collections.abc import Sequence

from processor.signature.frames import FrameTrace
from processor.signature.siglists import SignatureLists

IRRELEVANT, PREFIX, FINAL = 0, 1, 2
_CACHE_LIMIT = 50000
_LIBRARY_SUFFIXES = (".dll", ".so")


def is_library_frame(frame: str) -> bool:
    """Frames naming only a library (or an anonymous symbol), whose repeats collapse."""
    return not frame.startswith("(unloaded") and (
        frame.lower().endswith(_LIBRARY_SUFFIXES)
        or frame == "XUL"
        or frame == "<name omitted>"
        or frame.startswith("<unknown in")
    )


class FrameWalker:
    """Builds the signature from normalized frames; caches each frame's list membership."""

    def __init__(self, lists: SignatureLists) -> None:
        self.lists = lists
        self._kinds: dict[str, int] = {}
        self._plain_sentinels = frozenset(s for s in lists.sentinels if isinstance(s, str))
        self._conditional_sentinels = [s for s in lists.sentinels if not isinstance(s, str)]

    def kind(self, frame: str) -> int:
        """IRRELEVANT (skip), PREFIX (keep and go on) or FINAL (keep and stop)."""
        kind = self._kinds.get(frame)
        if kind is None:
            if len(self._kinds) >= _CACHE_LIMIT:
                self._kinds.clear()
            if self.lists.irrelevant.match(frame):
                kind = IRRELEVANT
            elif self.lists.prefix.match(frame):
                kind = PREFIX
            else:
                kind = FINAL
            self._kinds[frame] = kind
        return kind

    def sentinel_index(self, frames: Sequence[str]) -> int | None:
        """Index of the first frame that is a sentinel (conditional ones only if they apply)."""
        found = None
        plain = self._plain_sentinels
        for index, frame in enumerate(frames):
            if frame in plain:
                found = index
                break
        for sentinel, applies in self._conditional_sentinels:
            if applies(frames) and sentinel in frames:
                index = frames.index(sentinel)
                if found is None or index < found:
                    found = index
        return found

    def generate(
        self,
        frames: list[str],
        crashed_thread: int | None,
        notes: list[str],
        debug: list[str],
        traces: list[FrameTrace] | None = None,
        delimiter: str = " | ",
    ) -> str:
        """The signature for ``frames``; appends to ``notes`` and ``debug`` as it goes."""
        start = self.sentinel_index(frames)
        if start is not None:
            debug.append(f'sentinel; starting at "{frames[start]}" index {start}')
            if traces is not None:
                for trace in traces[:start]:
                    trace.decision = f'before the sentinel "{frames[start]}"; not used'
            frames = frames[start:]
        offset = start or 0
        kept: list[str] = []
        for position, frame in enumerate(frames):
            trace = traces[offset + position] if traces is not None else None
            if not frame:
                debug.append('empty string; ignoring: ""')
                if trace is not None:
                    trace.decision = "empty; skipped"
                continue
            kind = self.kind(frame)
            if kind == IRRELEVANT:
                debug.append(f'irrelevant; ignoring: "{frame}"')
                if trace is not None:
                    line = self.lists.irrelevant.first_matching_line(frame)
                    trace.decision = f"irrelevant (matches {line!r}); skipped"
                continue
            if kept and frame == kept[-1] and is_library_frame(frame):
                debug.append(f'repeated library frame; ignoring: "{frame}"')
                if trace is not None:
                    trace.decision = "same library frame as the previous one; skipped"
                continue
            kept.append(frame)
            if kind == FINAL:
                debug.append(f'not a prefix; stop: "{frame}"')
                if trace is not None:
                    trace.decision = "not in any list; kept, and the walk stops here"
                break
            debug.append(f'prefix; continue iterating: "{frame}"')
            if trace is not None:
                line = self.lists.prefix.first_matching_line(frame)
                trace.decision = f"prefix (matches {line!r}); kept, walk continues"
        signature = delimiter.join(kept)
        if signature:
            return signature
        if crashed_thread is None:
            notes.append("CSignatureTool: no crashing thread identified")
            return "EMPTY: no crashing thread identified"
        notes.append(f"CSignatureTool: no frame data for crashing thread ({crashed_thread})")
        if frames:
            debug.append(f'no frame kept; using the first frame "{frames[0]}"')
            return frames[0]
        return "EMPTY: no frame data available"
