"""Fault tests: a collector whose backends fail never acknowledges a crash it did not keep."""

from __future__ import annotations

import datetime
import os
import signal
import threading
import time
import uuid
from pathlib import Path

import pytest

from antenna.client import encode_report, post_report
from jansky.storage import open_storage
from tests.servers import server_env
from tests.system.test_collector import Server, free_port, fs_backends, received_ids

pytestmark = pytest.mark.system

ANNOTATIONS = {"ProductName": "Firefox", "Version": "1"}
DUMPS = {"upload_file_minidump": b"MDMP" + b"\0" * 4000}
FAST_FAILURE = {"COLLECTOR_RETRY_BUDGET_SECONDS": "3", "COLLECTOR_RETRY_SLEEP_SECONDS": "0.1"}


def start(tmp: Path, env: dict[str, str], storage, queue) -> Server:
    server = Server({**os.environ, **env, **FAST_FAILURE}, storage, queue, workers=1)
    server.start(tmp / "gunicorn.log")
    return server


def test_storage_down_answers_5xx_and_queues_nothing(tmp_path: Path):
    env, _storage, queue = fs_backends(tmp_path)
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the crash directory should be")
    env["STORAGE_URL"] = f"file://{blocker}/crashes"
    server = start(tmp_path, env, open_storage(env["STORAGE_URL"]), queue)
    try:
        response = server.submit(ANNOTATIONS, DUMPS)
        assert (response.status, response.body) == (500, "")
        assert response.headers["retry-after"] == "30"
        status, body, _ = server.get("/__heartbeat__")
        assert status == 503 and b"storage" in body
    finally:
        server.stop()
    assert received_ids(queue, {"none"}, timeout=1) == set()


@pytest.mark.integration
def test_s3_unreachable_answers_5xx(tmp_path: Path):
    env, _storage, queue = fs_backends(tmp_path)
    closed = free_port()  # nothing listens there
    env.update(
        STORAGE_URL="s3://jansky-crashes/x",
        AWS_ENDPOINT_URL_S3=f"http://127.0.0.1:{closed}",
        AWS_ACCESS_KEY_ID="x",
        AWS_SECRET_ACCESS_KEY="x",
        AWS_REGION="us-east-1",
        STORAGE_S3_MAX_ATTEMPTS="1",
    )
    server = start(tmp_path, env, None, queue)
    try:
        assert server.submit(ANNOTATIONS, DUMPS).status == 500
        assert server.get("/__heartbeat__")[0] == 503
    finally:
        server.stop()
    assert received_ids(queue, {"none"}, timeout=1) == set()


@pytest.mark.integration
def test_queue_down_answers_503_and_keeps_the_crash(tmp_path: Path):
    services = server_env("AWS_ENDPOINT_URL_SQS")
    env, storage, _queue = fs_backends(tmp_path)
    aws = {k: v for k, v in services.items() if k.startswith("AWS_")}
    # Queues under this prefix were never created: every publish fails.
    env.update(aws, QUEUE_URL=f"sqs://?prefix=jansky-missing-{uuid.uuid4().hex[:8]}-")
    server = start(tmp_path, env, storage, None)
    try:
        response = server.submit(ANNOTATIONS, DUMPS)
        assert (response.status, response.body) == (503, "")
        assert response.headers["retry-after"] == "30"
        status, body, _ = server.get("/__heartbeat__")
        assert status == 503 and b"queue" in body
    finally:
        server.stop()
    stored = list(storage.list_crash_ids(datetime.datetime.now(datetime.UTC).date()))
    assert len(stored) == 1  # stored before the publish failed: a verify job can find it


def test_restart_mid_load_loses_no_acknowledged_crash(tmp_path: Path):
    env, storage, queue = fs_backends(tmp_path)
    server = Server({**os.environ, **env}, storage, queue, workers=2, threads=4)
    server.start(tmp_path / "gunicorn.log")
    acknowledged: list[str] = []
    failures: list[str] = []
    stop = threading.Event()
    report = encode_report(ANNOTATIONS, DUMPS, compress=True)

    def client() -> None:
        while not stop.is_set():
            try:
                response = post_report(f"{server.url}/submit", report, timeout=10)
            except OSError as exc:
                failures.append(repr(exc))
                time.sleep(0.05)
                continue
            if response.crash_id:
                acknowledged.append(response.crash_id)

    threads = [threading.Thread(target=client) for _ in range(6)]
    for thread in threads:
        thread.start()
    try:
        wait_for(lambda: len(acknowledged) >= 50)
        server.stop(signal.SIGKILL)  # no graceful shutdown: requests die mid-flight
        before_restart = len(acknowledged)
        server.start(tmp_path / "gunicorn.log")
        wait_for(lambda: len(acknowledged) >= before_restart + 50)
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
        server.stop()
    ids = set(acknowledged)
    assert len(ids) == len(acknowledged)
    for crash_id in ids:
        assert storage.load_raw_crash(crash_id)["uuid"] == crash_id
    assert received_ids(queue, ids) >= ids


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the load did not make progress"
        time.sleep(0.05)
