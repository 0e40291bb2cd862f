"""S3 storage: client settings and error mapping (the contract suite runs it against MinIO)."""

from __future__ import annotations

import datetime
import io
import socket

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber
from everett import InvalidValueError

from jansky.crashid import create_crash_id
from jansky.storage import CrashNotFound, StorageError
from jansky.storage.s3 import S3CrashStorage, client_config

DAY = datetime.datetime(2024, 3, 9, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def no_aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def stubbed(prefix: str = "") -> tuple[S3CrashStorage, Stubber]:
    storage = S3CrashStorage("crashes", prefix=prefix, client=boto3.session.Session().client("s3"))
    stubber = Stubber(storage.client)
    stubber.activate()
    return storage, stubber


def body(data: bytes) -> dict:
    return {"Body": StreamingBody(io.BytesIO(data), len(data))}


def test_client_settings_come_from_the_options():
    config = client_config(
        {
            "STORAGE_S3_CONNECT_TIMEOUT": "2.5",
            "STORAGE_S3_READ_TIMEOUT": "7",
            "STORAGE_S3_MAX_ATTEMPTS": "4",
        }
    )
    assert (config.connect_timeout, config.read_timeout) == (2.5, 7.0)
    assert config.retries == {"total_max_attempts": 4, "mode": "standard"}
    assert config.s3 == {"addressing_style": "path"}


def test_client_settings_defaults():
    config = client_config({})
    assert (config.connect_timeout, config.read_timeout) == (5.0, 30.0)
    assert config.retries["total_max_attempts"] == 3


@pytest.mark.parametrize(
    ("env", "error"),
    [
        ({"STORAGE_S3_MAX_ATTEMPTS": "0"}, ValueError),
        ({"STORAGE_S3_MAX_ATTEMPTS": "many"}, InvalidValueError),
        ({"STORAGE_S3_READ_TIMEOUT": "soon"}, InvalidValueError),
    ],
)
def test_bad_client_settings_are_refused(env, error):
    with pytest.raises(error, match="STORAGE_S3"):
        client_config(env)


def test_keys_go_under_the_prefix():
    storage, stubber = stubbed(prefix="/a/b/")
    crash_id = create_crash_id(DAY)
    for key in (f"a/b/v1/dump_names/{crash_id}", f"a/b/v1/raw_crash/20240309/{crash_id}"):
        stubber.add_response("put_object", {}, {"Bucket": "crashes", "Key": key, "Body": ANY})
    stubber.add_response(
        "get_object",
        body(b"{}"),
        {"Bucket": "crashes", "Key": f"a/b/v1/processed_crash/{crash_id}"},
    )
    storage.save_raw_crash(crash_id, {"x": "y"}, {})
    assert storage.load_processed_crash(crash_id) == {}
    stubber.assert_no_pending_responses()
    assert storage.describe() == "s3://crashes/a/b"


def test_missing_key_is_crash_not_found():
    storage, stubber = stubbed()
    crash_id = create_crash_id(DAY)
    stubber.add_client_error("get_object", "NoSuchKey", http_status_code=404)
    with pytest.raises(CrashNotFound, match=f"{crash_id}: no raw crash"):
        storage.load_raw_crash(crash_id)


@pytest.mark.parametrize(
    ("method", "code", "status"),
    [
        ("get_object", "NoSuchBucket", 404),
        ("get_object", "AccessDenied", 403),
        ("get_object", "SlowDown", 503),
    ],
)
def test_other_get_errors_are_storage_errors_naming_the_key(method, code, status):
    storage, stubber = stubbed()
    crash_id = create_crash_id(DAY)
    stubber.add_client_error(method, code, http_status_code=status)
    with pytest.raises(
        StorageError, match=f"s3://crashes/v1/raw_crash/20240309/{crash_id}"
    ) as info:
        storage.load_raw_crash(crash_id)
    assert not isinstance(info.value, CrashNotFound)
    assert code in str(info.value)
    assert ("create the bucket" in str(info.value)) == (code == "NoSuchBucket")


def test_put_and_delete_errors_are_storage_errors():
    storage, stubber = stubbed()
    crash_id = create_crash_id(DAY)
    stubber.add_client_error("put_object", "AccessDenied", http_status_code=403)
    with pytest.raises(StorageError, match=f"v1/processed_crash/{crash_id}: put failed"):
        storage.save_processed_crash(crash_id, {})
    stubber.add_response("get_object", body(b"[]"))
    stubber.add_client_error("delete_objects", "AccessDenied", http_status_code=403)
    with pytest.raises(StorageError, match=f"raw_crash/20240309/{crash_id}: delete failed"):
        storage.delete_crash(crash_id)


def test_objects_a_batch_delete_refuses_are_a_storage_error():
    storage, stubber = stubbed()
    crash_id = create_crash_id(DAY)
    stubber.add_response("get_object", body(b"[]"))
    stubber.add_response("delete_objects", {})  # the raw crash goes
    refused = {"Key": f"v1/dump_names/{crash_id}", "Code": "AccessDenied", "Message": "no"}
    stubber.add_response("delete_objects", {"Errors": [refused]})
    with pytest.raises(StorageError, match=r"dump_names/.*AccessDenied: no \(1 of 2 objects"):
        storage.delete_crash(crash_id)


def test_listing_pages_through_every_object():
    storage, stubber = stubbed(prefix="p")
    ids = sorted(create_crash_id(DAY) for _ in range(3))
    prefix = "p/v1/raw_crash/20240309/"
    expected = {"Bucket": "crashes", "Prefix": prefix, "Delimiter": "/"}
    stubber.add_response(
        "list_objects_v2",
        {
            "Contents": [{"Key": prefix + ids[0]}, {"Key": prefix + "junk"}],
            "IsTruncated": True,
            "NextContinuationToken": "next",
        },
        expected,
    )
    stubber.add_response(
        "list_objects_v2",
        {"Contents": [{"Key": prefix + ids[1]}, {"Key": prefix + ids[2]}], "IsTruncated": False},
        {**expected, "ContinuationToken": "next"},
    )
    assert list(storage.list_crash_ids(DAY.date())) == ids


def test_listing_errors_are_storage_errors():
    storage, stubber = stubbed()
    stubber.add_client_error("list_objects_v2", "NoSuchBucket", http_status_code=404)
    with pytest.raises(StorageError, match="v1/raw_crash/20240309/: list failed"):
        list(storage.list_crash_ids(DAY.date()))


def test_an_unreachable_endpoint_fails_within_the_attempts(monkeypatch: pytest.MonkeyPatch):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", f"http://127.0.0.1:{port}")
    storage = S3CrashStorage(
        "crashes", env={"STORAGE_S3_CONNECT_TIMEOUT": "1", "STORAGE_S3_MAX_ATTEMPTS": "2"}
    )
    with pytest.raises(StorageError, match=r"s3://crashes/test/health-.*: put failed.*is up"):
        storage.check_health()


def test_an_empty_bucket_name_is_refused():
    with pytest.raises(ValueError, match="bucket name is empty"):
        S3CrashStorage("")
