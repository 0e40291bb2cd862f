"""PUT, GET, HEAD and DELETE S3 objects with one signed HTTP request each, without botocore's
call machinery.

A botocore ``put_object`` or ``get_object`` spends about 2.5 ms of CPU per call in Python
before any byte is sent; the collector makes three PUTs per crash and the processor three GETs
and a PUT (cron's checks and deletions, a HEAD or DELETE per object). This module signs each
request itself (AWS Signature Version 4 with a SHA-256 of the payload, so the server checks the
bytes it got) and sends it on a keep-alive connection per thread: a fraction of that cost.
Credentials, region and endpoint still come from botocore, so every way of configuring them
keeps working. Everything else stays with boto3.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import http.client
import os
import random
import re
import ssl
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "s3"
# Answers worth another attempt: server errors and throttling (botocore's standard mode).
SUCCESS_STATUSES = frozenset({200, 204})  # 204: a DELETE
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRYABLE_CODES = frozenset({"RequestTimeout", "SlowDown", "RequestTimeTooSkewed"})
MAX_BACKOFF_SECONDS = 20.0
_ERROR_CODE = re.compile(rb"<Code>([^<]{1,100})</Code>")
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_MISSING_CODES = frozenset({"NoSuchKey", "404"})


class DirectRequestFailed(Exception):
    """The request did not succeed; ``code`` is the S3 error code when the server gave one."""

    def __init__(self, message: str, code: str = "", unreachable: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.unreachable = unreachable  # no answer at all: down, refused or timed out


class SigningKeys:
    """SigV4 signing keys, derived once per secret, day and region."""

    def __init__(self) -> None:
        self._cached: tuple[tuple[str, str, str], bytes] | None = None

    def key(self, secret: str, day: str, region: str) -> bytes:
        wanted = (secret, day, region)
        if self._cached is None or self._cached[0] != wanted:
            key = ("AWS4" + secret).encode("utf-8")
            for part in (day, region, SERVICE, "aws4_request"):
                key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
            self._cached = (wanted, key)
        return self._cached[1]


def sign_request(
    *,
    method: str,
    host: str,
    path: str,
    payload_sha256: str,
    access_key: str,
    secret_key: str,
    token: str | None,
    region: str,
    now: datetime.datetime,
    keys: SigningKeys,
) -> dict[str, str]:
    """The headers that sign a ``method`` request for ``path`` (URI-encoded) on ``host``."""
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    headers = {"host": host, "x-amz-content-sha256": payload_sha256, "x-amz-date": amz_date}
    if token:
        headers["x-amz-security-token"] = token
    signed_headers = ";".join(headers)  # already lower-case and in sorted order
    canonical_request = "\n".join(
        [
            method,
            path,
            "",  # no query string
            "".join(f"{name}:{value}\n" for name, value in headers.items()),
            signed_headers,
            payload_sha256,
        ]
    )
    scope = f"{day}/{region}/{SERVICE}/aws4_request"
    string_to_sign = "\n".join(
        [ALGORITHM, amz_date, scope, hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()]
    )
    signature = hmac.new(
        keys.key(secret_key, day, region), string_to_sign.encode("utf-8"), hashlib.sha256
    ).hexdigest()
    headers["authorization"] = (
        f"{ALGORITHM} Credential={access_key}/{scope}, "
        f"SignedHeaders={signed_headers}, Signature={signature}"
    )
    return headers


def proxy_applies(endpoint_url: str) -> bool:
    """Whether the environment routes requests to ``endpoint_url`` through a proxy."""
    parts = urllib.parse.urlsplit(endpoint_url)
    proxies = urllib.request.getproxies()
    return parts.scheme in proxies and not urllib.request.proxy_bypass(parts.hostname or "")


class DirectS3:
    """Signed PUTs and GETs over keep-alive connections, one per calling thread (and process).

    ``credentials`` is a botocore credentials object (refreshed through
    ``get_frozen_credentials`` on every call). Failures are retried ``max_attempts`` times in
    all, with jittered exponential backoff; a dropped keep-alive connection is retried at once.
    """

    def __init__(
        self,
        endpoint_url: str,
        region: str,
        credentials: Any,
        connect_timeout: float,
        read_timeout: float,
        max_attempts: int,
        ca_bundle: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        parts = urllib.parse.urlsplit(endpoint_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"S3 endpoint {endpoint_url!r} is not an http(s) URL")
        self.scheme = parts.scheme
        default_port = 443 if parts.scheme == "https" else 80
        hostname = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        self.address = f"{hostname}:{parts.port or default_port}"
        # The Host header as signed and sent: the port only when it is not the scheme's default.
        self.host = hostname if parts.port in (None, default_port) else self.address
        self.base_path = parts.path.rstrip("/")
        self.region = region
        self.credentials = credentials
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_attempts = max_attempts
        self.sleep = sleep
        self._ssl_context = (
            ssl.create_default_context(cafile=ca_bundle) if self.scheme == "https" else None
        )
        self._local = threading.local()
        self._keys = SigningKeys()

    def put(self, bucket: str, key: str, data: bytes) -> None:
        """Store ``data`` as ``bucket/key``; raise :class:`DirectRequestFailed` on failure."""
        self._call("PUT", bucket, key, data)

    def get(self, bucket: str, key: str) -> bytes | None:
        """The object ``bucket/key``, or None if there is none."""
        status, body = self._call("GET", bucket, key, None)
        return body if status == 200 else None

    def delete(self, bucket: str, key: str) -> None:
        """Remove the object ``bucket/key``; an absent object is not an error (S3 says 204)."""
        self._call("DELETE", bucket, key, None)

    def exists(self, bucket: str, key: str) -> bool:
        """Whether the object ``bucket/key`` exists (a HEAD request)."""
        status, _body = self._call("HEAD", bucket, key, None)
        return status == 200

    def _call(self, method: str, bucket: str, key: str, data: bytes | None) -> tuple[int, bytes]:
        """Status and body of a successful answer (a missing object counts, for a GET or a
        HEAD)."""
        path = urllib.parse.quote(f"{self.base_path}/{bucket}/{key}", safe="/~")
        payload_sha256 = EMPTY_SHA256 if data is None else hashlib.sha256(data).hexdigest()
        attempt = 1
        while True:
            try:
                status, body = self._send(method, path, payload_sha256, data)
            except (OSError, http.client.HTTPException) as exc:
                self._drop_connection()
                error = DirectRequestFailed(
                    f"{method} {path}: {type(exc).__name__}: {exc}", unreachable=True
                )
                retry = True
            else:
                if status in SUCCESS_STATUSES:
                    return status, body
                match = _ERROR_CODE.search(body)
                code = match.group(1).decode("utf-8", "replace") if match else str(status)
                if method in {"GET", "HEAD"} and status == 404 and code in _MISSING_CODES:
                    return status, b""
                error = DirectRequestFailed(f"{method} {path}: HTTP {status} {code}", code)
                retry = status in RETRYABLE_STATUSES or code in RETRYABLE_CODES
            if not retry or attempt >= self.max_attempts:
                raise error
            self.sleep(_backoff(attempt))
            attempt += 1

    def _send(
        self, method: str, path: str, payload_sha256: str, data: bytes | None
    ) -> tuple[int, bytes]:
        """One request; a kept-alive connection the server has since closed is replaced once."""
        connection, reused = self._connection()
        try:
            return self._exchange(connection, method, path, payload_sha256, data)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self._drop_connection()
            if not reused:
                raise
        connection, _reused = self._connection()
        return self._exchange(connection, method, path, payload_sha256, data)

    def _exchange(
        self,
        connection: http.client.HTTPConnection,
        method: str,
        path: str,
        payload_sha256: str,
        data: bytes | None,
    ) -> tuple[int, bytes]:
        credentials = self.credentials.get_frozen_credentials()
        headers = sign_request(
            method=method,
            host=self.host,
            path=path,
            payload_sha256=payload_sha256,
            access_key=credentials.access_key,
            secret_key=credentials.secret_key,
            token=credentials.token,
            region=self.region,
            now=datetime.datetime.now(datetime.UTC),
            keys=self._keys,
        )
        if data is not None:
            headers["content-length"] = str(len(data))
        connection.request(method, path, body=data, headers=headers)  # sends our signed host
        response = connection.getresponse()
        body = response.read()
        if response.will_close:
            self._drop_connection()
        return response.status, body

    def _connection(self) -> tuple[http.client.HTTPConnection, bool]:
        """This thread's connection and whether it was used before."""
        connection = getattr(self._local, "connection", None)
        if connection is not None and self._local.pid == os.getpid():
            return connection, True
        if self._ssl_context is not None:
            connection = http.client.HTTPSConnection(
                self.address, timeout=self.connect_timeout, context=self._ssl_context
            )
        else:
            connection = http.client.HTTPConnection(self.address, timeout=self.connect_timeout)
        connection.connect()
        connection.sock.settimeout(self.read_timeout)
        self._local.connection = connection
        self._local.pid = os.getpid()  # a forked child must not share its parent's socket
        return connection, False

    def _drop_connection(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None


def _backoff(attempt: int) -> float:
    """Jittered exponential backoff before attempt ``attempt + 1``, as botocore's standard mode."""
    return min(random.random() * 2 ** (attempt - 1), MAX_BACKOFF_SECONDS)
