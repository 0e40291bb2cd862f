"""Exceptions of the search package: what the caller did wrong versus what is down."""

from __future__ import annotations


class SearchError(Exception):
    """The search backend failed or is unreachable; the caller may retry later."""


class BadArgumentError(ValueError):
    """A Super Search parameter is invalid; the API answers 400 with this message."""

    def __init__(self, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.parameter = parameter


class InvalidSearchUrl(ValueError):
    """``SEARCH_URL`` names no search backend Jansky knows."""
