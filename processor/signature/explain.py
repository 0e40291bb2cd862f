"""Human-readable account of how a signature was made, frame by frame and rule by rule."""

from __future__ import annotations

from typing import Any

from processor.signature.frames import MAXIMUM_FRAMES_TO_CONSIDER, FrameTrace
from processor.signature.result import Result


def _short(value: Any, limit: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _frame_heading(trace: FrameTrace) -> str:
    where = f"frame {trace.frame_index}"
    if trace.inline_index is not None:
        where += f" inline {trace.inline_index}"
    fields = ", ".join(
        f"{key}={_short(value, 100)}" for key, value in trace.raw.items() if value not in (None, "")
    )
    return f"  #{trace.index:<2} ({where}) {fields or '(no data)'}"


def explain(result: Result, lists_source: str) -> str:
    """The explanation text for a result generated with ``explain=True``."""
    lines = [f"signature: {result.signature}"]
    lines.append(f"decided by: {result.deciding_rule or '(no rule changed the signature)'}")
    lines.append(f"lists: {lists_source}")
    if result.frames:
        rerun = any(rule == "SignatureRunWatchDog" for rule, _, _ in result.changes)
        thread = "0 (SignatureRunWatchDog re-signed from thread 0)" if rerun else result.thread
        window = MAXIMUM_FRAMES_TO_CONSIDER
        lines.append(f"frames of thread {thread}, first {window} after flattening inlines:")
        for trace in result.frames:
            lines.append(_frame_heading(trace))
            lines.append(f"      uses: {trace.source}")
            for step, before, after in trace.steps:
                lines.append(f"      {step}: {_short(before)} -> {_short(after)}")
            lines.append(f"      normalized: {_short(trace.normalized)}")
            lines.append(f"      walk: {trace.decision}")
    elif result.frames is not None:
        lines.append("frames: none used (Java data, or no frames in the crashing thread)")
    lines.append("rules that changed the signature:")
    for rule, old, new in result.changes:
        lines.append(f"  {rule}: {_short(old)} -> {_short(new)}")
    if result.notes:
        lines.append("notes:")
        lines.extend(f"  {note}" for note in result.notes)
    return "\n".join(lines)
