"""The symbol store in S3 (MinIO): streamed writes (in 8 MiB parts) and reads, and the
processor's loopback symbol server over it."""

from __future__ import annotations

import hashlib
import io
import urllib.request
import uuid
from collections.abc import Iterator

import pytest

from jansky.storage.s3 import S3CrashStorage
from jansky.symbols.layout import symbol_key
from jansky.symbols.store import S3SymbolStore, symbol_store_for
from processor.symbol_sources import sources_for

pytestmark = pytest.mark.integration

BUCKET = "jansky-crashes"
KEY = symbol_key("libapp.so", "ABCDEF0123456789ABCDEF01234567890")


class Generated(io.RawIOBase):
    """``size`` bytes of symbol-like text, made as they are read (never all in memory)."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.digest = hashlib.sha256()
        self.line = b"FUNC 1000 10 0 some::function(int, char const*)\n"

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        size = self.left if size < 0 else min(size, self.left)
        data = (self.line * (size // len(self.line) + 1))[:size]
        self.left -= len(data)
        self.digest.update(data)
        return data


@pytest.fixture
def store(aws_env) -> Iterator[S3SymbolStore]:
    storage = S3CrashStorage(BUCKET, prefix=f"tests/{uuid.uuid4().hex}")
    symbols = symbol_store_for(storage)
    assert isinstance(symbols, S3SymbolStore)
    yield symbols
    client = storage.client
    for page in client.get_paginator("list_objects_v2").paginate(
        Bucket=BUCKET, Prefix=storage.prefix
    ):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=BUCKET, Key=item["Key"])


def test_files_are_written_read_and_deleted_under_the_prefix(store):
    assert store.size(KEY) is None and store.open(KEY) is None
    assert store.put(KEY, io.BytesIO(b"MODULE Linux x86_64 id libapp.so\n")) == 33
    objects = store.client.list_objects_v2(Bucket=BUCKET, Prefix=store.prefix)["Contents"]
    assert [item["Key"] for item in objects] == [f"{store.prefix}/{KEY.path}"]
    assert store.prefix.endswith("/symbols")
    assert store.size(KEY) == 33
    opened = store.open(KEY)
    try:
        assert b"".join(opened.chunks(7)) == b"MODULE Linux x86_64 id libapp.so\n"
    finally:
        opened.close()
    store.delete(KEY)
    assert store.size(KEY) is None


def test_a_large_file_goes_up_in_parts_and_comes_back_whole(store):
    source = Generated(70 << 20)  # nine parts
    assert store.put(KEY, source) == 70 << 20
    opened = store.open(KEY)
    digest = hashlib.sha256()
    try:
        for chunk in opened.chunks():
            assert len(chunk) <= 1 << 20
            digest.update(chunk)
    finally:
        opened.close()
    assert digest.hexdigest() == source.digest.hexdigest()


def test_the_loopback_symbol_server_streams_from_s3(store):
    store.put(KEY, io.BytesIO(b"MODULE Linux x86_64 ABCDEF0123456789ABCDEF01234567890 libapp.so\n"))
    sources = sources_for(store)
    try:
        with urllib.request.urlopen(f"{sources.urls[0]}{KEY.path}?code_file=x", timeout=10) as r:
            assert r.read().startswith(b"MODULE Linux")
    finally:
        sources.close()
