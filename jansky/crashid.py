"""Crash ids: a uuid4 whose last seven characters hold the throttle result and the UTC date.

Layout (36 characters): ``xxxxxxxx-xxxx-4xxx-xxxx-xxxxxxTYYMMDD`` where ``T`` is the throttle
digit (0 accept, 1 defer, 3 fake accept) and ``YYMMDD`` the submission date. Validation
requires that date to be real (no ``991399``), since storage keys are built from it.
"""

from __future__ import annotations

import datetime
import re
import uuid

THROTTLE_ACCEPT = 0
THROTTLE_DEFER = 1
THROTTLE_REJECT = 2
THROTTLE_FAKEACCEPT = 3

_LENIENT = re.compile(r"^[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{6}[0-9]{6}$")
_BP_PREFIX = "bp-"


class InvalidCrashId(ValueError):
    """A crash id that does not have the required shape."""

    def __init__(self, crash_id: object, reason: str = "") -> None:
        shown = repr(crash_id)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        detail = reason or (
            "expected 36 lowercase characters like de1bb258-cbbf-4589-a673-34f800160918"
        )
        super().__init__(f"invalid crash id {shown}: {detail}")
        self.crash_id = crash_id


def create_crash_id(
    timestamp: datetime.datetime | None = None, throttle_result: int = THROTTLE_ACCEPT
) -> str:
    """Make a new crash id for a crash received at ``timestamp`` (UTC now by default)."""
    if not 0 <= throttle_result <= 9:
        raise ValueError(f"throttle result must be one digit, got {throttle_result!r}")
    when = timestamp or datetime.datetime.now(datetime.UTC)
    if when.tzinfo is not None:
        when = when.astimezone(datetime.UTC)
    return f"{str(uuid.uuid4())[:-7]}{throttle_result}{when:%y%m%d}"


def is_valid_crash_id(crash_id: object, strict: bool = True) -> bool:
    """Whether ``crash_id`` has the crash id shape and ends in a real date.

    Strict mode (the default) also requires the throttle digit to be 0 or 1, as ids minted by a
    collector have; lenient mode accepts any digit (ids from Socorro's own tools use 2).
    """
    return isinstance(crash_id, str) and _problem(crash_id, strict) is None


def validate_crash_id(crash_id: object, strict: bool = False) -> str:
    """Return ``crash_id`` unchanged if it is valid, else raise :class:`InvalidCrashId`.

    Storage and queues validate leniently so that any id a collector or Socorro's tools could
    have minted can be stored and moved; even then the date must be real, because storage keys
    are built from it.
    """
    if not isinstance(crash_id, str):
        raise InvalidCrashId(crash_id, f"expected a string, got {type(crash_id).__name__}")
    problem = _problem(crash_id, strict)
    if problem is not None:
        raise InvalidCrashId(crash_id, problem)
    return crash_id


def _problem(crash_id: str, strict: bool) -> str | None:
    """Why ``crash_id`` is not a valid crash id ("" for a wrong shape), or None if it is."""
    if not _LENIENT.fullmatch(crash_id):
        return ""
    if strict and crash_id[-7] not in "01":
        return "the throttle digit (7th from the end) must be 0 or 1"
    if date_from_crash_id(crash_id) is None:
        return (
            f"{crash_id[-6:]} is not a real date (YYMMDD): the last six digits are the "
            "submission date"
        )
    return None


def parse_crash_id(text: str, strict: bool = False) -> str:
    """Normalize user input: strip whitespace and a ``bp-`` prefix, then validate."""
    candidate = text.strip()
    if candidate.startswith(_BP_PREFIX):
        candidate = candidate[len(_BP_PREFIX) :]
    return validate_crash_id(candidate, strict=strict)


def date_from_crash_id(crash_id: str) -> datetime.date | None:
    """The submission date encoded in the id (``20YY-MM-DD``), or None if it is not a date."""
    digits = crash_id[-6:]
    if len(digits) != 6 or not digits.isascii() or not digits.isdigit():
        return None
    try:
        return datetime.date(2000 + int(digits[:2]), int(digits[2:4]), int(digits[4:]))
    except ValueError:
        return None


def throttle_result_from_crash_id(crash_id: str) -> int:
    """The throttle digit of a valid id."""
    return int(validate_crash_id(crash_id)[-7])
