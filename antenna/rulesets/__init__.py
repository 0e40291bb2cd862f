"""Throttle rule sets, chosen by name, by file or by Python path (``COLLECTOR_THROTTLE_RULES``)."""

from __future__ import annotations

import importlib
from pathlib import Path

from antenna.rulesets.files import load_rule_file
from antenna.throttler import InvalidRule, Rule

BUILTIN = {"default": "antenna.rulesets.default:RULES", "mozilla": "antenna.rulesets.mozilla:RULES"}
RULE_FILE_SUFFIXES = (".toml", ".yaml", ".yml")


def load_rules(spec: str) -> list[Rule]:
    """The rules named by ``spec``: a built-in name, a rule file path or ``module:ATTRIBUTE``."""
    spec = spec.strip()
    if spec in BUILTIN:
        spec = BUILTIN[spec]
    if spec.lower().endswith(RULE_FILE_SUFFIXES):
        return load_rule_file(Path(spec))
    module_name, sep, attribute = spec.partition(":")
    if not sep:
        raise InvalidRule(
            f"unknown throttle rule set {spec!r}: use one of {sorted(BUILTIN)}, a path ending in "
            f"{'/'.join(RULE_FILE_SUFFIXES)}, or module:ATTRIBUTE"
        )
    try:
        rules = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise InvalidRule(f"cannot load throttle rules {spec!r}: {exc}") from exc
    if not all(isinstance(rule, Rule) for rule in rules):
        raise InvalidRule(f"{spec} must be a list of antenna.throttler.Rule")
    return list(rules)
