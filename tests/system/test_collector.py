"""Black-box collector tests: gunicorn serving the app, real minidumps posted over HTTP.

One gunicorn per backend pair (files + SQLite; MinIO + ElasticMQ) for the whole module. Checks
what a client sees (status and exact body) and what the pipeline gets (stored keys, raw crash
JSON, queue message). Also every row of Antenna's black-box systemtest table.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from antenna import submit
from antenna.client import SubmitResponse, encode_report, post_report
from jansky.crashid import validate_crash_id
from jansky.queue import open_queue
from jansky.queue.base import STANDARD, CrashQueue
from jansky.storage import open_storage
from jansky.storage.base import CrashStorage
from tests.servers import ROOT, missing, server_env, shared_testdata

pytestmark = pytest.mark.system

MIB = 1024 * 1024
STARTUP_SECONDS = 30.0
JANSKY = Path(sys.executable).with_name("jansky")


def minidump_dir() -> Path:
    """The shared rust-minidump test data (``JANSKY_TESTDATA_DIR``), or skip/fail if absent."""
    directory = shared_testdata("rust-minidump")
    if not any(directory.glob("*.dmp")):
        missing(f"no minidumps in {directory} (set JANSKY_TESTDATA_DIR to the shared test data)")
    return directory


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """`jansky collector` on a loopback port, with the backends it writes to."""

    env: dict[str, str]
    storage: CrashStorage
    queue: CrashQueue
    workers: int = 2
    threads: int = 4
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    log: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, log: Path) -> None:
        self.log = log
        command = [
            str(JANSKY),
            "collector",
            f"--bind=127.0.0.1:{self.port}",
            f"--workers={self.workers}",
            f"--threads={self.threads}",
        ]
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                command, env=self.env, cwd=ROOT, stdout=out, stderr=out, start_new_session=True
            )
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {log.read_text()[-3000:]}")
            try:
                if self.get("/__lbheartbeat__")[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer in {STARTUP_SECONDS}s: {log.read_text()}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(30)

    def get(self, path: str) -> tuple[int, bytes, dict[str, str]]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, response.read(), dict(response.getheaders())
        finally:
            connection.close()

    def raw_post(self, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        """POST exactly these headers (http.client adds nothing when skip flags are set)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.putrequest("POST", "/submit", skip_host=True, skip_accept_encoding=True)
            connection.putheader("Host", f"127.0.0.1:{self.port}")
            for key, value in headers.items():
                connection.putheader(key, value)
            connection.endheaders()
            if body:
                connection.send(body)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def submit(self, annotations, dumps, **kwargs) -> SubmitResponse:
        return post_report(f"{self.url}/submit", encode_report(annotations, dumps, **kwargs))


def received_ids(queue: CrashQueue, wanted: set[str], timeout: float = 30.0) -> set[str]:
    """Receive (and ack) standard-queue messages until every wanted id was seen or time is up."""
    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    while not wanted <= seen and time.monotonic() < deadline:
        for message in queue.receive(STANDARD, max_messages=10, lease_seconds=60):
            seen.add(message.crash_id)
            queue.ack(message)
    return seen


def fs_backends(tmp: Path) -> tuple[dict[str, str], CrashStorage, CrashQueue]:
    env = {
        "DATA_DIR": str(tmp),
        "STORAGE_URL": f"file://{tmp}/crashes",
        "QUEUE_URL": f"sqlite://{tmp}/queue.db",
    }
    return env, open_storage(env["STORAGE_URL"]), open_queue(env["QUEUE_URL"], env)


def aws_backends(tmp: Path) -> tuple[dict[str, str], CrashStorage, CrashQueue]:
    services = server_env("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SQS")
    aws = {key: value for key, value in services.items() if key.startswith("AWS_")}
    for key, value in aws.items():
        os.environ.setdefault(key, value)
    prefix = f"jansky-test-{uuid.uuid4().hex[:8]}-"
    env = {
        **aws,
        "DATA_DIR": str(tmp),
        "STORAGE_URL": f"s3://jansky-crashes/{prefix}",
        "QUEUE_URL": f"sqs://?prefix={prefix}",
    }
    queue = open_queue(env["QUEUE_URL"], env)
    queue.create_queues()  # type: ignore[attr-defined]
    return env, open_storage(env["STORAGE_URL"], env), queue


BACKENDS = {"fs": fs_backends, "aws": aws_backends}


@pytest.fixture(scope="module", params=["fs", pytest.param("aws", marks=pytest.mark.integration)])
def server(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp(f"collector-{request.param}")
    env, storage, queue = BACKENDS[request.param](tmp)
    process_env = {
        **os.environ,
        **env,
        "COLLECTOR_RETRY_BUDGET_SECONDS": "10",
        "COLLECTOR_VERSION_FILE": str(tmp / "version.json"),
    }
    (tmp / "version.json").write_text(
        json.dumps({"build": "b", "commit": "c0ffee", "source": "s", "version": "1.2"})
    )
    server = Server(process_env, storage, queue)
    server.start(tmp / "gunicorn.log")
    yield server
    server.stop()


def dumps_for_test() -> dict[str, bytes]:
    directory = minidump_dir()
    return {
        "upload_file_minidump": (directory / "linux-mini.dmp").read_bytes(),
        "upload_file_minidump_browser": (directory / "simple-crashpad.dmp").read_bytes(),
    }


ANNOTATIONS = {
    "ProductName": "Firefox",
    "Version": "120.0",
    "ReleaseChannel": "nightly",
    "BuildID": "20261101000000",
    "Email": "someone@example.com",
}


@pytest.mark.parametrize(
    ("shape", "kwargs"),
    [
        ("crashpad_gzip", {"compress": True}),
        ("firefox_json", {"json_extra": True}),
        ("form_fields", {}),
    ],
)
def test_real_minidumps_are_stored_and_queued(server: Server, shape, kwargs):
    dumps = dumps_for_test()
    response = server.submit(ANNOTATIONS, dumps, **kwargs)
    assert response.status == 200, response.body
    assert response.body.endswith("\n")
    crash_id = validate_crash_id(response.crash_id, strict=True)

    raw = server.storage.load_raw_crash(crash_id)
    assert {k: raw[k] for k in ANNOTATIONS if k != "Email"} == {
        k: v for k, v in ANNOTATIONS.items() if k != "Email"
    }
    assert "Email" not in raw
    metadata = raw["metadata"]
    assert metadata["payload"] == ("json" if shape == "firefox_json" else "multipart")
    assert metadata["payload_compressed"] == ("1" if shape == "crashpad_gzip" else "0")
    assert metadata["user_agent"] == "jansky-submit/1"
    assert metadata["collector_notes"] == ["Removed Email from raw crash."]
    assert sorted(metadata["dump_checksums"]) == sorted(dumps)
    assert raw["uuid"] == crash_id and raw["version"] == 2
    assert server.storage.load_dump_names(crash_id) == sorted(dumps)
    assert server.storage.load_dumps(crash_id) == dumps
    assert crash_id in received_ids(server.queue, {crash_id})


def test_every_real_minidump_is_accepted(server: Server):
    ids = set()
    for path in sorted(minidump_dir().glob("*.dmp")):
        response = server.submit(
            {"ProductName": "Test"}, {"upload_file_minidump": path.read_bytes()}, compress=True
        )
        assert response.crash_id, (path.name, response)
        ids.add(response.crash_id)
        assert server.storage.load_dumps(response.crash_id)["upload_file_minidump"] == (
            path.read_bytes()
        )
    assert received_ids(server.queue, ids) >= ids


def form(boundary: str = "xyz") -> bytes:
    return (
        f'--{boundary}\r\nContent-Disposition: form-data; name="ProductName"\r\n\r\n'
        f"Firefox\r\n--{boundary}\r\nContent-Disposition: form-data; "
        f'name="upload_file_minidump"; filename="f.dmp"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\nabcd1234\r\n--{boundary}--\r\n"
    ).encode()


MULTIPART = {"Content-Type": "multipart/form-data; boundary=xyz"}


@pytest.mark.parametrize(
    ("headers", "body", "status", "answer"),
    [
        ({}, b"", 400, b"Discarded=malformed_no_content_type"),
        ({**MULTIPART, "Content-Length": "0"}, b"", 400, b"Discarded=malformed_no_content_length"),
        (
            {**MULTIPART, "Content-Length": "20"},
            form(),
            400,
            b"Discarded=malformed_invalid_payload_structure",
        ),
        (
            {"Content-Type": "multipart/form-data; boundary=foo"},
            form(),
            400,
            b"Discarded=malformed_invalid_payload_structure",
        ),
        (MULTIPART, b"foobarbaz", 400, b"Discarded=malformed_invalid_payload_structure"),
        (MULTIPART, gzip.compress(form()), 400, b"Discarded=malformed_invalid_payload_structure"),
        ({**MULTIPART, "Content-Encoding": "gzip"}, form(), 400, b"Discarded=malformed_bad_gzip"),
    ],
)
def test_antenna_discard_cases(server: Server, headers, body, status, answer):
    if "Content-Length" not in headers and body:
        headers = {**headers, "Content-Length": str(len(body))}
    assert server.raw_post(body, headers) == (status, answer)


def test_non_integer_content_length_is_400(server: Server):
    assert server.raw_post(form(), {**MULTIPART, "Content-Length": "foo"})[0] == 400


def test_chunked_upload_is_accepted(server: Server):
    body = form()
    chunked = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    status, answer = server.raw_post(chunked, {**MULTIPART, "Transfer-Encoding": "chunked"})
    assert status == 200 and answer.startswith(b"CrashID=bp-")
    empty = server.raw_post(b"0\r\n\r\n", {**MULTIPART, "Transfer-Encoding": "chunked"})
    assert empty == (400, b"Discarded=malformed_no_content_length")


@pytest.mark.parametrize(
    ("size", "status"), [(25 * MIB - 1, 200), (25 * MIB, 200), (25 * MIB + 1, 413)]
)
def test_25_mib_limit(server: Server, size, status):
    head = encode_report({"ProductName": "Test"}, {"upload_file_minidump": b""}, boundary="xyz")
    padding = size - len(head.body)
    report = encode_report(
        {"ProductName": "Test"}, {"upload_file_minidump": b"\0" * padding}, boundary="xyz"
    )
    assert len(report.body) == size
    response = post_report(f"{server.url}/submit", report)
    assert response.status == status
    if status == 413:
        assert response.body == "Discarded=too_large"


def test_dockerflow_endpoints(server: Server):
    status, body, _ = server.get("/__version__")
    assert status == 200 and sorted(json.loads(body)) == ["build", "commit", "source", "version"]
    assert server.get("/__heartbeat__")[:2] == (200, b'{"errors": []}')
    status, body, _ = server.get("/__lbheartbeat__")
    assert (status, body) == (200, b"")
    assert server.get("/__broken__")[0] == 500
    assert server.get("/nope")[:2] == (404, b'{"title": "404 Not Found"}')


def test_jansky_submit_command(server: Server, capsys):
    dump = sorted(minidump_dir().glob("*.dmp"))[0]
    parser = argparse.ArgumentParser()
    submit.configure(parser)
    args = parser.parse_args(
        [f"{server.url}/submit", str(dump), "-a", "ProductName=Firefox", "--gzip", "--json-extra"]
    )
    assert submit.run(args) == 0
    out = capsys.readouterr().out
    crash_id = out.strip().split("CrashID=bp-")[1]
    assert server.storage.load_raw_crash(crash_id)["ProductName"] == "Firefox"
