"""Python functions SQLite calls for what SQL cannot say: words, regular expressions, buckets.

Each is registered per connection; failures are recorded on the :class:`Functions` object so
the backend can turn them into the right error after SQLite reports them.
"""

from __future__ import annotations

import math
import sqlite3
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from jansky.search import lucene_regex
from jansky.search.analysis import phrase_in, tokens
from jansky.search.dates import from_micros, to_micros
from jansky.search.errors import BadArgumentError
from jansky.search.results import interval_too_small


@lru_cache(maxsize=1024)
def _phrase(text: str, analyzer: str | None) -> tuple[str, ...]:
    return tuple(tokens(text, analyzer))


def date_bucket(micros: int, unit: str) -> int:
    """Start of the calendar ``unit`` holding ``micros`` (weeks start on Monday), in UTC."""
    moment = from_micros(micros)
    if unit == "minute":
        start = moment.replace(second=0, microsecond=0)
    elif unit == "hour":
        start = moment.replace(minute=0, second=0, microsecond=0)
    elif unit == "day":
        start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    elif unit == "week":
        day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        start = day - timedelta(days=day.weekday())
    elif unit == "month":
        start = datetime(moment.year, moment.month, 1, tzinfo=UTC)
    elif unit == "quarter":
        start = datetime(moment.year, 3 * ((moment.month - 1) // 3) + 1, 1, tzinfo=UTC)
    else:
        start = datetime(moment.year, 1, 1, tzinfo=UTC)
    return to_micros(start)


def number_bucket(value: float | int, interval: float, field_name: str) -> float:
    """``floor(value / interval) * interval`` in doubles, as the cluster computes it."""
    quotient = value / interval
    if not math.isfinite(quotient):
        raise interval_too_small(field_name)
    return float(math.floor(quotient) * interval)


class Functions:
    """The functions of one connection, and the first error one of them raised."""

    def __init__(self) -> None:
        self.error: Exception | None = None

    def register(self, connection: sqlite3.Connection) -> None:
        connection.create_function("j_phrase", 3, self._guard(self.phrase), deterministic=True)
        connection.create_function("j_token", 4, self._guard(self.token), deterministic=True)
        connection.create_function("j_regexp", 2, self._guard(self.regexp), deterministic=True)
        connection.create_function("j_datebucket", 2, self._guard(date_bucket))
        connection.create_function("j_numbucket", 3, self._guard(number_bucket))

    def _guard(self, function: Any) -> Any:
        def call(*args: Any) -> Any:
            if args[0] is None:
                return None
            try:
                return function(*args)
            except Exception as exc:
                self.error = self.error or exc
                raise

        return call

    @staticmethod
    def phrase(value: str, phrase: str, analyzer: str | None) -> int:
        return int(phrase_in(tokens(str(value), analyzer), list(_phrase(phrase, analyzer))))

    @classmethod
    def token(cls, value: str, operator: str, operand: str, analyzer: str | None) -> int:
        """Whether any word of ``value`` satisfies the string operator."""
        words = tokens(str(value), analyzer)
        return int(any(cls.compare(word, operator, operand) for word in words))

    @staticmethod
    def compare(value: str, operator: str, operand: str) -> bool:
        if operator == "=":
            return value == operand
        if operator == "~":
            return operand in value
        if operator == "^":
            return value.startswith(operand)
        if operator == "$":
            return value.endswith(operand)
        return lucene_regex.compile_pattern(operand).fullmatch(value)

    @staticmethod
    def regexp(value: str, pattern: str) -> int:
        try:
            return int(lucene_regex.compile_pattern(pattern).fullmatch(str(value)))
        except lucene_regex.RegexError as exc:
            raise BadArgumentError(f"Bad regular expression: {exc}") from None
