"""Direct S3 requests against MinIO: awkward keys round-trip, a bad signature is refused."""

from __future__ import annotations

import random
import uuid

import pytest
from botocore.credentials import Credentials

from jansky.storage.base import StorageError
from jansky.storage.s3 import S3CrashStorage
from jansky.storage.s3_direct import DirectRequestFailed, DirectS3

pytestmark = pytest.mark.integration

BUCKET = "jansky-crashes"


@pytest.fixture
def storage(aws_env: dict[str, str]) -> S3CrashStorage:
    storage = S3CrashStorage(BUCKET, prefix=f"tests/{uuid.uuid4().hex}")
    assert storage._direct is not None, "direct requests should be on by default"
    return storage


@pytest.mark.parametrize(
    "name",
    ["plain", "a space", "été/日本語", "plus+equals=&amp;", "tilde~star*(x)", "percent%20sign"],
)
def test_awkward_keys_round_trip(storage: S3CrashStorage, name: str) -> None:
    data = random.Random(name).randbytes(70_000)
    storage._put(name, data)
    try:
        assert storage._get(name) == data
        assert storage._exists(name)
    finally:
        storage._delete(name)
    assert not storage._exists(name)


def test_empty_object(storage: S3CrashStorage) -> None:
    storage._put("empty", b"")
    assert storage._get("empty") == b""
    storage._delete("empty")


def test_wrong_secret_is_refused_without_retries(aws_env: dict[str, str]) -> None:
    class WrongSecret:
        def get_frozen_credentials(self) -> Credentials:
            return Credentials(aws_env["AWS_ACCESS_KEY_ID"], "not-the-secret", None)

    sleeps: list[float] = []
    putter = DirectS3(
        aws_env["AWS_ENDPOINT_URL_S3"], "us-east-1", WrongSecret(), 2, 5, 3, sleep=sleeps.append
    )
    with pytest.raises(DirectRequestFailed) as raised:
        putter.put(BUCKET, f"tests/{uuid.uuid4().hex}/x", b"data")
    assert raised.value.code == "SignatureDoesNotMatch"
    assert sleeps == []


def test_missing_bucket_names_the_fix(aws_env: dict[str, str]) -> None:
    storage = S3CrashStorage(f"no-such-bucket-{uuid.uuid4().hex[:8]}")
    with pytest.raises(StorageError, match=r"NoSuchBucket.*create the bucket first"):
        storage._put("x", b"data")


def test_missing_objects_are_none(storage: S3CrashStorage) -> None:
    assert storage._get("never-written") is None
    assert not storage._exists("never-written")


def test_objects_written_by_botocore_are_read_back(storage: S3CrashStorage) -> None:
    key = f"{storage.prefix}/by-botocore"
    storage.client.put_object(Bucket=BUCKET, Key=key, Body=b"\x00\xff" * 1000)
    try:
        assert storage._get("by-botocore") == b"\x00\xff" * 1000
    finally:
        storage.client.delete_object(Bucket=BUCKET, Key=key)


def test_direct_requests_can_be_turned_off(aws_env: dict[str, str]) -> None:
    storage = S3CrashStorage(
        BUCKET, prefix=f"tests/{uuid.uuid4().hex}", env={"STORAGE_S3_DIRECT": "false"}
    )
    assert storage._direct is None
    assert not storage._exists("object")
    storage._put("object", b"data")
    try:
        assert storage._exists("object")
    finally:
        storage._delete("object")
