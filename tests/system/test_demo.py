"""`jansky demo` beside `jansky run`, as a newcomer runs it: with nothing but the settings the run
has, it builds crashgen, uploads its symbols with a token it makes, crashes crashgen every way,
submits the crashes, and prints each one's signature and report page; Crash Stats then shows
every crash symbolicated, each kind with a signature of its own.
"""

from __future__ import annotations

import html
import itertools
import json
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from jansky.crashgen import provisioned_crashgen
from tests.crashgen_signatures import CRASHGEN_SIGNATURES
from tests.servers import ROOT, provisioned
from tests.stacks import Stack, embedded_stack

pytestmark = pytest.mark.system

DEMO_SECONDS = 600.0
REPORT = re.compile(r"/report/index/([0-9a-f-]{36})$")


@dataclass(frozen=True)
class Demo:
    stack: Stack
    result: subprocess.CompletedProcess[str]
    seconds: float

    def reports(self) -> dict[str, tuple[str, str]]:
        """What it printed: kind -> (signature, crash id)."""
        lines = self.result.stdout.splitlines()
        found = {}
        for line, following in itertools.pairwise(lines):
            match = REPORT.search(following.strip())
            words = line.split(maxsplit=1)
            if match and len(words) == 2 and words[0] in CRASHGEN_SIGNATURES:
                found[words[0]] = (words[1], match[1])
        return found


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    provisioned(provisioned_crashgen().binary, "crashgen")
    work = tmp_path_factory.mktemp("demo")
    with (work / "run.log").open("w") as log, embedded_stack(work / "data", log) as stack:
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "jansky.cli", "demo", "--out", str(work / "dumps")],
            env=stack.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=DEMO_SECONDS,
            check=False,
        )
        yield Demo(stack, result, time.monotonic() - started)


def processed(stack: Stack, crash_id: str) -> dict:
    url = f"{stack.webapp}/api/ProcessedCrash/?crash_id={crash_id}"
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def test_the_demo_succeeds_and_prints_every_kind(demo):
    assert demo.result.returncode == 0, demo.result.stdout + demo.result.stderr
    kinds = len(CRASHGEN_SIGNATURES)
    assert f"{kinds} of {kinds} crashes in Crash Stats, " in demo.result.stdout
    assert set(demo.reports()) == set(CRASHGEN_SIGNATURES)
    assert "a new API token of superuser admin" in demo.result.stdout
    print(f"jansky demo took {demo.seconds:.1f} s")


def test_every_crash_is_symbolicated_with_a_signature_of_its_own(demo):
    reports = demo.reports()
    for kind, (signature, crash_id) in reports.items():
        assert CRASHGEN_SIGNATURES[kind] in signature, kind
        crash = processed(demo.stack, crash_id)
        assert crash["signature"] == signature
        assert crash["product"] == "crashgen" and crash["release_channel"] == "nightly"
        frames = crash["json_dump"]["crashing_thread"]["frames"]
        assert any((frame.get("function") or "").startswith("crashgen::") for frame in frames)
    assert len({signature for signature, _ in reports.values()}) == len(reports)


def test_the_printed_pages_show_the_crashes(demo):
    for signature, crash_id in demo.reports().values():
        with urllib.request.urlopen(f"{demo.stack.webapp}/report/index/{crash_id}") as page:
            assert html.escape(signature) in page.read().decode()
    search = re.search(r"by signature: (\S+)", demo.result.stdout)[1]
    with urllib.request.urlopen(search, timeout=30) as page:
        text = page.read().decode()
    for signature, _ in demo.reports().values():
        assert html.escape(signature) in text
