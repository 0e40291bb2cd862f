"""Throttle rules from a TOML or YAML file, for deployments that do not write Python.

Each rule has a ``name``, a ``result`` (a result name or ``{percent, matched, otherwise}``)
and optional ``when`` conditions on annotations, all of which must hold::

    [[rules]]
    name = "is_nightly"
    result = "ACCEPT"
    when = { ReleaseChannel = { startswith = "nightly" } }

Operators: ``present`` (true/false), ``equals``, ``not_equals``, ``in``, ``not_in``,
``startswith``, ``matches`` (a regular expression searched in the value). Annotation values are
compared as text; an absent annotation only satisfies ``present = false`` and ``not_*``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from antenna.throttler import WHOLE_CRASH, InvalidRule, Result, Rule, Sample

Check = Callable[[str | None], bool]


def _operator(name: str, argument: Any, where: str) -> Check:
    if name == "present":
        return lambda value: (value is not None) == bool(argument)
    if name in {"in", "not_in"}:
        if not isinstance(argument, list):
            raise InvalidRule(f"{where}: `{name}` needs a list")
        choices = frozenset(str(item) for item in argument)
        if name == "in":
            return lambda value: value is not None and value in choices
        return lambda value: value is None or value not in choices
    if not isinstance(argument, str | int | float):
        raise InvalidRule(f"{where}: `{name}` needs a text value")
    text = str(argument)
    if name == "equals":
        return lambda value: value == text
    if name == "not_equals":
        return lambda value: value != text
    if name == "startswith":
        return lambda value: value is not None and value.startswith(text)
    if name == "matches":
        try:
            pattern = re.compile(text)
        except re.error as exc:
            raise InvalidRule(f"{where}: bad regular expression {text!r}: {exc}") from exc
        return lambda value: value is not None and pattern.search(value) is not None
    raise InvalidRule(
        f"{where}: unknown operator {name!r}; use present, equals, not_equals, in, not_in, "
        "startswith or matches"
    )


def _condition(when: Mapping[str, Any], where: str) -> Callable[[Mapping[str, Any]], bool]:
    checks: list[tuple[str, Check]] = []
    for key, operators in when.items():
        if not isinstance(operators, Mapping) or not operators:
            raise InvalidRule(f"{where}: conditions on {key!r} must be a table of operators")
        for name, argument in operators.items():
            checks.append((key, _operator(name, argument, f"{where}, {key}")))

    def condition(crash: Mapping[str, Any]) -> bool:
        return all(check(str(crash[key]) if key in crash else None) for key, check in checks)

    return condition


def _result(value: Any, where: str) -> Result | Sample:
    if isinstance(value, str):
        try:
            return Result[value.upper()]
        except KeyError:
            raise InvalidRule(
                f"{where}: unknown result {value!r}; use one of {[r.name for r in Result]}"
            ) from None
    if isinstance(value, Mapping) and set(value) == {"percent", "matched", "otherwise"}:
        percent = value["percent"]
        if not isinstance(percent, int | float):
            raise InvalidRule(f"{where}: percent must be a number")
        return Sample(
            float(percent), _result(value["matched"], where), _result(value["otherwise"], where)
        )
    raise InvalidRule(f"{where}: result must be a name or {{percent, matched, otherwise}}")


def parse_rules(document: Any, source: str) -> list[Rule]:
    """Rules from a parsed rule document (``{"rules": [...]}``)."""
    if not isinstance(document, Mapping) or not isinstance(document.get("rules"), list):
        raise InvalidRule(f"{source}: expected a top-level `rules` list")
    rules = []
    for index, entry in enumerate(document["rules"], start=1):
        where = f"{source}: rule {index}"
        if not isinstance(entry, Mapping) or "name" not in entry or "result" not in entry:
            raise InvalidRule(f"{where}: each rule needs `name` and `result`")
        unknown = set(entry) - {"name", "result", "when"}
        if unknown:
            raise InvalidRule(f"{where}: unknown keys {sorted(unknown)}")
        when = entry.get("when", {})
        if not isinstance(when, Mapping):
            raise InvalidRule(f"{where}: `when` must be a table")
        rules.append(
            Rule(
                str(entry["name"]),
                WHOLE_CRASH,
                _condition(when, where),
                _result(entry["result"], where),
            )
        )
    return rules


def load_rule_file(path: Path) -> list[Rule]:
    """Read a ``.toml`` or ``.yaml``/``.yml`` rule file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidRule(f"cannot read throttle rule file {path}: {exc}") from exc
    try:
        parse = tomllib.loads if path.suffix.lower() == ".toml" else yaml.safe_load
        document = parse(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise InvalidRule(f"{path} is not valid {path.suffix[1:].upper()}: {exc}") from exc
    return parse_rules(document, str(path))
