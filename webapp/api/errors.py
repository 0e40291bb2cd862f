"""What an endpoint raises when it cannot answer, and the status and JSON each gets.

The messages follow Socorro's API so that scripts matching on them keep working; Jansky adds a
readable ``error`` next to form ``errors`` (crashstats-tools shows only ``error``).
"""

from __future__ import annotations

from webapp.crashstats.permissions import display_name


class ApiError(Exception):
    """An answer other than 200: ``status`` and the ``error`` message."""

    status = 400

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class ParameterErrors(ApiError):
    """Missing or ill-typed parameters: 400 ``{"errors": {param: [messages]}, "error": ...}``."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        summary = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items())
        super().__init__(f"Bad request: {summary}", 400)
        self.errors = errors


class CrashIDNotFound(ApiError):
    """404 ``Not found: CrashIDNotFound <what>``."""

    def __init__(self, what: str) -> None:
        super().__init__(f"Not found: CrashIDNotFound {what}", 404)


class PermissionRequired(ApiError):
    """403: the endpoint needs a permission the caller does not hold."""

    def __init__(self, codename: str) -> None:
        super().__init__(
            f"Use of this endpoint requires the '{display_name(codename)}' permission", 403
        )


class BinaryPermissionRequired(ApiError):
    """403: a binary download (a minidump) needs a permission the caller does not hold."""

    def __init__(self, codename: str) -> None:
        super().__init__(f"Binary response requires permissions: {display_name(codename)}", 403)


def bad_request(exc: Exception) -> ApiError:
    """400 ``Bad request: <ExceptionClass>: <message>`` for a rejected value."""
    return ApiError(f"Bad request: {type(exc).__name__}: {exc}", 400)
