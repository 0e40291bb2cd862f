"""Run a named ruleset over one crash, recording notes, history and timing.

A rule that raises does not stop the crash: the pipeline notes which rule failed (the exception
class only, because notes are public) and goes on with the next rule.
"""

from __future__ import annotations

import datetime
import logging
import socket
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from processor.metrics import METRICS
from processor.rules.base import CrashContext, Rule

logger = logging.getLogger(__name__)

DEFAULT_RULESET = "default"
EMPTY_SIGNATURE = "EMPTY: crash failed to process"


def utc_now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat()


class Pipeline:
    """Rulesets by name; ``process`` runs one of them over a crash."""

    def __init__(self, rulesets: Mapping[str, Sequence[Rule]], hostname: str | None = None) -> None:
        self.rulesets = {name: list(rules) for name, rules in rulesets.items()}
        self.hostname = hostname or socket.gethostname()

    def close(self) -> None:
        """Close every rule once (the same rule may sit in several rulesets)."""
        closed: set[int] = set()
        for rules in self.rulesets.values():
            for rule in rules:
                if id(rule) not in closed:
                    closed.add(id(rule))
                    rule.close()

    def process(
        self,
        crash_id: str,
        ruleset: str,
        raw_crash: dict[str, Any],
        dumps: dict[str, Path],
        processed_crash: dict[str, Any],
        tmpdir: Path,
    ) -> dict[str, Any]:
        """Run ``ruleset``; returns ``processed_crash``, updated in place.

        ``processed_crash`` is the stored one when reprocessing: rules overwrite its fields and
        its previous notes move to ``processor_history``.
        """
        started = utc_now()
        crash = CrashContext(crash_id, raw_crash, dumps, processed_crash, tmpdir, ruleset)
        crash.note(f">>> Start processing: {started} ({self.hostname})")
        processed_crash["success"] = False
        processed_crash["started_datetime"] = started
        processed_crash["signature"] = EMPTY_SIGNATURE
        rules = self.rulesets.get(ruleset)
        if rules is None:
            crash.note(f"error: no ruleset: {ruleset}")
            logger.warning("unknown ruleset crash_id=%s ruleset=%r", crash_id, ruleset)
        else:
            for rule in rules:
                self._run_rule(rule, crash)
            processed_crash["success"] = True
        self._finish(crash)
        return processed_crash

    def _run_rule(self, rule: Rule, crash: CrashContext) -> None:
        start = time.perf_counter()
        try:
            if rule.predicate(crash):
                rule.action(crash)
        except Exception as exc:
            logger.exception("rule failed crash_id=%s rule=%r", crash.crash_id, rule)
            crash.note(f"ruleset {crash.ruleset!r} rule {rule!r} failed: {type(exc).__name__}")
        finally:
            METRICS.timing(
                "rule.act.timing", (time.perf_counter() - start) * 1000, tags=[f"rule:{rule.name}"]
            )

    def _finish(self, crash: CrashContext) -> None:
        processed = crash.processed_crash
        previous = processed.get("processor_notes")
        history = processed.get("processor_history")
        history = (
            [item for item in history if isinstance(item, str)] if isinstance(history, list) else []
        )
        if isinstance(previous, str) and previous:
            history.insert(0, previous)
        if history:
            processed["processor_history"] = history
        processed["processor_notes"] = "\n".join(crash.notes)
        processed["completed_datetime"] = utc_now()
