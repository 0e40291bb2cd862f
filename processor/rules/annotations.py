"""Copy annotations into processed fields, converted to the types the schema declares.

The processed-crash schema names, for each field fed by an annotation, its
``source_annotation``; the field's first non-null ``type`` says how to convert the (string)
annotation value. A value that does not convert is left out, with a note.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from jansky.schemas import Schema
from processor.rules.base import CrashContext, Rule

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
TRUE_STRINGS = {"1", "true"}
FALSE_STRINGS = {"0", "false"}


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def loads_strict(text: str | bytes) -> Any:
    """``json.loads`` without NaN and Infinity, which other JSON readers refuse."""
    return json.loads(text, parse_constant=_reject_constant)


class ConversionFailed(ValueError):
    """The annotation value does not fit the field's type; the message is a public note."""


@dataclass(frozen=True)
class CopySpec:
    """One field fed by one annotation."""

    field: str
    annotation: str
    type: str
    has_default: bool
    default: Any


def field_type(schema: Schema, node: dict[str, Any]) -> str:
    """The first non-null JSON type of a property, following a top-level ``$ref``."""
    types = node.get("type")
    ref = node.get("$ref")
    if types is None and isinstance(ref, str) and ref.startswith("#/$defs/"):
        types = schema.document["$defs"][ref.split("/")[-1]].get("type")
    if isinstance(types, str):
        types = [types]
    for name in types or ["string"]:
        if name != "null":
            return name
    return "string"


def copy_specs(schema: Schema) -> list[CopySpec]:
    """What to copy, read once from the schema."""
    specs = []
    properties = schema.document["properties"]
    for field, annotation in schema.source_annotations().items():
        node = properties[field]
        specs.append(
            CopySpec(
                field=field,
                annotation=annotation,
                type=field_type(schema, node),
                has_default="default" in node,
                default=node.get("default"),
            )
        )
    return specs


def convert(value: Any, type_name: str, annotation: str) -> Any:
    """``value`` as ``type_name``; raises ConversionFailed with a note-worthy message."""
    if type_name == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower() if isinstance(value, str | int) else None
        if text in TRUE_STRINGS:
            return True
        if text in FALSE_STRINGS:
            return False
        raise ConversionFailed(f"{annotation} has non-boolean value {str(value)[:20]!r}")
    if type_name == "integer":
        try:
            if isinstance(value, bool) or not isinstance(value, str | int):
                raise ValueError
            number = int(value.strip()) if isinstance(value, str) else value
        except ValueError:
            raise ConversionFailed(f"{annotation} has a non-int value") from None
        if not INT64_MIN <= number <= INT64_MAX:
            raise ConversionFailed(f"{annotation} has an int value out of range")
        return number
    if type_name == "number":
        try:
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise ValueError
            number = float(value)
        except (ValueError, OverflowError):
            raise ConversionFailed(f"{annotation} has a non-float value") from None
        if not math.isfinite(number):
            raise ConversionFailed(f"{annotation} has a non-finite float value")
        return number
    if type_name in ("object", "array"):
        if isinstance(value, str):
            try:
                value = loads_strict(value)
            except (ValueError, RecursionError):
                raise ConversionFailed(f"{annotation} is not valid JSON") from None
        expected = dict if type_name == "object" else list
        if not isinstance(value, expected):
            raise ConversionFailed(f"{annotation} is not a JSON {type_name}")
        return value
    if isinstance(value, str):
        return value.rstrip()
    raise ConversionFailed(f"{annotation} is not a string")


class CopyFromRawCrashRule(Rule):
    """Copy every schema field that has a ``source_annotation``, converting its type."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.specs = copy_specs(schema)

    def action(self, crash: CrashContext) -> None:
        for spec in self.specs:
            if spec.annotation not in crash.raw_crash:
                if spec.has_default:
                    crash.processed_crash[spec.field] = spec.default
                continue
            try:
                value = convert(crash.raw_crash[spec.annotation], spec.type, spec.annotation)
            except ConversionFailed as exc:
                crash.note(str(exc))
                continue
            if spec.type in ("object", "array") and self.schema.validate({spec.field: value}):
                crash.note(f"{spec.annotation} does not match the schema of {spec.field}")
                continue
            crash.processed_crash[spec.field] = value
