"""Request parameters checked and converted by an endpoint's declarations.

Unknown parameters are ignored (Socorro's API does the same, and crashstats-tools sends some);
a NUL character anywhere is refused; messages are Django forms' own wording.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.http import QueryDict

from jansky.crashid import InvalidCrashId, parse_crash_id
from webapp.api.declarations import Param
from webapp.api.errors import ParameterErrors

REQUIRED = "This field is required."
NUL = "Null characters are not allowed."
WHOLE_NUMBER = "Enter a whole number."
CRASH_ID = "Enter a valid crash id, such as de1bb258-cbbf-4589-a673-34f800160918."
BOOLEAN = "Enter true or false."
TRUE = frozenset({"true", "t", "1", "y", "yes", "on"})
FALSE = frozenset({"false", "f", "0", "n", "no", "off"})
_INTEGER = re.compile(r"^[+-]?\d{1,18}$")


class _Invalid(ValueError):
    pass


def validate(parameters: Iterable[Param], data: QueryDict) -> tuple[dict[str, Any], dict]:
    """The converted declared parameters and the raw values of every matched key.

    Raises ParameterErrors listing every problem at once.
    """
    parameters = tuple(parameters)
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    raw: dict[str, list[str]] = {}
    exact = {param.name: param for param in parameters if not param.prefix}
    prefixed = [param for param in parameters if param.prefix]
    for key in data:
        param = exact.get(key) or next((p for p in prefixed if p.matches(key)), None)
        if param is None:
            continue
        given = data.getlist(key)
        if any("\x00" in value for value in given):
            errors[key] = [NUL]
            continue
        raw[key] = given
    for param in parameters:
        if param.prefix or param.name in errors:
            continue
        given = [value for value in raw.get(param.name, []) if value.strip() != ""]
        if not given:
            if param.required:
                errors[param.name] = [REQUIRED]
            else:
                values[param.name] = param.default
            continue
        try:
            values[param.name] = _convert(param, given)
        except _Invalid as exc:
            errors[param.name] = [str(exc)]
    if errors:
        raise ParameterErrors(errors)
    return values, raw


def _convert(param: Param, given: list[str]) -> Any:
    if param.kind in {"list", "int_list"}:
        items = [_one(param, value) for value in given]
        return items
    return _one(param, given[-1])


def _one(param: Param, value: str) -> Any:
    if param.choices and value not in param.choices:
        raise _Invalid(
            f"Select a valid choice. {value} is not one of the available choices "
            f"({', '.join(param.choices)})."
        )
    kind = param.kind
    if kind in {"int", "int_list"}:
        if not _INTEGER.match(value.strip()):
            raise _Invalid(WHOLE_NUMBER)
        return int(value)
    if kind == "crash_id":
        try:
            return parse_crash_id(value)
        except InvalidCrashId:
            raise _Invalid(CRASH_ID) from None
    if kind == "bool":
        lowered = value.strip().lower()
        if lowered not in TRUE | FALSE:
            raise _Invalid(BOOLEAN)
        return lowered in TRUE
    return value
