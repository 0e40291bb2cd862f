"""Super Search filters as the pages' field builder shows them: one row per field, operator
and value, and back to Super Search parameters.

A parameter value carries its operator as a prefix (``signature=~OOM``, ``date=>=2024-10-01``,
``!`` negating any of them); each row splits one value into ``(field, operator, value)`` with
the operators the field's type accepts (``jansky.search.fields.OPERATORS``), so every operator
of the query language has a row form and a label, and a row joins back to exactly the value it
came from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.http import QueryDict

from jansky.search import Field, get_registry
from jansky.search.fields import WHOLE_VALUE_OPERATORS
from webapp.crashstats.permissions import Access

NEGATION = "!"
# Operators the builder offers per validation type, in menu order; "!" prefixes negate.
BUILDER_OPERATORS = {
    "str": (
        "",
        "!",
        "=",
        "!=",
        "~",
        "!~",
        "^",
        "!^",
        "$",
        "!$",
        "@",
        "!@",
        "!__null__",
        "__null__",
    ),
    "int": ("", "!", ">", ">=", "<", "<=", "!__null__", "__null__"),
    "float": ("", "!", ">", ">=", "<", "<=", "!__null__", "__null__"),
    "datetime": (">=", ">", "<", "<=", "!__null__", "__null__"),
    "bool": ("__true__", "!__true__", "", "!__null__", "__null__"),
    "enum": ("", "!", "!__null__", "__null__"),
}
OPERATOR_LABELS = {
    "": "matches",
    "!": "does not match",
    "=": "is exactly",
    "!=": "is not exactly",
    "~": "contains",
    "!~": "does not contain",
    "^": "starts with",
    "!^": "does not start with",
    "$": "ends with",
    "!$": "does not end with",
    "@": "matches regex",
    "!@": "does not match regex",
    ">": "> (greater than)",
    ">=": ">= (at least)",
    "<": "< (less than)",
    "<=": "<= (at most)",
    "__null__": "does not exist",
    "!__null__": "exists",
    "__true__": "is true",
    "!__true__": "is false",
}
# Operators that stand for the whole value: their rows have no value input.
VALUELESS = frozenset({"__null__", "!__null__", "__true__", "!__true__"})
# The form's own parameters: one entry per builder row.
ROW_FIELD, ROW_OPERATOR, ROW_VALUE = "_field", "_op", "_value"
FORM_MARKER = "_form"


@dataclass(frozen=True)
class Row:
    field: str
    operator: str
    value: str

    def joined(self) -> str:
        return self.operator if self.operator in VALUELESS else f"{self.operator}{self.value}"


def split_value(field: Field, raw: str) -> tuple[str, str]:
    """``(operator, value)`` of one parameter value, with the field's own operators."""
    negated = raw.startswith(NEGATION)
    text = raw[1:] if negated else raw
    prefix = NEGATION if negated else ""
    for operator in field.operators:
        if operator in WHOLE_VALUE_OPERATORS:
            if text == operator:
                return prefix + operator, ""
        elif operator == "" or text.startswith(operator):
            return prefix + operator, text[len(operator) :]
    return prefix, text  # a date without an operator: Super Search answers why it is wrong


def visible_fields(access: Access) -> list[Field]:
    """Every Super Search field ``access`` may filter, show and aggregate on."""
    permissions = access.schema_permissions
    return [field for field in get_registry() if field.visible_to(permissions)]


def rows_from_params(
    params: Mapping[str, Iterable[str]], access: Access, exclude: Iterable[str] = ()
) -> list[Row]:
    """One row per filter value of a field the viewer may use, in field order."""
    skipped = set(exclude)
    rows = []
    for field in visible_fields(access):
        if field.name in skipped:
            continue
        for raw in params.get(field.name, ()):
            if raw == "":
                continue
            operator, value = split_value(field, raw)
            rows.append(Row(field.name, operator, value))
    return rows


def rows_from_form(data: QueryDict) -> list[Row]:
    """The builder rows a submitted form holds (rows without a field or value are dropped)."""
    registry = get_registry()
    rows = []
    for name, operator, value in zip(
        data.getlist(ROW_FIELD), data.getlist(ROW_OPERATOR), data.getlist(ROW_VALUE), strict=False
    ):
        if name not in registry:
            continue
        if operator not in OPERATOR_LABELS:
            operator = ""
        if operator not in VALUELESS and value.strip() == "":
            continue
        rows.append(Row(name, operator, value.strip()))
    return rows


def params_from_rows(rows: Iterable[Row]) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    for row in rows:
        params.setdefault(row.field, []).append(row.joined())
    return params


def builder_fields(access: Access, exclude: Iterable[str] = ()) -> list[dict[str, Any]]:
    """What the field builder offers: each usable field with its operators and labels."""
    skipped = set(exclude)
    return [
        {
            "name": field.name,
            "label": field.name.replace("_", " "),
            "type": field.query_type,
            "operators": [
                {"value": operator, "label": OPERATOR_LABELS[operator]}
                for operator in BUILDER_OPERATORS[field.validation_type]
            ],
            "valueless": sorted(VALUELESS & set(BUILDER_OPERATORS[field.validation_type])),
            "protected": field.is_protected,
        }
        for field in visible_fields(access)
        if field.name not in skipped
    ]


def row_context(row: Row) -> dict[str, Any]:
    """A row for the form template: its values and the operators its field offers."""
    field = get_registry().get(row.field)
    operators = BUILDER_OPERATORS[field.validation_type] if field else ("",)
    return {
        "field": row.field,
        "operator": row.operator,
        "value": row.value,
        "valueless": row.operator in VALUELESS,
        "operators": [{"value": op, "label": OPERATOR_LABELS[op]} for op in operators],
    }


EMPTY_ROW = Row("signature", "~", "")


def builder_spec(access: Access, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """What the page's field builder needs, compactly: each usable field's type, and each
    type's operators once (the same as :func:`builder_fields`, a tenth of the size)."""
    skipped = set(exclude)
    return {
        "fields": {
            field.name: field.validation_type
            for field in visible_fields(access)
            if field.name not in skipped
        },
        "types": {
            validation_type: {
                "operators": [
                    {"value": operator, "label": OPERATOR_LABELS[operator]}
                    for operator in operators
                ],
                "valueless": sorted(VALUELESS & set(operators)),
            }
            for validation_type, operators in BUILDER_OPERATORS.items()
        },
    }
