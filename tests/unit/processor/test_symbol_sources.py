"""Where the processor's stackwalker finds symbols: the own store first (a folder, or a loopback
symbol server for a remote store), then the cache and the upstream servers; symbols uploaded
after a crash was walked are found when it is walked again."""

from __future__ import annotations

import io
import shutil
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from markus.testing import MetricsMock

from jansky.symbols import missing
from jansky.symbols.layout import symbol_key
from jansky.symbols.store import FileSymbolStore
from processor.config import load_processor_settings
from processor.pipeline import Pipeline
from processor.rules.stackwalker import MinidumpStackwalkRule
from processor.rulesets import build_rulesets
from processor.service_stackwalker import ServiceStackwalker
from processor.stackwalker import Stackwalker
from processor.stackwalker_service import ServiceSettings, StackwalkerService
from processor.store_symbol_server import key_of
from processor.symbol_sources import open_own_store_sources, sources_for
from tests.unit.processor.conftest import CRASH_ID, raw_crash

TEST_APP_ID = "5A9832E5287241C1838ED98914E9B7FF1"
TEST_APP = symbol_key("test_app.pdb", TEST_APP_ID)


class RemoteStore(FileSymbolStore):
    """A store the stackwalker cannot read as a folder, as an S3 store (tests/integration has
    the real one)."""

    def local_directory(self) -> None:
        return None


def get(url: str, method: str = "GET") -> tuple[int, bytes, dict[str, str]]:
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


def test_a_store_on_files_is_the_first_symbols_path(tmp_path):
    settings = load_processor_settings({"DATA_DIR": str(tmp_path), "SYMBOLS_PATHS": "/other"})
    sources = open_own_store_sources(f"file://{tmp_path / 'crashes'}")
    applied = sources.applied_to(settings)
    assert applied.symbols_paths[:2] == (
        str((tmp_path / "crashes" / "symbols").resolve()),
        "/other",
    )
    assert applied.symbols_urls == ()
    assert (
        open_own_store_sources(f"file://{tmp_path}", enabled=False).applied_to(settings) == settings
    )


def test_a_remote_store_is_served_on_the_loopback(tmp_path, rust_minidump):
    store = RemoteStore(tmp_path / "store")
    sym = rust_minidump / "symbols" / TEST_APP.path
    with sym.open("rb") as stream:
        store.put(TEST_APP, stream)
    sources = sources_for(store)
    try:
        assert sources.paths == () and sources.urls[0].startswith("http://127.0.0.1:")
        base = sources.urls[0]
        with MetricsMock() as metrics:
            status, body, headers = get(f"{base}{TEST_APP.path}?code_file=a.exe&code_id=1")
            assert (status, body) == (200, sym.read_bytes())
            status, body, headers = get(f"{base}{TEST_APP.path}", "HEAD")
            assert (status, body, headers["Content-Length"]) == (200, b"", str(sym.stat().st_size))
            missing = f"test_app.pdb/6{TEST_APP_ID[1:]}/test_app.sym"
            assert get(f"{base}{missing}")[0] == 404
            assert metrics.has_record("incr", "socorro.processor.symbols_store.hit")
            assert metrics.has_record("incr", "socorro.processor.symbols_store.miss")
        for path in ("", "a/b", "../../etc/passwd/x", "test_app.pdb/x/test_app.sym", "%2e%2e/a/b"):
            assert get(f"{base}{path}")[0] == 404, path
    finally:
        sources.close()


def test_key_of_ignores_the_query_and_refuses_other_paths():
    assert key_of(f"/{TEST_APP.path}?code_file=x") == TEST_APP
    assert key_of(f"/x/{TEST_APP.path}") is None
    assert key_of("/test_app.pdb/%2e%2e/test_app.sym") is None


@pytest.fixture
def remote(tmp_path):
    store = RemoteStore(tmp_path / "store")
    sources = sources_for(store)
    yield store, sources
    sources.close()


def service_walker(stackwalker_path: str, service_path: str, tmp_path: Path, paths=(), urls=()):
    one_shot = Stackwalker(
        stackwalker_path,
        symbols_urls=urls,
        symbols_paths=paths,
        symbols_cache_path=tmp_path / "cache",
        symbols_tmp_path=tmp_path / "symtmp",
        kill_timeout=60,
    )
    service = StackwalkerService(ServiceSettings(service_path, cache_size=1 << 30, max_memory=0))
    return ServiceStackwalker(one_shot, service)


def frame0(result) -> str | None:
    return result.json_dump["crashing_thread"]["frames"][0].get("function")


def lookups(metrics: MetricsMock) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in metrics.filter_records("incr", "socorro.processor.symbols.lookup"):
        source = next(tag for tag in record.tags if tag.startswith("source:")).split(":")[1]
        counts[source] = counts.get(source, 0) + record.value
    return counts


def test_symbols_uploaded_to_a_store_on_files_are_found_by_the_next_walk(
    stackwalker_path, service_path, rust_minidump, tmp_path
):
    store = FileSymbolStore(tmp_path / "store")
    walker = service_walker(
        stackwalker_path, service_path, tmp_path, paths=(str(store.local_directory()),)
    )
    dump = rust_minidump / "test.dmp"
    try:
        with MetricsMock() as metrics:
            before = walker.run(dump, "upload_file_minidump")
            assert lookups(metrics) == {"missing": 2}  # test_app.exe and kernel32.dll
        assert frame0(before) is None
        with (rust_minidump / "symbols" / TEST_APP.path).open("rb") as stream:
            store.put(TEST_APP, stream)
        with MetricsMock() as metrics:
            after = walker.run(dump, "upload_file_minidump")  # the same service: no restart
            assert lookups(metrics) == {"local": 1, "missing": 1}
        assert frame0(after) == "`anonymous namespace'::CrashFunction"
        with MetricsMock() as metrics:
            walker.run(dump, "upload_file_minidump")
            assert lookups(metrics) == {"memory": 1, "missing": 1}
    finally:
        walker.close()


def test_a_remote_store_goes_through_the_bounded_disk_cache(
    stackwalker_path, service_path, rust_minidump, tmp_path, remote
):
    store, sources = remote
    dump = rust_minidump / "test.dmp"
    walker = service_walker(stackwalker_path, service_path, tmp_path, urls=sources.urls)
    try:
        with MetricsMock() as metrics:
            assert frame0(walker.run(dump, "upload_file_minidump")) is None
            assert metrics.filter_records("incr", "socorro.processor.symbols_cache.miss")
        with (rust_minidump / "symbols" / TEST_APP.path).open("rb") as stream:
            store.put(TEST_APP, stream)
        with MetricsMock() as metrics:
            after = walker.run(dump, "upload_file_minidump")
            assert lookups(metrics) == {"download": 1, "missing": 1}
        assert frame0(after) == "`anonymous namespace'::CrashFunction"
        assert (tmp_path / "cache" / TEST_APP.path).is_file()  # kept in the on-disk cache
    finally:
        walker.close()
    # A new service (a restarted processor) reads it from the disk cache, not the store.
    shutil.rmtree(store.root)
    walker = service_walker(stackwalker_path, service_path, tmp_path, urls=sources.urls)
    try:
        with MetricsMock() as metrics:
            assert frame0(walker.run(dump, "upload_file_minidump")) is not None
            assert lookups(metrics) == {"cache": 1, "missing": 1}
            hits = metrics.filter_records("incr", "socorro.processor.symbols_cache.hit")
            assert sum(record.value for record in hits) == 1
    finally:
        walker.close()


def test_the_store_comes_before_the_configured_symbol_paths(
    stackwalker_path, service_path, rust_minidump, tmp_path
):
    store = FileSymbolStore(tmp_path / "store")
    # The store's copy differs from the shared one: which one the walk used shows in its JSON.
    text = (rust_minidump / "symbols" / TEST_APP.path).read_text()
    store.put(TEST_APP, io.BytesIO(text.replace("CrashFunction", "FromTheStore").encode()))
    walker = service_walker(
        stackwalker_path,
        service_path,
        tmp_path,
        paths=(str(store.local_directory()), str(rust_minidump / "symbols")),
    )
    try:
        result = walker.run(rust_minidump / "test.dmp", "upload_file_minidump")
        assert frame0(result) == "`anonymous namespace'::FromTheStore"
    finally:
        walker.close()


def test_the_pipeline_records_missing_modules_and_signs_again_once_they_arrive(
    stackwalker_path, service_path, rust_minidump, tmp_path, schema
):
    store = FileSymbolStore(tmp_path / "store")
    walker = service_walker(
        stackwalker_path, service_path, tmp_path, paths=(str(store.local_directory()),)
    )
    pipeline = Pipeline(build_rulesets(schema, MinidumpStackwalkRule(walker, version="test")))
    dumps = {"upload_file_minidump": rust_minidump / "test.dmp"}
    try:
        first = pipeline.process(CRASH_ID, "default", raw_crash(), dumps, {}, tmp_path)
        assert first["signature"] == "test_app.exe"
        assert first[missing.FIELD] == [
            "kernel32.pdb/BCE8785C57B44245A669896B6A19B9542/kernel32.dll/44ab9a84f4000",
            f"test_app.pdb/{TEST_APP_ID}/test_app.exe/45d35f6c2d000",
        ]
        with (rust_minidump / "symbols" / TEST_APP.path).open("rb") as stream:
            store.put(TEST_APP, stream)
        again = pipeline.process(CRASH_ID, "default", raw_crash(), dumps, first, tmp_path)
        assert again["signature"] == "(anonymous namespace)::CrashFunction"
        assert again[missing.FIELD] == [
            "kernel32.pdb/BCE8785C57B44245A669896B6A19B9542/kernel32.dll/44ab9a84f4000"
        ]
    finally:
        walker.close()
