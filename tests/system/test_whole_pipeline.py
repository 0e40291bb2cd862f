"""The whole pipeline, end to end, in both shapes.

Production: docker-compose.yml's Jansky services, each started with its compose command and
environment (tests/stacks.py), on MinIO, ElasticMQ, OpenSearch and PostgreSQL. Embedded:
`jansky run` on files and SQLite. In each, real crashes of crashgen (one per kind, minidumps
written by its crash handler) and the shared test minidumps are posted to the collector, then
found processed and searchable through Crash Stats' API, and on its report and signature pages,
with the signatures their symbols give. The processor reads the symbols from SYMBOLS_PATHS
(crashgen's `dump_syms` store and the shared test symbols).
"""

from __future__ import annotations

import html
import json
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from antenna.client import encode_report, post_report
from jansky.services.paths import cache_dir
from tests.processed_crashes import MINIDUMPS
from tests.servers import provisioned, server_env, shared_testdata
from tests.stacks import Stack, compose_stack, embedded_stack

pytestmark = pytest.mark.system

SEARCHABLE_SECONDS = 120.0
# The frames each kind of crashgen crash must show in its signature (its own functions and
# sadness-generator's, from crashgen's symbols; frames in libc, which has none here, may come
# before them).
CRASHGEN_SIGNATURES = {
    "null-deref": "sadness_generator::raise_segfault",
    "abort": "sadness_generator::raise_abort | crashgen::crash_with_abort",
    "stack-overflow": "crashgen::recurse_until_the_stack_ends",
    "panic": "crashgen::parse_the_configuration",
    "thread": "sadness_generator::raise_segfault",
    "oom": "OOM | large | crashgen::crash_out_of_memory",
    "illegal-instruction": "sadness_generator::raise_illegal_instruction",
    "divide-by-zero": "sadness_generator::raise_floating_point_exception",
}
# The shared minidumps' signatures, from their symbols.
SHARED_SIGNATURES = {
    "test.dmp": "(anonymous namespace)::CrashFunction",
    "linux-mini.dmp": "crash",
    "simple-crashpad.dmp": "crashy",
    "pipeline-inlines-macos-segv.dmp": "sadness_generator::raise_segfault",
}


@dataclass(frozen=True)
class Crash:
    """A report to send and what Crash Stats must show for it."""

    name: str
    annotations: dict[str, str]
    dump: bytes
    signature: str
    exact: bool  # the whole signature, or frames it must contain


@pytest.fixture(scope="module")
def crashes(tmp_path_factory: pytest.TempPathFactory) -> list[Crash]:
    """One crashgen crash of each kind (as its crash reporter would send it, with Firefox-style
    annotations) and the shared minidumps."""
    crashgen = Path(provisioned(cache_dir() / "crashgen" / "bin" / "crashgen", "crashgen"))
    out = tmp_path_factory.mktemp("crashgen")
    kinds = subprocess.run(
        [str(crashgen), "kinds"], capture_output=True, text=True, check=True
    ).stdout.split()
    assert set(kinds) == set(CRASHGEN_SIGNATURES)
    found = []
    for kind in kinds:
        dump = Path(
            subprocess.run(
                [str(crashgen), "crash", kind, "--out", str(out)],
                capture_output=True,
                text=True,
                check=True,
                timeout=120,
            ).stdout.strip()
        )
        annotations = json.loads(dump.with_suffix(".json").read_text())
        annotations.update(ReleaseChannel="nightly", BuildID="20260101000000", Vendor="Jansky")
        found.append(Crash(kind, annotations, dump.read_bytes(), CRASHGEN_SIGNATURES[kind], False))
    data = shared_testdata("rust-minidump")
    for name, (product, version, channel) in MINIDUMPS.items():
        annotations = {"ProductName": product, "Version": version, "ReleaseChannel": channel}
        dump = (data / name).read_bytes()
        found.append(Crash(name, annotations, dump, SHARED_SIGNATURES[name], True))
    return found


def symbols_env() -> dict[str, str]:
    stores = [cache_dir() / "crashgen" / "symbols", shared_testdata("rust-minidump") / "symbols"]
    return {"SYMBOLS_PATHS": ",".join(str(store) for store in stores)}


@pytest.fixture(scope="module", params=["production", "embedded"])
def stack(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Stack]:
    work = tmp_path_factory.mktemp(f"pipeline-{request.param}")
    with (work / "output.log").open("w") as log:
        if request.param == "production":
            services = server_env(
                "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SQS", "SEARCH_URL", "DATABASE_URL"
            )
            with compose_stack(services, work / "data", log, extra_env=symbols_env()) as running:
                yield running
        else:
            with embedded_stack(work / "data", log, symbols_env()) as running:
                yield running


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def api(stack: Stack, endpoint: str, params: list[tuple[str, str]]) -> Any:
    status, body = get(f"{stack.webapp}/api/{endpoint}/?{urllib.parse.urlencode(params)}")
    assert status == 200, body[:500]
    return json.loads(body)


def wait_until_searchable(stack: Stack, ids: list[str]) -> None:
    deadline = time.monotonic() + SEARCHABLE_SECONDS
    params = [("uuid", crash_id) for crash_id in ids] + [("_columns", "uuid")]
    found: set[str] = set()
    while time.monotonic() < deadline:
        found = {hit["uuid"] for hit in api(stack, "SuperSearch", params)["hits"]}
        if found == set(ids):
            return
        time.sleep(0.5)
    pytest.fail(f"not searchable after {SEARCHABLE_SECONDS:g} s: {sorted(set(ids) - found)}")


@pytest.fixture(scope="module")
def submitted(stack: Stack, crashes: list[Crash]) -> dict[str, Crash]:
    """Every crash posted to the collector and searchable: crash id -> crash."""
    ids = {}
    for crash in crashes:
        report = encode_report(crash.annotations, {"upload_file_minidump": crash.dump})
        response = post_report(f"{stack.collector}/submit", report)
        assert response.crash_id, f"{crash.name}: {response.status} {response.body}"
        ids[response.crash_id] = crash
    wait_until_searchable(stack, list(ids))
    return ids


def test_every_crash_has_the_signature_its_symbols_give(stack, submitted):
    for crash_id, crash in submitted.items():
        processed = api(stack, "ProcessedCrash", [("crash_id", crash_id)])
        signature = processed["signature"]
        if crash.exact:
            assert signature == crash.signature, crash.name
        else:
            assert crash.signature in signature, (crash.name, signature)
        assert processed["product"] == crash.annotations["ProductName"]
        assert processed["version"] == crash.annotations["Version"]


def test_crashgen_crashes_are_symbolicated_and_tell_their_kinds_apart(stack, submitted):
    signatures = {}
    for crash_id, crash in submitted.items():
        if crash.exact:
            continue
        processed = api(stack, "ProcessedCrash", [("crash_id", crash_id)])
        frames = processed["json_dump"]["crashing_thread"]["frames"]
        assert any((frame.get("function") or "").startswith("crashgen::") for frame in frames)
        signatures[crash.name] = processed["signature"]
    # A null dereference on a second thread ends in the same function as on the first.
    assert len(set(signatures.values())) == len(signatures) - 1, signatures
    assert signatures["thread"] == signatures["null-deref"]


def test_super_search_finds_each_signature_and_facets_them(stack, submitted):
    result = api(
        stack,
        "SuperSearch",
        [("uuid", crash_id) for crash_id in submitted]
        + [("_facets", "signature"), ("_results_number", "0")],
    )
    facets = {term["term"]: term["count"] for term in result["facets"]["signature"]}
    assert sum(facets.values()) == len(submitted)
    for crash_id in submitted:
        signature = api(stack, "ProcessedCrash", [("crash_id", crash_id)])["signature"]
        exact = api(stack, "SuperSearch", [("signature", f"={signature}"), ("_columns", "uuid")])
        assert crash_id in [hit["uuid"] for hit in exact["hits"]]


def test_the_pages_show_each_crash_and_its_signature(stack, submitted):
    for crash_id in submitted:
        signature = api(stack, "ProcessedCrash", [("crash_id", crash_id)])["signature"]
        status, page = get(f"{stack.webapp}/report/index/{crash_id}")
        assert status == 200
        assert html.escape(signature) in page.decode() and crash_id in page.decode()
        query = urllib.parse.urlencode({"signature": signature})
        status, page = get(f"{stack.webapp}/signature/?{query}")
        assert status == 200 and html.escape(signature) in page.decode()
