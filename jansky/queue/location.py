"""Parse ``QUEUE_URL``: which queue backend to use and where its data is."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

DEFAULT_SQS_PREFIX = "jansky-"
SUPPORTED = "sqlite:///path/queue.db, sqlite://relative/queue.db or sqs://?prefix=jansky-"


class InvalidQueueUrl(ValueError):
    """A ``QUEUE_URL`` that names no supported backend or is malformed."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"invalid QUEUE_URL {url!r}: {reason} (supported: {SUPPORTED})")
        self.url = url


@dataclass(frozen=True)
class SqliteLocation:
    """A SQLite queue file; a relative path is relative to the working directory."""

    path: str


@dataclass(frozen=True)
class SqsLocation:
    """SQS queues named ``<prefix><queue>``; the endpoint comes from the AWS environment."""

    prefix: str = DEFAULT_SQS_PREFIX


def parse_queue_url(url: str) -> SqliteLocation | SqsLocation:
    """Where the queues are, from ``sqlite://<path>`` or ``sqs://?prefix=<prefix>``."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise InvalidQueueUrl(url, "expected <scheme>://...")
    if scheme == "sqlite":
        if not rest:
            raise InvalidQueueUrl(url, "the SQLite URL has no path")
        return SqliteLocation(path=rest)
    if scheme == "sqs":
        return _parse_sqs(url)
    raise InvalidQueueUrl(url, f"unknown scheme {scheme!r}")


def _parse_sqs(url: str) -> SqsLocation:
    parts = urlsplit(url)
    if parts.netloc or parts.path not in ("", "/") or parts.fragment:
        raise InvalidQueueUrl(
            url,
            "an SQS URL takes only ?prefix=...; set the endpoint with AWS_ENDPOINT_URL_SQS "
            "and the region with AWS_REGION",
        )
    query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    unknown = sorted(set(query) - {"prefix"})
    if unknown:
        raise InvalidQueueUrl(url, f"unknown parameter(s) {', '.join(unknown)}")
    prefixes = query.get("prefix", [DEFAULT_SQS_PREFIX])
    if len(prefixes) != 1:
        raise InvalidQueueUrl(url, "give prefix once")
    return SqsLocation(prefix=prefixes[0])
