"""Crash ids: a uuid4 whose last seven characters hold the throttle result and the UTC date.

Layout (36 characters): ``xxxxxxxx-xxxx-4xxx-xxxx-xxxxxxTYYMMDD`` where ``T`` is the throttle
digit (0 accept, 1 defer, 3 fake accept) and ``YYMMDD`` the submission date.
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
    """Whether ``crash_id`` has the crash id shape.

    Strict mode (the default) also requires the throttle digit to be 0 or 1, as ids minted by a
    collector have; lenient mode accepts any digit (ids from Socorro's own tools use 2).
    """
    if not isinstance(crash_id, str) or not _LENIENT.fullmatch(crash_id):
        return False
    return not strict or crash_id[-7] in "01"


def validate_crash_id(crash_id: object, strict: bool = False) -> str:
    """Return ``crash_id`` unchanged if it is valid, else raise :class:`InvalidCrashId`.

    Storage and queues validate leniently so that any well-formed id can be stored and moved.
    """
    if not isinstance(crash_id, str):
        raise InvalidCrashId(crash_id, f"expected a string, got {type(crash_id).__name__}")
    if not _LENIENT.fullmatch(crash_id):
        raise InvalidCrashId(crash_id)
    if strict and crash_id[-7] not in "01":
        raise InvalidCrashId(crash_id, "the throttle digit (7th from the end) must be 0 or 1")
    return crash_id


def parse_crash_id(text: str, strict: bool = False) -> str:
    """Normalize user input: strip whitespace and a ``bp-`` prefix, then validate."""
    candidate = text.strip()
    if candidate.startswith(_BP_PREFIX):
        candidate = candidate[len(_BP_PREFIX) :]
    return validate_crash_id(candidate, strict=strict)


def date_from_crash_id(crash_id: str) -> datetime.date | None:
    """The submission date encoded in the id, or None if the digits are not a date."""
    try:
        return datetime.datetime.strptime("20" + crash_id[-6:], "%Y%m%d").date()
    except ValueError:
        return None


def throttle_result_from_crash_id(crash_id: str) -> int:
    """The throttle digit of a valid id."""
    return int(validate_crash_id(crash_id)[-7])
