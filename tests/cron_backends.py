"""Crash storage, search and queues for the cron jobs' tests, by kind, each test its own:
files and SQLite under tmp_path, or a random S3 prefix, index template and SQS queue prefix
on the real servers; Crash Stats' settings pointed at them; everything removed afterwards."""

from __future__ import annotations

import dataclasses
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from jansky.queue import CrashQueue, open_queue
from jansky.search import SearchBackend, open_search
from jansky.search.cluster.backend import ClusterSearch
from jansky.search.settings import SearchSettings
from jansky.storage import CrashStorage, open_storage
from tests.servers import server_env
from webapp.crashstats import backends as crashstats_backends

BUCKET = "jansky-crashes"
SEARCH_KEYS = {"opensearch": "SEARCH_URL", "elasticsearch": "ELASTICSEARCH_URL"}


@dataclass
class Backends:
    storage: CrashStorage
    search: SearchBackend
    queue: CrashQueue
    storage_url: str
    search_url: str
    queue_url: str
    search_settings: SearchSettings


def backend_urls(storage: str, search: str, queue: str, tmp_path: Path) -> tuple[str, str, str]:
    """URLs for the kinds ``fs``/``s3``, ``sqlite``/``opensearch``/``elasticsearch``,
    ``sqlite``/``sqs``; the server ones need the AWS environment applied (``aws_env``)."""
    if storage == "fs":
        storage_url = f"file://{tmp_path / 'crashes'}"
    else:
        server_env("AWS_ENDPOINT_URL_S3")
        storage_url = f"s3://{BUCKET}/tests/{uuid.uuid4().hex}"
    if search == "sqlite":
        search_url = f"sqlite://{tmp_path / 'search.db'}"
    else:
        search_url = server_env(SEARCH_KEYS[search])[SEARCH_KEYS[search]]
    if queue == "sqlite":
        queue_url = f"sqlite://{tmp_path / 'queue.db'}"
    else:
        server_env("AWS_ENDPOINT_URL_SQS")
        queue_url = f"sqs://?prefix=jc{uuid.uuid4().hex[:12]}-"
    return storage_url, search_url, queue_url


def open_backends(urls: tuple[str, str, str], **search_settings: Any) -> Backends:
    settings = SearchSettings(
        index_template=f"jc{uuid.uuid4().hex[:10]}%Y%W", replicas=0, **search_settings
    )
    queue = open_queue(urls[2])
    create_queues = getattr(queue, "create_queues", None)
    if create_queues is not None:
        create_queues()
    return Backends(
        open_storage(urls[0]), open_search(urls[1], settings=settings), queue, *urls, settings
    )


def close_backends(made: Backends) -> None:
    """Delete what the test made on the servers."""
    if isinstance(made.search, ClusterSearch):
        made.search.client.delete(made.search.all_indices())
    made.search.close()
    if made.storage_url.startswith("s3://"):
        prefix = made.storage_url.split("/", 3)[3]
        client = boto3.session.Session().client("s3")
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
            for item in page.get("Contents", []):
                client.delete_object(Bucket=BUCKET, Key=item["Key"])
    if made.queue_url.startswith("sqs://"):
        client = boto3.client("sqs", region_name=os.environ.get("AWS_REGION"))
        prefix = made.queue_url.split("prefix=", 1)[1]
        for url in client.list_queues(QueueNamePrefix=prefix).get("QueueUrls", []):
            client.delete_queue(QueueUrl=url)


def use_in_crashstats(made: Backends, settings: Any) -> None:
    """Point Crash Stats (and so the cron jobs) at these backends (pytest-django ``settings``)."""
    settings.JANSKY_CORE = dataclasses.replace(
        settings.JANSKY_CORE,
        storage_url=made.storage_url,
        search_url=made.search_url,
        queue_url=made.queue_url,
    )
    settings.JANSKY_SEARCH = made.search_settings
    crashstats_backends.reset()


def stored_keys(storage: CrashStorage) -> set[str]:
    """Every key the storage holds, listed on the server itself."""
    if storage.describe().startswith("file://"):
        root = Path(storage.describe()[len("file://") :])
        return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}
    bucket, _, prefix = storage.describe()[len("s3://") :].partition("/")
    client = boto3.session.Session().client("s3")
    found = set()
    for page in client.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=prefix + "/"
    ):
        found.update(item["Key"][len(prefix) + 1 :] for item in page.get("Contents", []))
    return found
