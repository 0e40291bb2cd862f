"""Choosing the storage backend from STORAGE_URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from jansky.storage import (
    FilesystemCrashStorage,
    UnsupportedStorageUrl,
    open_storage,
    open_storage_from_settings,
)
from jansky.storage.s3 import S3CrashStorage


@pytest.fixture(autouse=True)
def offline_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def test_absolute_file_url(tmp_path: Path):
    storage = open_storage(f"file://{tmp_path}/crashes")
    assert isinstance(storage, FilesystemCrashStorage)
    assert storage.root == tmp_path.resolve() / "crashes"


def test_relative_file_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    storage = open_storage("file://var/crashes")
    assert isinstance(storage, FilesystemCrashStorage)
    assert storage.root == tmp_path.resolve() / "var" / "crashes"


@pytest.mark.parametrize(
    ("url", "bucket", "prefix"),
    [
        ("s3://jansky-crashes", "jansky-crashes", ""),
        ("s3://jansky-crashes/", "jansky-crashes", ""),
        ("s3://jansky-crashes/prod/eu", "jansky-crashes", "prod/eu"),
    ],
)
def test_s3_url(url: str, bucket: str, prefix: str):
    storage = open_storage(url, env={"STORAGE_S3_READ_TIMEOUT": "12"})
    assert isinstance(storage, S3CrashStorage)
    assert (storage.bucket, storage.prefix) == (bucket, prefix)
    assert storage.client.meta.config.read_timeout == 12
    assert storage.client.meta.config.s3 == {"addressing_style": "path"}


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("gs://bucket", "must be one of file://, s3://"),
        ("/srv/crashes", "must be one of file://, s3://"),
        ("", "must be one of file://, s3://"),
        ("file://", "has no path"),
        ("s3://", "must be s3://bucket"),
        ("s3://bucket?region=x", "no query"),
    ],
)
def test_unsupported_urls(url: str, message: str):
    with pytest.raises(UnsupportedStorageUrl, match=message):
        open_storage(url)


def test_from_settings_defaults_to_files_under_data_dir(tmp_path: Path):
    storage = open_storage_from_settings({"DATA_DIR": str(tmp_path)})
    assert isinstance(storage, FilesystemCrashStorage)
    assert storage.root == tmp_path.resolve() / "crashes"


def test_from_settings_uses_storage_url():
    storage = open_storage_from_settings({"STORAGE_URL": "s3://b/p"})
    assert isinstance(storage, S3CrashStorage)
    assert storage.describe() == "s3://b/p"
