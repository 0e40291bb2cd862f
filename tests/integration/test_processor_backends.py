"""The processor on the production backends: MinIO (S3), ElasticMQ (SQS) and OpenSearch.

Each test uses its own S3 prefix, SQS queue prefix and search index prefix. The "search down"
tests point the search client at a port where nothing listens: the real client, really failing.
"""

from __future__ import annotations

import datetime
import os
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from jansky.crashid import create_crash_id
from jansky.queue import DEAD_LETTER, STANDARD, Message
from jansky.queue.sqs import SqsCrashQueue
from jansky.schemas import VIEW_PII, load_schema
from jansky.search import open_search
from jansky.storage import CrashNotFound
from jansky.storage.s3 import S3CrashStorage
from processor.config import default_stackwalker_path
from processor.pipeline import Pipeline
from processor.processing import CrashProcessor, Outcome, RetryPolicy
from processor.rules.stackwalker import MinidumpStackwalkRule
from processor.rulesets import build_rulesets
from processor.stackwalker import Stackwalker
from processor.worker import Worker
from tests.servers import TESTDATA_DIR, server_env, shared_testdata

pytestmark = pytest.mark.integration

BUCKET = "jansky-crashes"
DUMPS = TESTDATA_DIR / "rust-minidump"
DEADLINE_SECONDS = 120.0


@pytest.fixture
def storage(aws_env) -> Iterator[S3CrashStorage]:
    store = S3CrashStorage(BUCKET, prefix=f"tests/{uuid.uuid4().hex}")
    yield store
    client = store.client
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=store.prefix)
    for page in pages:
        for item in page.get("Contents", []):
            client.delete_object(Bucket=BUCKET, Key=item["Key"])


@pytest.fixture
def queue(aws_env) -> Iterator[SqsCrashQueue]:
    prefix = f"jp{uuid.uuid4().hex[:12]}-"
    sqs = SqsCrashQueue(prefix=prefix, lease_seconds=60, max_receives=3)
    sqs.create_queues()
    yield sqs
    client = boto3.client("sqs", region_name=os.environ.get("AWS_REGION"))
    for url in client.list_queues(QueueNamePrefix=prefix).get("QueueUrls", []):
        client.delete_queue(QueueUrl=url)


@pytest.fixture
def search_env() -> dict[str, str]:
    server_env("SEARCH_URL")
    return {
        "SEARCH_INDEX_TEMPLATE": f"jp{uuid.uuid4().hex[:10]}%Y%W",
        "SEARCH_REPLICAS": "0",
        "SEARCH_INDEX_ATTEMPTS": "1",
        "SEARCH_TIMEOUT": "5",
    }


@pytest.fixture
def search(search_env) -> Iterator[Any]:
    backend = open_search(server_env("SEARCH_URL")["SEARCH_URL"], env=search_env)
    yield backend
    backend.client.delete(backend.all_indices())
    backend.close()


@pytest.fixture
def down_search(search_env) -> Any:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return open_search(f"opensearch+http://127.0.0.1:{port}", env=search_env)


@pytest.fixture
def pipeline() -> Pipeline:
    shared_testdata("rust-minidump")
    walker = Stackwalker(default_stackwalker_path(), symbols_paths=[str(DUMPS / "symbols")])
    return Pipeline(build_rulesets(load_schema("processed_crash"), MinidumpStackwalkRule(walker)))


def seed(storage: S3CrashStorage, queue: SqsCrashQueue, count: int) -> list[str]:
    dump = (DUMPS / "test.dmp").read_bytes()
    now = datetime.datetime.now(datetime.UTC).isoformat()
    ids = [create_crash_id() for _ in range(count)]
    for crash_id in ids:
        raw = {
            "uuid": crash_id,
            "ProductName": "Jansky",
            "Version": "1.0",
            "submitted_timestamp": now,
        }
        storage.save_raw_crash(crash_id, raw, {"upload_file_minidump": dump})
    queue.publish(STANDARD, ids)
    return ids


def searchable_ids(search: Any) -> Counter:
    search.refresh()
    response = search.search(
        {"product": "Jansky", "_columns": ["uuid"], "_results_number": "500"}, VIEW_PII
    )
    return Counter(hit["uuid"] for hit in response["hits"])


class Recorder:
    """Wraps CrashProcessor.handle to count outcomes per crash."""

    def __init__(self, processor: CrashProcessor) -> None:
        self.processor = processor
        self.outcomes: dict[str, list[Outcome]] = {}
        self.lock = threading.Lock()

    def __call__(self, message: Message) -> Outcome:
        outcome = self.processor.handle(message)
        with self.lock:
            self.outcomes.setdefault(message.crash_id, []).append(outcome)
        return outcome


def run_until(worker: Worker, done, what: str) -> None:
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not done():
        if time.monotonic() > deadline:
            worker.stop()
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)
    worker.stop()
    thread.join(30)
    assert not thread.is_alive()


def worker_for(queue, handle) -> Worker:
    return Worker(queue, handle, threads=2, prefetch=4, idle_seconds=0.1, shutdown_seconds=30)


def test_processes_into_s3_and_opensearch(storage, queue, search, pipeline):
    ids = seed(storage, queue, 8)
    recorder = Recorder(CrashProcessor(storage, search, queue, pipeline))
    run_until(worker_for(queue, recorder), lambda: len(recorder.outcomes) == len(ids), "8 crashes")
    assert all(outcomes == [Outcome.DONE] for outcomes in recorder.outcomes.values())
    for crash_id in ids:
        processed = storage.load_processed_crash(crash_id)
        assert processed["signature"] == "(anonymous namespace)::CrashFunction"
        assert load_schema("processed_crash").validate(processed) == []
    assert searchable_ids(search) == Counter(ids)
    assert queue.receive(STANDARD) == []


def test_search_down_retries_and_loses_nothing(storage, queue, search, down_search, pipeline):
    ids = seed(storage, queue, 4)
    retry = RetryPolicy(max_attempts=3, backoff_seconds=1, backoff_max_seconds=1)
    down = Recorder(CrashProcessor(storage, down_search, queue, pipeline, retry))
    run_until(
        worker_for(queue, down),
        lambda: len(down.outcomes) == len(ids) and all(len(o) >= 2 for o in down.outcomes.values()),
        "two failed attempts per crash",
    )
    assert {o for outcomes in down.outcomes.values() for o in outcomes} == {Outcome.RETRY}
    # The search came back: the same messages are delivered again and now acknowledged.
    up = Recorder(CrashProcessor(storage, search, queue, pipeline, retry))
    run_until(worker_for(queue, up), lambda: len(up.outcomes) == len(ids), "recovery")
    assert all(outcomes[-1] is Outcome.DONE for outcomes in up.outcomes.values())
    assert searchable_ids(search) == Counter(ids)
    assert queue.receive(STANDARD) == [] and queue.receive(DEAD_LETTER) == []


def test_crash_that_keeps_failing_is_dead_lettered_with_a_record(
    storage, queue, down_search, pipeline
):
    ids = seed(storage, queue, 2)
    retry = RetryPolicy(max_attempts=queue.max_receives, backoff_seconds=1, backoff_max_seconds=1)
    recorder = Recorder(CrashProcessor(storage, down_search, queue, pipeline, retry))
    dead: list[Message] = []

    def all_dead() -> bool:
        dead.extend(queue.receive(DEAD_LETTER))
        return {message.crash_id for message in dead} == set(ids)

    run_until(worker_for(queue, recorder), all_dead, "dead letters")
    for crash_id in ids:
        assert recorder.outcomes[crash_id] == [Outcome.RETRY, Outcome.RETRY, Outcome.GAVE_UP]
        record = storage.load_processed_crash(crash_id)
        assert record["success"] is False
        assert (
            "processing failed after 3 attempts: index failed: SearchError"
            in (record["processor_notes"])
        )


def test_missing_raw_crash_is_acknowledged(storage, queue, search, pipeline):
    crash_id = create_crash_id()
    queue.publish(STANDARD, [crash_id])
    recorder = Recorder(CrashProcessor(storage, search, queue, pipeline))
    run_until(worker_for(queue, recorder), lambda: crash_id in recorder.outcomes, "the crash")
    assert recorder.outcomes[crash_id] == [Outcome.MISSING]
    with pytest.raises(CrashNotFound):
        storage.load_processed_crash(crash_id)
    counts = queue.counts()[STANDARD]
    assert (counts.visible, counts.in_flight) == (0, 0)
