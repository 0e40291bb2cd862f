"""Throughput of the storage and queue backends: saves/s, loads/s, publishes/s, receive+ack/s.

Runs every backend it can reach: files and SQLite always; S3 (MinIO) and SQS (ElasticMQ) when
`make services` has written var/services.env. Each crash has a 400 KB dump. Figures are printed;
nothing is asserted.

    .venv/bin/python bench/storage_queue.py [--crashes N] [--messages N] [--threads N]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jansky.crashid import create_crash_id
from jansky.queue import open_queue
from jansky.queue.base import STANDARD, CrashQueue
from jansky.storage import open_storage
from jansky.storage.base import CrashStorage
from tests.servers import is_listening, read_services_env

DUMP_SIZE = 400 * 1024


def raw_crash(crash_id: str) -> dict:
    annotations = {f"Annotation{i}": f"value {i} ✓" for i in range(50)}
    return {**annotations, "ProductName": "Bench", "Version": "1.0", "uuid": crash_id}


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:9.1f}/s" if seconds > 0 else "      inf/s"


def timed(work: Callable[[str], object], items: Iterable[str], threads: int) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(work, items))
    return time.perf_counter() - started


def bench_storage(name: str, storage: CrashStorage, crashes: int, threads: int) -> None:
    dump = os.urandom(DUMP_SIZE)
    ids = [create_crash_id() for _ in range(crashes)]
    save = timed(
        lambda cid: storage.save_raw_crash(cid, raw_crash(cid), {"upload_file_minidump": dump}),
        ids,
        threads,
    )
    load = timed(lambda cid: (storage.load_raw_crash(cid), storage.load_dumps(cid)), ids, threads)
    for crash_id in ids:
        storage.delete_crash(crash_id)
    print(
        f"storage {name:6} {crashes} crashes x 400 KB, {threads} threads: "
        f"saves {rate(crashes, save)}  loads {rate(crashes, load)}"
    )


def bench_queue(name: str, queue: CrashQueue, messages: int, threads: int) -> None:
    ids = [create_crash_id() for _ in range(messages)]
    batches = [ids[i : i + 10] for i in range(0, len(ids), 10)]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(lambda batch: queue.publish(STANDARD, batch), batches))
    publish = time.perf_counter() - started

    received = 0
    started = time.perf_counter()
    deadline = started + 120
    while received < messages and time.perf_counter() < deadline:
        batch = queue.receive(STANDARD, max_messages=10)
        for message in batch:
            queue.ack(message)
        received += len(batch)
    consume = time.perf_counter() - started
    print(
        f"queue   {name:6} {messages} messages, batches of 10: "
        f"publishes {rate(messages, publish)}  receive+ack {rate(received, consume)}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--crashes", type=int, default=200)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    services = read_services_env()
    with tempfile.TemporaryDirectory() as tmp:
        bench_storage("fs", open_storage(f"file://{tmp}/crashes"), args.crashes, args.threads)
        if services and is_listening(services.get("AWS_ENDPOINT_URL_S3", "")):
            os.environ.update({k: v for k, v in services.items() if k.startswith("AWS_")})
            prefix = f"bench-{uuid.uuid4().hex[:8]}"
            bench_storage(
                "s3", open_storage(f"s3://jansky-crashes/{prefix}"), args.crashes, args.threads
            )
        else:
            print("storage s3     skipped: MinIO is not running (make services)")

        bench_queue("sqlite", open_queue(f"sqlite://{tmp}/queue.db"), args.messages, args.threads)
        if services and is_listening(services.get("AWS_ENDPOINT_URL_SQS", "")):
            queue = open_queue(f"sqs://?prefix=bench-{uuid.uuid4().hex[:8]}-")
            queue.create_queues()
            bench_queue("sqs", queue, args.messages, args.threads)
        else:
            print("queue   sqs    skipped: ElasticMQ is not running (make services)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
