"""Crash storage in an S3 bucket (AWS, MinIO or any S3-compatible server).

The endpoint, region and credentials come from the standard AWS environment
(``AWS_ENDPOINT_URL_S3``, ``AWS_REGION``, ``AWS_ACCESS_KEY_ID``, ...), read by boto3 itself
except ``AWS_REGION``, which botocore ignores (it reads ``AWS_DEFAULT_REGION``) and is passed here.
Every call has explicit timeouts and a bounded number of attempts, so a slow or unreachable
server turns into a :class:`StorageError` well before a collector worker times out.
"""

from __future__ import annotations

import concurrent.futures
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import boto3
import botocore.config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
)
from everett.manager import Option

from jansky.config import config_manager
from jansky.storage.base import StorageError
from jansky.storage.objects import ObjectCrashStorage
from jansky.storage.s3_direct import DirectRequestFailed, DirectS3, proxy_applies

# Error codes S3 servers use for an absent object (``404`` when the call has no body).
_MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound"})
# Concurrent PUTs of one save (dump names and dumps); the connection pool is sized to match.
PARALLEL_PUTS = 8
# Keys per DeleteObjects request (the most S3 accepts).
DELETE_BATCH = 1000
MAX_POOL_CONNECTIONS = 32


class S3StorageConfig:
    """S3 crash storage: timeouts and retries of every S3 call."""

    class Config:
        storage_s3_connect_timeout = Option(
            default="5",
            parser=float,
            doc="Seconds to wait for a connection to the S3 endpoint.",
        )
        storage_s3_read_timeout = Option(
            default="30",
            parser=float,
            doc="Seconds to wait for data on an open S3 connection.",
        )
        storage_s3_max_attempts = Option(
            default="3",
            parser=int,
            doc=(
                "Attempts per S3 call, the first included, before it fails; retries back off "
                "exponentially (botocore's standard mode)."
            ),
        )
        storage_s3_direct = Option(
            default="true",
            parser=bool,
            doc=(
                "PUT, GET, HEAD and DELETE objects with one request signed by Jansky (SigV4, "
                "payload SHA-256) instead of a botocore call: same credentials, endpoint and "
                "retries, a third of the CPU per object. Not used when a proxy applies to the "
                "endpoint. Set false to send every call through botocore."
            ),
        )


def _error_code(exc: Exception) -> str:
    if isinstance(exc, DirectRequestFailed):
        return exc.code
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


def client_config(env: Mapping[str, str] | None = None) -> botocore.config.Config:
    """The botocore client configuration from the ``STORAGE_S3_*`` options."""
    config = config_manager(env).with_options(S3StorageConfig)
    max_attempts = config("storage_s3_max_attempts")
    if max_attempts < 1:
        raise ValueError(f"STORAGE_S3_MAX_ATTEMPTS must be at least 1, got {max_attempts}")
    return botocore.config.Config(
        connect_timeout=config("storage_s3_connect_timeout"),
        read_timeout=config("storage_s3_read_timeout"),
        retries={"total_max_attempts": max_attempts, "mode": "standard"},
        s3={"addressing_style": "path"},
        max_pool_connections=MAX_POOL_CONNECTIONS,
    )


def direct_client(
    client: Any, session: boto3.session.Session, env: Mapping[str, str] | None = None
) -> DirectS3 | None:
    """The lean object path (PUT, GET, HEAD, DELETE) for ``client``'s endpoint, or None when
    botocore must do it.

    None when ``STORAGE_S3_DIRECT`` is false, when a proxy applies (botocore handles
    proxies) or when there are no credentials (botocore then explains what is missing).
    """
    config = config_manager(env).with_options(S3StorageConfig)
    credentials = session.get_credentials()
    endpoint_url = client.meta.endpoint_url
    if not config("storage_s3_direct") or credentials is None or proxy_applies(endpoint_url):
        return None
    return DirectS3(
        endpoint_url,
        client.meta.region_name or "us-east-1",
        credentials,
        connect_timeout=config("storage_s3_connect_timeout"),
        read_timeout=config("storage_s3_read_timeout"),
        max_attempts=config("storage_s3_max_attempts"),
        ca_bundle=os.environ.get("AWS_CA_BUNDLE") or None,
    )


class S3CrashStorage(ObjectCrashStorage):
    """Crashes stored as objects in ``bucket``, under ``prefix/`` when a prefix is given.

    The bucket must exist. ``client`` is for callers that already have an S3 client; by default
    one is built from the AWS environment and the ``STORAGE_S3_*`` options.
    """

    # 256 listings per date: parts enough to keep every thread busy on a busy day, few
    # enough that a quiet day costs little.
    listing_prefix_digits = 2

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        client: Any = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        if not bucket:
            raise ValueError("the S3 bucket name is empty; use s3://bucket[/prefix]")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._executor_lock = threading.Lock()
        self._direct: DirectS3 | None = None
        if client is not None:
            self.client = client
            return
        session = boto3.session.Session()
        self.client = session.client(
            "s3", region_name=os.environ.get("AWS_REGION") or None, config=client_config(env)
        )
        self._direct = direct_client(self.client, session, env)

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"

    def _object_key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _error(self, action: str, key: str, exc: Exception) -> StorageError:
        message = f"s3://{self.bucket}/{self._object_key(key)}: {action} failed: {exc}"
        if _error_code(exc) == "NoSuchBucket":
            message += "; create the bucket first (`jansky setup` does)"
        elif isinstance(exc, EndpointConnectionError | ConnectTimeoutError) or (
            isinstance(exc, DirectRequestFailed) and exc.unreachable
        ):
            message += "; check AWS_ENDPOINT_URL_S3 and that the server is up"
        return StorageError(message)

    def _put(self, key: str, data: bytes) -> None:
        try:
            if self._direct is not None:
                self._direct.put(self.bucket, self._object_key(key), data)
            else:
                self.client.put_object(Bucket=self.bucket, Key=self._object_key(key), Body=data)
        except (BotoCoreError, ClientError, DirectRequestFailed) as exc:
            raise self._error("put", key, exc) from exc

    def _put_many(self, objects: Sequence[tuple[str, bytes]]) -> None:
        """PUT the objects concurrently (a crash's dumps cost one round trip, not one each)."""
        if len(objects) < 2:
            super()._put_many(objects)
            return
        with self._executor_lock:
            if self._executor is None:
                self._executor = concurrent.futures.ThreadPoolExecutor(
                    max_workers=PARALLEL_PUTS, thread_name_prefix="s3-put"
                )
        futures = [self._executor.submit(self._put, key, data) for key, data in objects]
        # Wait for every PUT, so none is still running when the caller goes on or retries.
        concurrent.futures.wait(futures)
        for future in futures:
            future.result()

    def _get(self, key: str) -> bytes | None:
        try:
            if self._direct is not None:
                return self._direct.get(self.bucket, self._object_key(key))
            response = self.client.get_object(Bucket=self.bucket, Key=self._object_key(key))
            return response["Body"].read()
        except DirectRequestFailed as exc:
            raise self._error("get", key, exc) from exc
        except ClientError as exc:
            if _error_code(exc) in _MISSING_CODES:
                return None
            raise self._error("get", key, exc) from exc
        except BotoCoreError as exc:
            raise self._error("get", key, exc) from exc

    def _delete(self, key: str) -> None:
        try:
            if self._direct is not None:
                self._direct.delete(self.bucket, self._object_key(key))
            else:
                self.client.delete_object(Bucket=self.bucket, Key=self._object_key(key))
        except (BotoCoreError, ClientError, DirectRequestFailed) as exc:
            raise self._error("delete", key, exc) from exc

    def _delete_many(self, keys_to_delete: Sequence[str]) -> None:
        """DeleteObjects, up to 1,000 keys a request, instead of a DELETE per object."""
        for start in range(0, len(keys_to_delete), DELETE_BATCH):
            batch = keys_to_delete[start : start + DELETE_BATCH]
            objects = [{"Key": self._object_key(key)} for key in batch]
            try:
                answer = self.client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": objects, "Quiet": True}
                )
            except (BotoCoreError, ClientError) as exc:
                error = self._error("delete", batch[0], exc)
                raise StorageError(f"{error} (one request for {len(batch)} objects)") from exc
            errors = answer.get("Errors") or []
            if errors:
                first = errors[0]
                raise StorageError(
                    f"s3://{self.bucket}/{first.get('Key')}: delete failed: "
                    f"{first.get('Code')}: {first.get('Message')} "
                    f"({len(errors)} of {len(batch)} objects not deleted)"
                )

    def _list(self, prefix: str, name_prefix: str = "") -> Iterator[str]:
        for page in self._pages(prefix, name_prefix):
            for item in page.get("Contents", []):
                yield item["Key"][len(self._object_key(prefix)) :]

    def _list_folders(self, prefix: str) -> Iterator[str]:
        for page in self._pages(prefix):
            for item in page.get("CommonPrefixes", []):
                yield item["Prefix"][len(self._object_key(prefix)) :].rstrip("/")

    def _pages(self, prefix: str, name_prefix: str = "") -> Iterator[dict[str, Any]]:
        """The listing pages of the keys directly under ``prefix`` (1,000 keys a page)."""
        paginator = self.client.get_paginator("list_objects_v2")
        full_prefix = self._object_key(prefix) + name_prefix
        try:
            yield from paginator.paginate(Bucket=self.bucket, Prefix=full_prefix, Delimiter="/")
        except (BotoCoreError, ClientError) as exc:
            raise self._error("list", prefix, exc) from exc

    def _exists(self, key: str) -> bool:
        try:
            if self._direct is not None:
                return self._direct.exists(self.bucket, self._object_key(key))
            self.client.head_object(Bucket=self.bucket, Key=self._object_key(key))
        except DirectRequestFailed as exc:
            raise self._error("head", key, exc) from exc
        except ClientError as exc:
            if _error_code(exc) in _MISSING_CODES:
                return False
            raise self._error("head", key, exc) from exc
        except BotoCoreError as exc:
            raise self._error("head", key, exc) from exc
        return True

    def create_bucket(self) -> bool:
        """Create the bucket unless it exists; returns whether it was created (`jansky setup`)."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
            return False
        except ClientError as exc:
            if _error_code(exc) not in {"404", "NoSuchBucket", "NotFound"}:
                raise self._error("head bucket", "", exc) from exc
        except BotoCoreError as exc:
            raise self._error("head bucket", "", exc) from exc
        region = self.client.meta.region_name
        location = {} if region in (None, "us-east-1") else {"LocationConstraint": region}
        try:
            if location:
                self.client.create_bucket(Bucket=self.bucket, CreateBucketConfiguration=location)
            else:
                self.client.create_bucket(Bucket=self.bucket)
        except (BotoCoreError, ClientError) as exc:
            raise self._error("create bucket", "", exc) from exc
        return True
