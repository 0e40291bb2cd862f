"""Direct S3 requests: SigV4 signatures match botocore's; retries and errors (local server)."""

from __future__ import annotations

import datetime
import http.server
import threading
from collections.abc import Iterator

import botocore.auth
import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from jansky.storage.s3_direct import (
    EMPTY_SHA256,
    DirectRequestFailed,
    DirectS3,
    SigningKeys,
    proxy_applies,
    sign_request,
)

NOW = datetime.datetime(2026, 3, 9, 12, 30, 5, tzinfo=datetime.UTC)
# sha256(b"test")
PAYLOAD_SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


def botocore_headers(
    monkeypatch: pytest.MonkeyPatch, method: str, host: str, path: str, token: str | None
) -> dict[str, str]:
    """What botocore's S3 signer puts on the same request at the same time.

    The body is ``test`` for a PUT and empty for a GET.
    """
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: NOW)
    data = b"test" if method == "PUT" else b""
    request = AWSRequest(method=method, url=f"http://{host}{path}", data=data)
    signer = S3SigV4Auth(Credentials("AKIDEXAMPLE", "secret/KEY+1", token), "s3", "eu-west-3")
    signer.add_auth(request)
    return {name.lower(): value for name, value in request.headers.items()}


@pytest.mark.parametrize("method", ["PUT", "GET"])
@pytest.mark.parametrize("token", [None, "session-token/with+chars="])
@pytest.mark.parametrize(
    ("host", "path"),
    [
        ("127.0.0.1:9100", "/jansky-crashes/v1/raw_crash/20260309/ab"),
        ("s3.eu-west-3.amazonaws.com", "/bucket/a%20prefix/%C3%A9t%C3%A9/v1/dump/x~y"),
    ],
)
def test_signature_matches_botocore(
    monkeypatch: pytest.MonkeyPatch, method: str, host: str, path: str, token: str | None
) -> None:
    payload_sha256 = PAYLOAD_SHA256 if method == "PUT" else EMPTY_SHA256
    ours = sign_request(
        method=method,
        host=host,
        path=path,
        payload_sha256=payload_sha256,
        access_key="AKIDEXAMPLE",
        secret_key="secret/KEY+1",
        token=token,
        region="eu-west-3",
        now=NOW,
        keys=SigningKeys(),
    )
    theirs = botocore_headers(monkeypatch, method, host, path, token)
    assert theirs["x-amz-content-sha256"] == payload_sha256
    assert ours["authorization"] == theirs["authorization"]
    assert ours["x-amz-date"] == theirs["x-amz-date"]


def test_signing_keys_follow_the_day_and_secret() -> None:
    keys = SigningKeys()
    first = keys.key("s", "20260309", "us-east-1")
    assert keys.key("s", "20260309", "us-east-1") is first
    assert keys.key("s", "20260310", "us-east-1") != first
    assert keys.key("t", "20260310", "us-east-1") != keys.key("s", "20260310", "us-east-1")


class FrozenCredentials:
    def get_frozen_credentials(self) -> Credentials:
        return Credentials("AKID", "secret", None)


class ScriptedHandler(http.server.BaseHTTPRequestHandler):
    """Answers from a script of (status, body, close) and records what it received."""

    protocol_version = "HTTP/1.1"
    script: list[tuple[int, bytes, bool]] = []
    received: list[tuple[str, dict[str, str], bytes]] = []

    def do_PUT(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, dict(self.headers.items()), body))
        self._answer()

    def do_GET(self) -> None:
        self.received.append((self.path, dict(self.headers.items()), b""))
        self._answer()

    def _answer(self) -> None:
        status, answer, close = self.script.pop(0) if self.script else (200, b"", False)
        self.send_response(status)
        self.send_header("Content-Length", str(len(answer)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[http.server.ThreadingHTTPServer]:
    ScriptedHandler.script = []
    ScriptedHandler.received = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ScriptedHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def direct(server: http.server.ThreadingHTTPServer, attempts: int = 3) -> tuple[DirectS3, list]:
    sleeps: list[float] = []
    host, port = server.server_address[:2]
    putter = DirectS3(
        f"http://{host}:{port}",
        "us-east-1",
        FrozenCredentials(),
        connect_timeout=2,
        read_timeout=2,
        max_attempts=attempts,
        sleep=sleeps.append,
    )
    return putter, sleeps


def test_put_sends_the_signed_body(server) -> None:
    putter, sleeps = direct(server)
    putter.put("bucket", "a key/é", b"data")
    ((path, headers, body),) = ScriptedHandler.received
    assert (path, body) == ("/bucket/a%20key/%C3%A9", b"data")
    assert headers["x-amz-content-sha256"] == (
        "3a6eb0790f39ac87c94f3856b2dd2c5d110e6811602261a9a923d3bb23adc8b7"
    )
    assert headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKID/")
    assert headers["host"] == f"127.0.0.1:{server.server_address[1]}"
    assert sleeps == []


def test_get_returns_the_body_or_none_when_missing(server) -> None:
    ScriptedHandler.script = [
        (200, b"stored bytes", False),
        (404, b"<Error><Code>NoSuchKey</Code></Error>", False),
        (404, b"<Error><Code>NoSuchBucket</Code></Error>", False),
    ]
    client, sleeps = direct(server)
    assert client.get("bucket", "key") == b"stored bytes"
    assert client.get("bucket", "gone") is None
    with pytest.raises(DirectRequestFailed) as raised:
        client.get("bucket", "key")
    assert raised.value.code == "NoSuchBucket"
    _path, headers, _body = ScriptedHandler.received[0]
    assert headers["x-amz-content-sha256"] == EMPTY_SHA256
    assert sleeps == []


def test_a_missing_object_on_put_is_an_error(server) -> None:
    ScriptedHandler.script = [(404, b"<Error><Code>NoSuchKey</Code></Error>", False)]
    client, _sleeps = direct(server)
    with pytest.raises(DirectRequestFailed, match="NoSuchKey"):
        client.put("bucket", "key", b"data")


def test_server_errors_are_retried_then_succeed(server) -> None:
    ScriptedHandler.script = [
        (503, b"<Error><Code>SlowDown</Code></Error>", False),
        (200, b"", False),
    ]
    putter, sleeps = direct(server)
    putter.put("bucket", "key", b"data")
    assert len(ScriptedHandler.received) == 2
    assert len(sleeps) == 1


def test_attempts_run_out(server) -> None:
    ScriptedHandler.script = [(500, b"<Error><Code>InternalError</Code></Error>", False)] * 3
    putter, sleeps = direct(server, attempts=3)
    with pytest.raises(DirectRequestFailed, match="HTTP 500 InternalError") as raised:
        putter.put("bucket", "key", b"data")
    assert raised.value.code == "InternalError"
    assert len(ScriptedHandler.received) == 3
    assert len(sleeps) == 2
    assert 0 <= sleeps[0] <= 1 and 0 <= sleeps[1] <= 2  # jittered, doubling from 1 s


def test_client_errors_are_not_retried(server) -> None:
    ScriptedHandler.script = [(404, b"<Error><Code>NoSuchBucket</Code></Error>", False)]
    putter, sleeps = direct(server)
    with pytest.raises(DirectRequestFailed) as raised:
        putter.put("bucket", "key", b"data")
    assert (raised.value.code, raised.value.unreachable) == ("NoSuchBucket", False)
    assert len(ScriptedHandler.received) == 1
    assert sleeps == []


def test_a_closed_keep_alive_connection_is_replaced_without_an_attempt(server) -> None:
    putter, sleeps = direct(server, attempts=1)
    putter.put("bucket", "one", b"1")
    # Close the kept-alive socket under the client, as a server's idle timeout does.
    putter._local.connection.sock.shutdown(2)
    putter.put("bucket", "two", b"2")
    assert [path for path, _h, _b in ScriptedHandler.received] == ["/bucket/one", "/bucket/two"]
    assert sleeps == []


def test_a_connection_closed_by_the_answer_is_not_reused(server) -> None:
    ScriptedHandler.script = [(200, b"", True), (200, b"", False)]
    putter, _sleeps = direct(server, attempts=1)
    putter.put("bucket", "one", b"1")
    assert getattr(putter._local, "connection", None) is None
    putter.put("bucket", "two", b"2")
    assert len(ScriptedHandler.received) == 2


def test_an_unreachable_server_is_reported_as_such() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sleeps: list[float] = []
    putter = DirectS3(
        f"http://127.0.0.1:{port}", "us-east-1", FrozenCredentials(), 1, 1, 2, sleep=sleeps.append
    )
    with pytest.raises(DirectRequestFailed) as raised:
        putter.put("bucket", "key", b"data")
    assert raised.value.unreachable
    assert len(sleeps) == 1


@pytest.mark.parametrize("url", ["ftp://host", "http://", "s3.amazonaws.com"])
def test_bad_endpoints_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="not an http"):
        DirectS3(url, "us-east-1", FrozenCredentials(), 1, 1, 1)


def test_proxies_are_detected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy:3128")
    monkeypatch.setenv("NO_PROXY", "minio.local")
    assert proxy_applies("https://s3.amazonaws.com")
    assert not proxy_applies("https://minio.local:9000")
    assert not proxy_applies("http://s3.amazonaws.com")
