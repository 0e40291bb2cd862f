"""Fixtures for the processor tests: test data, the real stackwalker, the schema."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from jansky.schemas import Schema, load_schema
from processor.config import default_stackwalker_path
from processor.stackwalker import Stackwalker
from tests.servers import provisioned, service_binaries, shared_testdata, unavailable

CRASH_ID = "de1bb258-cbbf-4589-a673-34f800160918"


@pytest.fixture(scope="session")
def rust_minidump() -> Path:
    return shared_testdata("rust-minidump")


@pytest.fixture(scope="session")
def stackwalker_path() -> str:
    path = default_stackwalker_path()
    if not (Path(path).exists() or shutil.which(path)):
        unavailable(f"no minidump-stackwalk binary at {path} (run bin/provision)")
    return path


@pytest.fixture(scope="session")
def service_path() -> str:
    """The stackwalker service the processor runs."""
    return provisioned(service_binaries()[0], "stackwalker")


@pytest.fixture(scope="session")
def fault_service_path() -> str:
    """The stackwalker service built with faults on purpose (stackwalker/src/faults.rs)."""
    return provisioned(service_binaries()[1], "stackwalker-faults")


@pytest.fixture
def stackwalker(stackwalker_path: str, rust_minidump: Path, tmp_path: Path) -> Stackwalker:
    """The real stackwalker with the test symbols."""
    return Stackwalker(
        stackwalker_path,
        symbols_paths=[str(rust_minidump / "symbols")],
        symbols_cache_path=tmp_path / "cache",
        symbols_tmp_path=tmp_path / "symtmp",
        kill_timeout=60,
    )


@pytest.fixture(scope="session")
def schema() -> Schema:
    return load_schema("processed_crash")


def read_snapshot(path: Path) -> dict[str, Any]:
    """The JSON body of an insta snapshot (after its YAML header)."""
    text = path.read_text()
    _, _, rest = text.partition("---\n")
    _, _, body = rest.partition("---\n")
    return json.loads(body)


def raw_crash(**annotations: Any) -> dict[str, Any]:
    crash = {
        "uuid": CRASH_ID,
        "submitted_timestamp": "2016-09-18T12:00:00+00:00",
        "ProductName": "Firefox",
        "Version": "120.0",
        "metadata": {"dump_checksums": {"upload_file_minidump": "ab" * 32}},
    }
    crash.update(annotations)
    return crash
