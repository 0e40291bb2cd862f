"""How an API endpoint is declared: its parameters, methods, permission and answer.

The same declarations validate requests (:mod:`webapp.api.validation`) and generate the API
reference (:mod:`webapp.api.reference`), so the documentation cannot drift from the code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.http import HttpRequest, HttpResponse

from webapp.crashstats.permissions import Access

# Parameter kinds: how values are read and converted.
KINDS = {
    "str": "a string (the last value if repeated)",
    "list": "a list of strings (repeat the parameter)",
    "int": "an integer",
    "int_list": "a list of integers (repeat the parameter)",
    "crash_id": "a crash id such as de1bb258-cbbf-4589-a673-34f800160918 (bp- prefix allowed)",
    "bool": "true or false (also 1/0, yes/no)",
}


@dataclass(frozen=True)
class Param:
    """One request parameter.

    A ``prefix`` parameter stands for every name starting with it (``_aggs.`` covers
    ``_aggs.product``, ``_aggs.product.version``, ...).
    """

    name: str
    kind: str = "str"
    required: bool = False
    doc: str = ""
    choices: tuple[str, ...] = ()
    default: Any = None
    prefix: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"parameter {self.name}: unknown kind {self.kind!r}")

    def matches(self, key: str) -> bool:
        return key.startswith(self.name) if self.prefix else key == self.name

    def describe(self) -> dict[str, Any]:
        return {
            "name": f"{self.name}<field>" if self.prefix else self.name,
            "type": self.kind,
            "type_description": KINDS[self.kind],
            "required": self.required,
            "description": self.doc,
            "choices": list(self.choices),
            "default": self.default,
        }


@dataclass
class Call:
    """One validated request to an endpoint."""

    request: HttpRequest
    access: Access
    params: dict[str, Any]  # declared parameters, converted
    raw: dict[str, list[str]] = field(default_factory=dict)  # every matched key's raw values


class Endpoint:
    """Base of every endpoint. Subclasses set the class attributes and write ``handle``.

    ``handle`` returns data to send as JSON, or an HttpResponse (binary downloads); it raises
    :mod:`webapp.api.errors` exceptions, ``jansky.search.BadArgumentError`` for bad values, and
    lets backend failures propagate (the view turns them into answers).
    """

    name: ClassVar[str]
    summary: ClassVar[str]
    methods: ClassVar[tuple[str, ...]] = ("GET",)
    parameters: ClassVar[tuple[Param, ...]] = ()
    permission: ClassVar[str | None] = None  # a crashstats codename
    returns: ClassVar[str] = ""
    example: ClassVar[Any] = None
    cache_seconds: ClassVar[int] = 0  # > 0: the answer may be cached privately this long

    def all_parameters(self) -> tuple[Param, ...]:
        """The parameters validated and documented; Super Search adds one per field."""
        return self.parameters

    def handle(self, call: Call) -> Any | HttpResponse:
        raise NotImplementedError

    def describe_extra(self) -> Mapping[str, Any]:
        """Anything else the reference shows for this endpoint."""
        return {}
