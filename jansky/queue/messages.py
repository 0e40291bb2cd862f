"""Queue message bodies: a crash id, optionally followed by ``:<ruleset>``.

The bare crash id is what Antenna and Socorro put on their queues, so Jansky's queues stay
readable and writable by their tools. Bodies are crash data and are validated before any
backend sees them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from jansky.crashid import InvalidCrashId, validate_crash_id

_RULESET = re.compile(r"[a-z_]{1,40}")
CRASH_ID_LENGTH = 36


def validate_body(body: object) -> str:
    """Return ``body`` unchanged if it is ``<crash id>[:<ruleset>]``, else raise InvalidCrashId."""
    if not isinstance(body, str):
        raise InvalidCrashId(body, f"expected a string, got {type(body).__name__}")
    crash_id, sep, ruleset = body.partition(":")
    validate_crash_id(crash_id)
    if len(crash_id) != CRASH_ID_LENGTH:
        # validate_crash_id's pattern ends in `$`, which also matches before a final newline.
        raise InvalidCrashId(body)
    if sep and not _RULESET.fullmatch(ruleset):
        raise InvalidCrashId(
            body,
            "the ruleset after ':' must be 1 to 40 characters from a-z and '_' "
            "(for example 'default' or 'regenerate_signature')",
        )
    return body


def validate_bodies(bodies: Iterable[object]) -> list[str]:
    """Validate every body before any is sent, so a batch is published whole or not at all."""
    if isinstance(bodies, str | bytes):
        raise TypeError("publish takes a sequence of bodies, not a single string")
    return [validate_body(body) for body in bodies]


def is_valid_body(body: object) -> bool:
    """Whether a received body is a crash-id message (and not, say, a collector's ``test``)."""
    try:
        validate_body(body)
    except InvalidCrashId:
        return False
    return True


def make_body(crash_id: str, ruleset: str | None = None) -> str:
    """The body for ``crash_id``, asking for ``ruleset`` when given."""
    return validate_body(f"{crash_id}:{ruleset}" if ruleset is not None else crash_id)
