"""Build and send crash reports the way crash reporters do (for `jansky submit`, tests, bench).

Three shapes: annotations as form fields (Breakpad), as one JSON part named ``extra``
(Firefox), optionally gzipped (Crashpad sends ``Content-Encoding: gzip``).
"""

from __future__ import annotations

import gzip
import http.client
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class EncodedReport:
    """A request body and the headers that describe it."""

    body: bytes
    headers: dict[str, str]


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def encode_report(
    annotations: Mapping[str, Any],
    dumps: Mapping[str, bytes],
    json_extra: bool = False,
    compress: bool = False,
    boundary: str | None = None,
) -> EncodedReport:
    """A ``multipart/form-data`` crash report; dumps are sent as ``<name>.dmp`` files."""
    boundary = boundary or uuid.uuid4().hex
    chunks: list[bytes] = []

    def part(headers: str, data: bytes) -> None:
        chunks.append(f"--{boundary}\r\n{headers}\r\n\r\n".encode())
        chunks.append(data)
        chunks.append(b"\r\n")

    if json_extra:
        part(
            'Content-Disposition: form-data; name="extra"; filename="extra.json"\r\n'
            "Content-Type: application/json",
            json.dumps(dict(annotations)).encode("utf-8"),
        )
    else:
        for name, value in annotations.items():
            part(
                f'Content-Disposition: form-data; name="{_quote(name)}"',
                str(value).encode("utf-8"),
            )
    for name, data in dumps.items():
        part(
            f'Content-Disposition: form-data; name="{_quote(name)}"; filename="{_quote(name)}.dmp"'
            "\r\nContent-Type: application/octet-stream",
            data,
        )
    chunks.append(f"--{boundary}--\r\n".encode())
    body = b"".join(chunks)
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    if compress:
        body = gzip.compress(body, compresslevel=6)
        headers["Content-Encoding"] = "gzip"
    headers["Content-Length"] = str(len(body))
    return EncodedReport(body, headers)


@dataclass(frozen=True)
class SubmitResponse:
    """What the collector answered (header names lower-cased)."""

    status: int
    body: str
    headers: dict[str, str]

    @property
    def crash_id(self) -> str | None:
        """The id from ``CrashID=bp-<id>``, or None if the crash was not accepted."""
        if self.status == 200 and self.body.startswith("CrashID=bp-"):
            return self.body.strip()[len("CrashID=bp-") :]
        return None


def post_report(
    url: str,
    report: EncodedReport,
    timeout: float = 30.0,
    connection: http.client.HTTPConnection | None = None,
    user_agent: str = "jansky-submit/1",
) -> SubmitResponse:
    """POST ``report`` to ``url``; reuses ``connection`` (keep-alive) when given.

    Raises :class:`OSError` when no whole answer arrives: ``ConnectionError`` for one cut off
    or garbled (the server died mid-answer, say), so callers handle one exception family.
    """
    parts = urlsplit(url)
    path = parts.path or "/submit"
    if parts.query:
        path += "?" + parts.query
    if connection is None:
        connection_class = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        connection = connection_class(parts.netloc, timeout=timeout)
        close = True
    else:
        close = False
    try:
        connection.request(
            "POST", path, body=report.body, headers={**report.headers, "User-Agent": user_agent}
        )
        response = connection.getresponse()
        body = response.read().decode("utf-8", "replace")
        headers = {name.lower(): value for name, value in response.getheaders()}
        return SubmitResponse(response.status, body, headers)
    except http.client.HTTPException as exc:  # IncompleteRead, BadStatusLine, ...
        raise ConnectionError(f"no whole HTTP answer: {exc!r}") from exc
    finally:
        if close:
            connection.close()
