"""Fault tests on the processor as a real process: killed mid-batch, SIGTERM, a hanging stackwalker.

The embedded default (files, SQLite queue, SQLite search) runs everywhere; the same kill test
also runs on MinIO, ElasticMQ and OpenSearch (marked integration).
"""

from __future__ import annotations

import datetime
import os
import signal
import stat
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import boto3
import pytest

from jansky.crashid import create_crash_id
from jansky.queue import ALL_QUEUE_NAMES, STANDARD, open_queue
from jansky.queue.sqs import SqsCrashQueue
from jansky.schemas import VIEW_PII
from jansky.search import open_search
from jansky.storage import CrashNotFound, open_storage
from tests.servers import ROOT, TESTDATA_DIR, server_env, shared_testdata

pytestmark = pytest.mark.system

DUMPS = TESTDATA_DIR / "rust-minidump"
DEADLINE_SECONDS = 120.0
# Runs the `jansky processor` command module (whether or not jansky/cli.py lists it yet).
PROCESSOR = (
    "import argparse, sys; from processor import command; p = argparse.ArgumentParser(); "
    "command.configure(p); sys.exit(command.run(p.parse_args(sys.argv[1:])))"
)


class Deployment:
    """Backend settings for one test, and handles on the same backends."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.storage = open_storage(env["STORAGE_URL"], env=env)
        self.queue = open_queue(env["QUEUE_URL"], env=env)
        self.search = open_search(env["SEARCH_URL"], env=env)

    def start(self, *args: str, log: Path) -> subprocess.Popen:
        with log.open("ab") as out:
            return subprocess.Popen(
                [sys.executable, "-c", PROCESSOR, *args],
                env={**os.environ, **self.env},
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def seed(self, count: int) -> list[str]:
        return self.seed_with(count, {"upload_file_minidump": (DUMPS / "test.dmp").read_bytes()})

    def seed_with(self, count: int, dumps: dict[str, bytes]) -> list[str]:
        """Store and queue ``count`` crashes, each with ``dumps``, as the collector does."""
        now = datetime.datetime.now(datetime.UTC).isoformat()
        ids = [create_crash_id() for _ in range(count)]
        for crash_id in ids:
            raw = {"uuid": crash_id, "ProductName": "Jansky", "submitted_timestamp": now}
            self.storage.save_raw_crash(crash_id, raw, dumps)
        self.queue.publish(STANDARD, ids)
        return ids

    def processed(self, ids: list[str]) -> list[str]:
        done = []
        for crash_id in ids:
            try:
                self.storage.load_processed_crash(crash_id)
            except CrashNotFound:
                continue
            done.append(crash_id)
        return done

    def searchable(self) -> Counter:
        if hasattr(self.search, "refresh"):
            self.search.refresh()
        params = {"product": "Jansky", "_columns": ["uuid"], "_results_number": "1000"}
        return Counter(hit["uuid"] for hit in self.search.search(params, VIEW_PII)["hits"])

    def queued(self) -> int:
        counts = self.queue.counts()
        return sum(counts[name].visible + counts[name].in_flight for name in ALL_QUEUE_NAMES)


def base_env(tmp_path: Path) -> dict[str, str]:
    shared_testdata("rust-minidump")
    return {
        "DATA_DIR": str(tmp_path / "var"),
        "SYMBOLS_PATHS": str(DUMPS / "symbols"),
        "PROCESSOR_THREADS": "2",
        "PROCESSOR_IDLE_SECONDS": "0.2",
        "PROCESSOR_RETRY_BACKOFF_SECONDS": "1",
        "QUEUE_LEASE_SECONDS": "3",
        "PROCESSOR_TEMPORARY_PATH": str(tmp_path / "work"),
    }


@pytest.fixture
def embedded(tmp_path: Path) -> Deployment:
    env = base_env(tmp_path)
    var = tmp_path / "var"
    env.update(
        STORAGE_URL=f"file://{var / 'crashes'}",
        QUEUE_URL=f"sqlite://{var / 'queue.db'}",
        SEARCH_URL=f"sqlite://{var / 'search.db'}",
    )
    return Deployment(env)


@pytest.fixture
def servers(tmp_path: Path, aws_env: dict[str, str]):
    env = {**base_env(tmp_path), **{k: v for k, v in aws_env.items() if k.startswith("AWS_")}}
    server_env("SEARCH_URL")
    prefix = f"jk{uuid.uuid4().hex[:10]}-"
    env.update(
        STORAGE_URL=f"s3://jansky-crashes/tests/{uuid.uuid4().hex}",
        QUEUE_URL=f"sqs://?prefix={prefix}",
        SEARCH_URL=aws_env["SEARCH_URL"],
        SEARCH_INDEX_TEMPLATE=f"{prefix.rstrip('-')}%Y%W",
        SEARCH_REPLICAS="0",
    )
    SqsCrashQueue(prefix=prefix, lease_seconds=3).create_queues()
    deployment = Deployment(env)
    yield deployment
    deployment.search.client.delete(deployment.search.all_indices())
    client = boto3.client("sqs", region_name=os.environ.get("AWS_REGION"))
    for url in client.list_queues(QueueNamePrefix=prefix).get("QueueUrls", []):
        client.delete_queue(QueueUrl=url)


def wait_for(condition, what: str, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not condition():
        if process is not None and process.poll() is not None:
            pytest.fail(f"the processor exited ({process.returncode}) before {what}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def kill_mid_batch_then_finish(deployment: Deployment, tmp_path: Path) -> None:
    ids = deployment.seed(60)
    log = tmp_path / "processor.log"
    first = deployment.start(log=log)
    wait_for(lambda: len(deployment.processed(ids)) >= 5, "the first crashes", first)
    first.send_signal(signal.SIGKILL)
    first.wait(30)
    assert len(deployment.processed(ids)) < len(ids), "killed too late to test anything"
    second = deployment.start(log=log)
    # Leases of the killed processor's messages expire, so they come back to the second one.
    wait_for(lambda: deployment.queued() == 0, "the queues to drain", second)
    second.send_signal(signal.SIGTERM)
    assert second.wait(DEADLINE_SECONDS) == 0, log.read_text()[-3000:]
    assert sorted(deployment.processed(ids)) == sorted(ids)
    assert deployment.searchable() == Counter(ids)  # each crash indexed once (overwrites only)


def test_killed_mid_batch_every_crash_ends_processed_once(embedded, tmp_path):
    kill_mid_batch_then_finish(embedded, tmp_path)


@pytest.mark.integration
def test_killed_mid_batch_on_the_real_servers(servers, tmp_path):
    kill_mid_batch_then_finish(servers, tmp_path)


def test_sigterm_finishes_in_flight_work_and_exits(embedded, tmp_path):
    ids = embedded.seed(40)
    log = tmp_path / "processor.log"
    process = embedded.start(log=log)
    wait_for(lambda: len(embedded.processed(ids)) >= 3, "the first crashes", process)
    process.send_signal(signal.SIGTERM)
    assert process.wait(60) == 0
    text = log.read_text()
    assert "received SIGTERM; stopping" in text
    assert "processor stopped" in text
    assert "still in progress" not in text
    # Nothing is left leased: what was not processed is visible again at once.
    counts = embedded.queue.counts()[STANDARD]
    assert counts.in_flight == 0
    assert counts.visible == len(ids) - len(embedded.processed(ids))


def test_hanging_stackwalker_is_killed_and_the_crash_processed(embedded, tmp_path):
    script = tmp_path / "hanging-stackwalk"
    script.write_text(
        '#!/bin/sh\nif [ "$1" = "--version" ]; then echo "hang 1.0"; exit 0; fi\nexec sleep 600\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    embedded.env.update(
        STACKWALKER_PATH=str(script), STACKWALKER_KILL_TIMEOUT="1", STACKWALKER_MODE="process"
    )
    [crash_id] = embedded.seed(1)
    process = embedded.start("--until-idle", log=tmp_path / "processor.log")
    assert process.wait(DEADLINE_SECONDS) == 0
    processed: dict[str, Any] = embedded.storage.load_processed_crash(crash_id)
    assert processed["mdsw_return_code"] == -9
    assert "minidump-stackwalk: timeout (SIGKILL)" in processed["processor_notes"]
    assert processed["stackwalk_version"] == "hang 1.0"
    assert embedded.searchable() == Counter([crash_id])


def test_several_processes_share_the_work_and_stop_on_sigterm(embedded, tmp_path):
    embedded.env["PROCESSOR_PROCESSES"] = "2"
    ids = embedded.seed(30)
    log = tmp_path / "processor.log"
    process = embedded.start(log=log)
    wait_for(lambda: embedded.queued() == 0, "the queues to drain", process)
    process.send_signal(signal.SIGTERM)
    assert process.wait(60) == 0, log.read_text()[-3000:]
    text = log.read_text()
    assert "processor-0" in text and "processor-1" in text
    assert text.count("processor stopped") == 2
    assert sorted(embedded.processed(ids)) == sorted(ids)
    assert embedded.searchable() == Counter(ids)
