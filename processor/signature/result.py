"""The outcome of signature generation: signature, notes, debug log and extras."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from processor.signature.frames import FrameTrace


@dataclass
class Result:
    """Mutable result the rules write to, in order.

    ``notes`` and ``debug_log`` hold ``"<Rule>: <message>"`` lines like Socorro's;
    ``changes`` records every signature change as ``(rule, old, new)``; ``frames`` holds the
    per-frame trace of the crashing thread when the generator is asked to explain.
    """

    signature: str = ""
    notes: list[str] = field(default_factory=list)
    debug_log: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    changes: list[tuple[str, str, str]] = field(default_factory=list)
    frames: list[FrameTrace] | None = None
    thread: int | None = None

    def set_signature(self, rule: str, signature: str) -> None:
        self.debug_log.append(f'{rule}: change signature: "{self.signature}" -> "{signature}"')
        self.changes.append((rule, self.signature, signature))
        self.signature = signature

    def info(self, rule: str, message: str) -> None:
        self.notes.append(f"{rule}: {message}")

    def debug(self, rule: str, message: str) -> None:
        self.debug_log.append(f"{rule}: {message}")

    @property
    def proto_signature(self) -> str:
        return self.extra.get("proto_signature", "")

    @property
    def deciding_rule(self) -> str | None:
        """The rule that last changed the signature, i.e. produced the final one."""
        return self.changes[-1][0] if self.changes else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "signature": self.signature,
            "proto_signature": self.proto_signature,
            "notes": list(self.notes),
            "debug_log": list(self.debug_log),
            "normalized_frames": list(self.extra.get("normalized_frames", [])),
        }
