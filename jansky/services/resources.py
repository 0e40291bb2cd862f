"""What the servers must hold before Jansky can use them: the bucket, the four queues and the
database. Every step is safe to repeat.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError
from psycopg import sql

from jansky.queue.sqs import SqsCrashQueue
from jansky.services.definitions import (
    ACCESS_KEY,
    BUCKET,
    DATABASE,
    QUEUE_PREFIX,
    REGION,
    SECRET_KEY,
    ElasticMQ,
    Minio,
    Postgres,
    Service,
)

T = TypeVar("T")


class SetupError(RuntimeError):
    """A bucket, queue or database could not be created."""


def _client(service: str, endpoint: str) -> Any:
    return boto3.session.Session().client(
        service,
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
        config=BotoConfig(connect_timeout=5, read_timeout=30, retries={"max_attempts": 5}),
    )


def _retrying(what: str, action: Callable[[], T], timeout: float = 30.0) -> T:
    """Run ``action``, retrying while a server that just said "healthy" finishes warming up."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return action()
        except Exception as exc:
            if time.monotonic() >= deadline:
                raise SetupError(f"{what} failed: {exc}") from exc
            time.sleep(1.0)


def create_bucket(minio: Minio) -> str:
    client = _client("s3", minio.endpoint)

    def create() -> None:
        try:
            client.create_bucket(Bucket=BUCKET)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in {
                "BucketAlreadyOwnedByYou",
                "BucketAlreadyExists",
            }:
                raise
        client.head_bucket(Bucket=BUCKET)

    _retrying(f"creating bucket {BUCKET!r} on {minio.endpoint}", create)
    return f"bucket {BUCKET}"


def create_queues(elasticmq: ElasticMQ) -> str:
    """The queues, created by the SQS backend itself so their attributes are the ones it wants."""
    queue = SqsCrashQueue(prefix=QUEUE_PREFIX, client=_client("sqs", elasticmq.endpoint))
    _retrying(f"creating the queues on {elasticmq.endpoint}", queue.create_queues)
    return f"queues {QUEUE_PREFIX}{{standard,priority,reprocessing,dead-letter}}"


def create_database(postgres: Postgres) -> str:
    def create() -> None:
        with postgres.connect() as connection:
            exists = connection.execute(
                "select 1 from pg_database where datname = %s", (DATABASE,)
            ).fetchone()
            if not exists:
                connection.execute(sql.SQL("create database {}").format(sql.Identifier(DATABASE)))

    _retrying(f"creating database {DATABASE!r} on {postgres.endpoint}", create)
    return f"database {DATABASE}"


def prepare(service: Service) -> str | None:
    """Create what ``service`` must hold; returns a description, or None if it needs nothing."""
    if isinstance(service, Minio):
        return create_bucket(service)
    if isinstance(service, ElasticMQ):
        return create_queues(service)
    if isinstance(service, Postgres):
        return create_database(service)
    return None
