"""The whole pipeline, end to end, in both shapes.

Production: docker-compose.yml's Jansky services, each started with its compose command and
environment (tests/stacks.py), on MinIO, ElasticMQ, OpenSearch and PostgreSQL. Embedded:
`jansky run` on files and SQLite. In each, real crashes of crashgen (one per kind, minidumps
written by its crash handler, sent as Firefox sends them) and the shared test minidumps are
posted to the collector, then found processed and searchable through Crash Stats' API, and on
its report, signature and search pages, with the signatures their symbols give.

Every symbol comes through Crash Stats' symbols API (`jansky symbols upload` with an API token),
none from a folder: the shared minidumps' symbols before their crashes arrive (the processor
finds them in Jansky's own store), crashgen's after its crashes were processed without them
(Crash Stats' healer has them reprocessed, and they sign from the uploaded symbols).
"""

from __future__ import annotations

import html
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from antenna.client import encode_report, post_report
from jansky.crashgen import provisioned_crashgen
from tests.crashgen_signatures import CRASHGEN_SIGNATURES
from tests.live import run_jansky
from tests.processed_crashes import MINIDUMPS
from tests.servers import provisioned, server_env, shared_testdata
from tests.stacks import Stack, compose_stack, embedded_stack

pytestmark = pytest.mark.system

SEARCHABLE_SECONDS = 120.0
HEALED_SECONDS = 180.0
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
    crashgen: bool  # frames the signature must contain; else the whole signature
    json_extra: bool  # annotations as Firefox sends them (one JSON part), else as form fields


@pytest.fixture(scope="module")
def crashes(tmp_path_factory: pytest.TempPathFactory) -> list[Crash]:
    """One crashgen crash of each kind, with the annotations Firefox's crash reporter would send,
    and the shared minidumps as Breakpad clients send them."""
    crashgen = provisioned_crashgen()
    provisioned(crashgen.binary, "crashgen")
    out = tmp_path_factory.mktemp("crashgen")
    kinds = crashgen.kinds()
    assert set(kinds) == set(CRASHGEN_SIGNATURES)
    found = []
    for kind in kinds:
        crash = crashgen.crash(kind, out)
        dump = crash.dump.read_bytes()
        found.append(Crash(kind, crash.annotations, dump, CRASHGEN_SIGNATURES[kind], True, True))
    data = shared_testdata("rust-minidump")
    for name, (product, version, channel) in MINIDUMPS.items():
        annotations = {"ProductName": product, "Version": version, "ReleaseChannel": channel}
        dump = (data / name).read_bytes()
        found.append(Crash(name, annotations, dump, SHARED_SIGNATURES[name], False, False))
    return found


@dataclass(frozen=True)
class Site:
    """A running stack and an API token of its superuser that carries Upload Symbols (API
    calls send it too: a token's rate limit is the authenticated one)."""

    stack: Stack
    token: str

    def upload_symbols(self, path: Path) -> str:
        return run_jansky(
            self.stack.env,
            "symbols",
            "upload",
            f"--url={self.stack.webapp}",
            f"--token={self.token}",
            "--quiet",
            str(path),
        )


@pytest.fixture(scope="module", params=["production", "embedded"])
def site(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Site]:
    work = tmp_path_factory.mktemp(f"pipeline-{request.param}")
    with (work / "output.log").open("w") as log:
        if request.param == "production":
            services = server_env(
                "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SQS", "SEARCH_URL", "DATABASE_URL"
            )
            running = compose_stack(services, work / "data", log)
        else:
            running = embedded_stack(work / "data", log)
        with running as stack:
            # `jansky run` made its superuser; the compose stack has none yet.
            run_jansky(stack.env, "manage", "ensuresuperuser", "--username=admin")
            token = run_jansky(
                stack.env, "manage", "createtoken", "admin", "--permission=upload_symbols"
            ).strip()
            yield Site(stack, token)


def get(url: str, token: str = "") -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Auth-Token": token} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def api(site: Site, endpoint: str, params: list[tuple[str, str]]) -> Any:
    query = urllib.parse.urlencode(params)
    status, body = get(f"{site.stack.webapp}/api/{endpoint}/?{query}", site.token)
    assert status == 200, body[:500]
    return json.loads(body)


def signatures_of(site: Site, ids: list[str]) -> dict[str, str]:
    """Crash id -> signature, of the crashes Super Search finds."""
    params = [("uuid", crash_id) for crash_id in ids]
    params += [("_columns", "uuid"), ("_columns", "signature"), ("_results_number", "100")]
    return {hit["uuid"]: hit["signature"] for hit in api(site, "SuperSearch", params)["hits"]}


def wait_for_signatures(
    site: Site, ids: list[str], done: Callable[[str, str], bool], seconds: float, what: str
) -> dict[str, str]:
    """Poll Super Search until ``done(crash_id, signature)`` holds for every crash."""
    deadline = time.monotonic() + seconds
    found: dict[str, str] = {}
    while time.monotonic() < deadline:
        found = signatures_of(site, ids)
        if len(found) == len(ids) and all(done(key, value) for key, value in found.items()):
            return found
        time.sleep(0.5)
    pytest.fail(f"not {what} after {seconds:g} s: {found} of {ids}")


@pytest.fixture(scope="module")
def submitted(site: Site, crashes: list[Crash]) -> dict[str, Crash]:
    """The shared minidumps' symbols uploaded, then every crash posted to the collector and
    searchable: crash id -> crash."""
    site.upload_symbols(shared_testdata("rust-minidump") / "symbols")
    ids = {}
    for crash in crashes:
        report = encode_report(
            crash.annotations, {"upload_file_minidump": crash.dump}, json_extra=crash.json_extra
        )
        response = post_report(f"{site.stack.collector}/submit", report)
        assert response.crash_id, f"{crash.name}: {response.status} {response.body}"
        ids[response.crash_id] = crash
    wait_for_signatures(site, list(ids), lambda *_: True, SEARCHABLE_SECONDS, "searchable")
    return ids


@dataclass(frozen=True)
class Healing:
    """crashgen's crashes before its symbols were uploaded, and what the upload answered."""

    signatures_before: dict[str, str]
    missing_before: list[str]
    upload_output: str


@pytest.fixture(scope="module")
def healed(site: Site, submitted: dict[str, Crash]) -> Healing:
    """crashgen's symbols uploaded after its crashes were processed without them, and every
    one of those crashes reprocessed with them (nothing else asks for it)."""
    crashgen = {crash_id: crash for crash_id, crash in submitted.items() if crash.crashgen}
    before = signatures_of(site, list(crashgen))
    missing = api(site, "MissingSymbols", [("product", "crashgen")])["hits"]
    output = site.upload_symbols(provisioned_crashgen().symbols)
    wait_for_signatures(
        site,
        list(crashgen),
        lambda crash_id, signature: crashgen[crash_id].signature in signature,
        HEALED_SECONDS,
        "healed",
    )
    return Healing(before, [hit["debug_file"] for hit in missing], output)


def test_the_shared_minidumps_sign_from_symbols_uploaded_before_them(site, submitted):
    for crash_id, crash in submitted.items():
        if crash.crashgen:
            continue
        processed = api(site, "ProcessedCrash", [("crash_id", crash_id)])
        assert processed["signature"] == crash.signature, crash.name
        assert processed["product"] == crash.annotations["ProductName"]
        assert processed["version"] == crash.annotations["Version"]


def test_crashgen_crashes_lacked_its_symbols_until_they_were_uploaded(site, healed):
    assert "crashgen" in healed.missing_before
    for crash_id, signature in healed.signatures_before.items():
        assert "crashgen::" not in signature, (crash_id, signature)
    assert "1 symbol file: 1 new, 0 replaced, 0 already stored" in healed.upload_output


def test_healed_crashgen_crashes_are_symbolicated_and_tell_their_kinds_apart(
    site, submitted, healed
):
    signatures = {}
    for crash_id, crash in submitted.items():
        if not crash.crashgen:
            continue
        processed = api(site, "ProcessedCrash", [("crash_id", crash_id)])
        assert crash.signature in processed["signature"], (crash.name, processed["signature"])
        frames = processed["json_dump"]["crashing_thread"]["frames"]
        assert any((frame.get("function") or "").startswith("crashgen::") for frame in frames)
        # Firefox's annotations, from its `extra` JSON part.
        assert processed["product"] == "crashgen"
        assert processed["release_channel"] == crash.annotations["ReleaseChannel"]
        assert processed["build"] == crash.annotations["BuildID"]
        signatures[crash.name] = processed["signature"]
    assert len(set(signatures.values())) == len(signatures), signatures


def test_super_search_finds_each_signature_and_facets_them(site, submitted, healed):
    result = api(
        site,
        "SuperSearch",
        [("uuid", crash_id) for crash_id in submitted]
        + [("_facets", "signature"), ("_results_number", "0")],
    )
    facets = {term["term"]: term["count"] for term in result["facets"]["signature"]}
    assert sum(facets.values()) == len(submitted)
    for crash_id in submitted:
        signature = api(site, "ProcessedCrash", [("crash_id", crash_id)])["signature"]
        exact = api(site, "SuperSearch", [("signature", f"={signature}"), ("_columns", "uuid")])
        assert crash_id in [hit["uuid"] for hit in exact["hits"]]


def test_the_pages_show_each_crash_and_its_signature(site, submitted, healed):
    webapp = site.stack.webapp
    for crash_id in submitted:
        signature = api(site, "ProcessedCrash", [("crash_id", crash_id)])["signature"]
        status, page = get(f"{webapp}/report/index/{crash_id}")
        assert status == 200
        assert html.escape(signature) in page.decode() and crash_id in page.decode()
        query = urllib.parse.urlencode({"signature": signature})
        status, page = get(f"{webapp}/signature/?{query}")
        assert status == 200 and html.escape(signature) in page.decode()
