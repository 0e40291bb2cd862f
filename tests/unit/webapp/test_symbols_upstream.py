"""`upstreamsymbols`: crashes heal when their missing symbols appear on an upstream server.

The upstream server is a real HTTP server on a local port serving a folder in the Breakpad
layout, the way a symbol server (or a bucket behind one) does.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.unit.symbols.conftest import LINUX_ID, TEST_APP_ID
from tests.unit.webapp.conftest import CrashBackends
from tests.unit.webapp.test_symbols import APP_TERM, index_crash, queued
from webapp.crashstats import backends
from webapp.symbols.healing import Healer
from webapp.symbols.models import HealingJob, SymbolFile, SymbolUpload, UpstreamProbe

APP_PATH = f"test_app.pdb/{TEST_APP_ID}/test_app.sym"
LIB_TERM = f"libapp.so/{LINUX_ID}/libapp.so/1"


class SymbolServerHandler(SimpleHTTPRequestHandler):
    def _broken(self) -> bool:
        self.server.requests.append((self.command, self.path))  # type: ignore[attr-defined]
        if self.server.failing:  # type: ignore[attr-defined]
            self.send_error(503, "upstream is down")
            return True
        return False

    def do_HEAD(self) -> None:
        if not self._broken():
            super().do_HEAD()

    def do_GET(self) -> None:
        if not self._broken():
            super().do_GET()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def upstream(tmp_path) -> Iterator[ThreadingHTTPServer]:
    root = tmp_path / "upstream"
    root.mkdir()
    handler = functools.partial(SymbolServerHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.root, server.requests, server.failing = root, [], False  # type: ignore[attr-defined]
    server.url = f"http://127.0.0.1:{server.server_address[1]}/symbols"  # type: ignore[attr-defined]
    (root / "symbols").mkdir()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def use_upstream(settings: Any, *urls: str) -> CrashBackends:
    """Crash Stats with SYMBOLS_URLS set, and its backends (a settings change reopens them)."""
    settings.JANSKY_CORE = dataclasses.replace(settings.JANSKY_CORE, symbols_urls=urls)
    return CrashBackends(backends.storage(), backends.queue(), backends.search())


@pytest.fixture
def crashes(upstream, settings) -> CrashBackends:
    """The first server refuses connections; the second is ``upstream``."""
    return use_upstream(settings, "http://127.0.0.1:9/nothing-here", upstream.url)


def publish(server: Any, path: str) -> None:
    target = server.root / "symbols" / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("MODULE windows x86 " + path.split("/")[1] + " test_app.pdb\n")


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("upstreamsymbols", *args, stdout=out, stderr=out)
    return out.getvalue()


def test_off_without_upstream_servers(db, crash_backends):
    index_crash(crash_backends, [APP_TERM])
    assert "off (SYMBOLS_URLS names no upstream symbol server)" in run()
    assert not UpstreamProbe.objects.exists()


def test_symbols_found_upstream_heal_their_crashes(db, crashes, upstream):
    lacking = [index_crash(crashes, [APP_TERM], hours) for hours in (1, 2)]
    index_crash(crashes, [LIB_TERM])
    output = run()
    # The first server refuses connections, the second answers: both modules are checked.
    assert "2 looked for on 2 server(s), 0 found" in output and "0 unanswered" in output
    assert output.count("no answer: http://127.0.0.1:9/nothing-here/") == 2
    assert UpstreamProbe.objects.count() == 2 and not HealingJob.objects.exists()

    publish(upstream, APP_PATH)
    assert "0 looked for" in run()  # both checked less than --recheck-hours ago
    upstream.requests.clear()
    output = run("--recheck-hours=0")
    assert f"test_app.pdb/{TEST_APP_ID}: found at {upstream.url}/{APP_PATH}" in output
    assert "1 found (healing their crashes)" in output
    assert ("HEAD", f"/symbols/{APP_PATH}") in upstream.requests

    found = SymbolUpload.objects.get()
    assert (found.status, found.user, found.file_name) == (
        SymbolUpload.UPSTREAM,
        None,
        f"{upstream.url}/{APP_PATH}",
    )
    job = HealingJob.objects.get()
    assert (job.upload, job.debug_file, job.state) == (found, "test_app.pdb", HealingJob.PENDING)
    assert Healer(rate=100).step() == 2
    assert queued(crashes) == sorted(lacking)
    # Found once is enough: it is not looked for or healed again.
    assert "1 found" not in run("--recheck-hours=0")
    assert HealingJob.objects.count() == 1


def test_dry_run_changes_nothing(db, crashes, upstream):
    index_crash(crashes, [APP_TERM])
    publish(upstream, APP_PATH)
    assert "1 found (would heal their crashes)" in run("--dry-run")
    assert not HealingJob.objects.exists() and not UpstreamProbe.objects.exists()


def test_modules_in_the_store_or_being_healed_are_left_alone(db, crashes, upstream):
    index_crash(crashes, [APP_TERM, LIB_TERM])
    publish(upstream, APP_PATH)
    SymbolFile.objects.create(
        debug_file="test_app.pdb", debug_id=TEST_APP_ID, size=1, sha256="0" * 64
    )
    upload = SymbolUpload.objects.create(status=SymbolUpload.STORED)
    HealingJob.objects.create(
        upload=upload,
        debug_file="libapp.so",
        debug_id=LINUX_ID,
        since="2026-01-01T00:00Z",
        until="2026-01-02T00:00Z",
    )
    output = run()
    assert "2 skipped" in output and "0 looked for" in output
    assert upstream.requests == []


def test_an_upstream_that_fails_is_asked_again_and_a_run_where_none_answers_fails(
    db, upstream, settings
):
    index_crash(use_upstream(settings, upstream.url), [APP_TERM])
    upstream.failing = True
    with pytest.raises(CommandError, match="no upstream symbol server answered"):
        run()
    assert not UpstreamProbe.objects.exists()
    upstream.failing = False
    publish(upstream, APP_PATH)
    assert "1 found" in run()


@pytest.mark.parametrize("args", [["--days=0"], ["--modules=0"], ["--recheck-hours=-1"]])
def test_bad_options(db, crashes, args):
    with pytest.raises(CommandError, match="must be at least 1"):
        run(*args)


def test_the_job_is_scheduled():
    from cronrun.jobs import JOBS

    assert "upstreamsymbols" in {job.cmd for job in JOBS}


def test_probe_names_the_breakpad_path(tmp_path: Path):
    from jansky.symbols.layout import SymbolKey
    from webapp.symbols.upstream import SymbolServer

    server = SymbolServer("https://symbols.example.com/try/")
    key = SymbolKey("my lib.pdb", TEST_APP_ID)
    assert server.address(key) == (
        f"https://symbols.example.com/try/my%20lib.pdb/{TEST_APP_ID}/my%20lib.sym"
    )
