"""Decide what happens to a crash: accept, defer, reject, fake-accept, by ordered rules.

A rule looks at one annotation (or the whole crash) and returns a result, possibly sampled:
``Sample(10, ACCEPT, REJECT)`` accepts 10% of matching crashes. The first rule whose result is
not CONTINUE decides; when no rule decides, the crash is rejected as ``NO_MATCH``.
"""

from __future__ import annotations

import enum
import logging
import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

RULE_NAME = re.compile(r"^[a-z0-9_]+$", re.IGNORECASE)
WHOLE_CRASH = "*"


class Result(enum.IntEnum):
    """Throttle results; the value is the digit stored in the crash id (ACCEPT 0, DEFER 1)."""

    ACCEPT = 0
    DEFER = 1
    REJECT = 2
    FAKEACCEPT = 3
    CONTINUE = 4


@dataclass(frozen=True)
class Sample:
    """Use ``matched`` for ``percent``% of crashes and ``otherwise`` for the rest."""

    percent: float
    matched: Result
    otherwise: Result


class InvalidRule(ValueError):
    """A throttle rule that cannot be used (bad name or result)."""


@dataclass(frozen=True)
class Rule:
    """``condition`` gets ``str(crash[key])`` (the rule applies only if ``key`` is present),
    or the whole crash when ``key`` is ``"*"``."""

    name: str
    key: str
    condition: Callable[[Any], bool]
    result: Result | Sample

    def __post_init__(self) -> None:
        if not RULE_NAME.match(self.name):
            raise InvalidRule(
                f"throttle rule name {self.name!r} must use only letters, digits and _"
            )
        if isinstance(self.result, Sample):
            if not 0 <= self.result.percent <= 100:
                raise InvalidRule(f"rule {self.name}: percent must be between 0 and 100")
        elif not isinstance(self.result, Result):
            raise InvalidRule(f"rule {self.name}: result must be a Result or a Sample")


@dataclass(frozen=True)
class Decision:
    """The throttler's verdict: the result, the deciding rule and its percentage."""

    result: Result
    rule_name: str
    percent: float


NO_MATCH = Decision(Result.REJECT, "NO_MATCH", 0)


class Throttler:
    """Apply ``rules`` in order; ``draw`` returns a float in [0, 1) (injectable for tests)."""

    def __init__(self, rules: Sequence[Rule], draw: Callable[[], float] = random.random) -> None:
        names = [rule.name for rule in rules]
        duplicates = {name for name in names if names.count(name) > 1}
        if duplicates:
            raise InvalidRule(f"throttle rule names must be unique: {sorted(duplicates)}")
        self.rules = tuple(rules)
        self.draw = draw

    def throttle(self, raw_crash: Mapping[str, Any]) -> Decision:
        """The decision for ``raw_crash`` (its annotations, before collector fields)."""
        for rule in self.rules:
            if not self._matches(rule, raw_crash):
                continue
            if isinstance(rule.result, Sample):
                sample = rule.result
                result = sample.matched if self.draw() * 100 <= sample.percent else sample.otherwise
                percent = sample.percent
            else:
                result, percent = rule.result, 100
            if result is not Result.CONTINUE:
                return Decision(result, rule.name, percent)
        return NO_MATCH

    @staticmethod
    def _matches(rule: Rule, raw_crash: Mapping[str, Any]) -> bool:
        if rule.key == WHOLE_CRASH:
            value: Any = raw_crash
        elif rule.key in raw_crash:
            value = str(raw_crash[rule.key])
        else:
            return False
        try:
            return bool(rule.condition(value))
        except Exception:
            # Crash data is hostile: a condition that cannot cope with it does not match.
            logger.warning("throttle rule %s failed on this crash; treated as no match", rule.name)
            return False
