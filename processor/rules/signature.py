"""Adapt the signature generator's rules to the pipeline's rule interface."""

from __future__ import annotations

from typing import Any

from processor.rules.base import CrashContext, Rule


class SignatureRule(Rule):
    """Run a ``processor.signature.rule`` class (``apply(raw, processed)``) as a pipeline rule.

    Those classes append their notes to ``processed_crash["processor_notes"]`` as a list; the
    pipeline keeps this pass's notes in the context, so they are moved there.
    """

    def __init__(self, wrapped: Any) -> None:
        self.wrapped = wrapped

    @property
    def name(self) -> str:
        return type(self.wrapped).__name__

    def __repr__(self) -> str:
        return f"{type(self.wrapped).__module__}.{self.name}"

    def action(self, crash: CrashContext) -> None:
        processed = crash.processed_crash
        previous = processed.get("processor_notes")
        processed["processor_notes"] = []
        try:
            self.wrapped.apply(crash.raw_crash, processed)
            notes = processed["processor_notes"]
            crash.notes.extend(note for note in notes if isinstance(note, str))
        finally:
            if previous is None:
                processed.pop("processor_notes", None)
            else:
                processed["processor_notes"] = previous
