"""The rule interface and the per-crash state every rule sees."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class CrashContext:
    """One crash going through the pipeline.

    ``notes`` are this pass's processor notes (public: never put crash data in them that the
    schema protects). ``dumps`` maps dump names to files in ``tmpdir``.
    """

    crash_id: str
    raw_crash: dict[str, Any]
    dumps: dict[str, Path]
    processed_crash: dict[str, Any]
    tmpdir: Path
    ruleset: str = "default"
    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        self.notes.append(text)


class Rule:
    """A step of the pipeline; ``predicate`` decides whether ``action`` runs for a crash.

    An exception escaping ``action`` is caught by the pipeline, which adds a note naming the rule
    and the exception class and goes on with the next rule.
    """

    def predicate(self, crash: CrashContext) -> bool:
        return True

    def action(self, crash: CrashContext) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Release what the rule holds (a child process, ...) when the processor stops."""

    @property
    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"{type(self).__module__}.{self.name}"
