"""The fresh-machine check: `make run` in a clean clone reaches "ready", accepts a crash, and the
crash reaches Crash Stats (its API and its report page); the printed superuser can log in; Ctrl-C
stops everything.

The clone is of this work tree's HEAD (what CI checks out), with no virtualenv and no data: `make
run` creates `.venv` from the lock and provisions what it needs (the provisioned cache, like a CI
machine's, is reused). DATA_DIR is a temporary directory and the ports are free ones.
"""

from __future__ import annotations

import html
import http.cookiejar
import json
import os
import re
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from jansky.commands.run import READY_BANNER
from tests.live import free_port
from tests.servers import ROOT, shared_testdata

pytestmark = pytest.mark.system

# Creating the virtualenv from the lock is most of it, on a busy two-core machine.
READY_SECONDS = 1500.0
PROCESSED_SECONDS = 120.0
# What a child of the parent test run must not inherit: its settings come from `make run`.
INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "JANSKY_CACHE_DIR", "CI", "PIP_INDEX_URL")


@dataclass
class Run:
    """`make run` in the clone, its output gathered line by line."""

    clone: Path
    process: subprocess.Popen[bytes]
    collector: str
    webapp: str
    lines: list[str] = field(default_factory=list)

    def gather(self) -> None:
        assert self.process.stdout is not None
        for raw in iter(self.process.stdout.readline, b""):
            self.lines.append(raw.decode(errors="replace").rstrip("\n"))

    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, text: str, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not any(text in line for line in self.lines):
            if self.process.poll() is not None:
                pytest.fail(f"`make run` exited ({self.process.returncode}):\n{self.tail()}")
            if time.monotonic() > deadline:
                pytest.fail(f"no {text!r} after {seconds:g} s:\n{self.tail()}")
            time.sleep(0.5)

    def tail(self, count: int = 80) -> str:
        return "\n".join(self.lines[-count:])


def processes_running_from(folder: Path) -> list[str]:
    """Command lines of live processes started from ``folder`` (its virtualenv or scripts)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if str(folder) in command and state != "Z":
            found.append(f"{entry.name}: {command}")
    return found


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    work = tmp_path_factory.mktemp("fresh-clone")
    clone = work / "jansky"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=300)
    collector_port, webapp_port = free_port(), free_port()
    env = {key: os.environ[key] for key in INHERITED if key in os.environ}
    env.update(
        DATA_DIR=str(work / "data"),
        RUN_COLLECTOR_PORT=str(collector_port),
        RUN_WEBAPP_PORT=str(webapp_port),
    )
    process = subprocess.Popen(
        ["make", "run"],
        cwd=clone,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # a terminal of its own: Ctrl-C reaches make and jansky run
    )
    state = Run(
        clone, process, f"http://127.0.0.1:{collector_port}", f"http://127.0.0.1:{webapp_port}"
    )
    threading.Thread(target=state.gather, daemon=True).start()
    try:
        state.wait_for(READY_BANNER, READY_SECONDS)
        yield state
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(120)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        for line in processes_running_from(clone):
            os.kill(int(line.split(":")[0]), signal.SIGKILL)


def api(url: str, opener: urllib.request.OpenerDirector | None = None) -> tuple[int, Any]:
    try:
        with (opener or urllib.request.build_opener()).open(url, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, None


def test_make_run_accepts_a_crash_that_reaches_crash_stats(run):
    """Searchable, in the API and on its report page, under the same signature."""
    dump = shared_testdata("rust-minidump") / "linux-mini.dmp"
    submit = subprocess.run(
        [
            str(run.clone / ".venv" / "bin" / "jansky"),
            "submit",
            f"{run.collector}/submit",
            str(dump),
            "-a",
            "ProductName=Firefox",
            "-a",
            "Version=134.0b5",
            "-a",
            "ReleaseChannel=beta",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert submit.returncode == 0, submit.stdout + submit.stderr
    crash_id = re.search(r"CrashID=bp-([0-9a-f-]{36})", submit.stdout)[1]

    deadline = time.monotonic() + PROCESSED_SECONDS
    status, found = 0, None
    while time.monotonic() < deadline:
        status, found = api(f"{run.webapp}/api/SuperSearch/?uuid={crash_id}&_columns=signature")
        if status == 200 and found["total"] == 1:
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"crash {crash_id} not searchable ({status}, {found}):\n{run.tail()}")
    signature = found["hits"][0]["signature"]
    assert signature, found

    status, processed = api(f"{run.webapp}/api/ProcessedCrash/?crash_id={crash_id}")
    assert status == 200
    assert (processed["uuid"], processed["product"], processed["version"]) == (
        crash_id,
        "Firefox",
        "134.0b5",
    )
    assert processed["signature"] == signature
    query = urllib.parse.urlencode({"signature": f"={signature}", "_columns": "uuid"})
    status, same = api(f"{run.webapp}/api/SuperSearch/?{query}")
    assert status == 200 and crash_id in [hit["uuid"] for hit in same["hits"]]

    with urllib.request.urlopen(f"{run.webapp}/report/index/{crash_id}", timeout=30) as response:
        page = response.read().decode()
    assert html.escape(signature) in page and crash_id in page


def test_the_printed_superuser_can_log_in(run):
    line = next(line for line in run.lines if "Crash Stats superuser admin created" in line)
    password = re.search(r"with password (\S+)", line)[1]
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{run.webapp}/login/", timeout=30) as response:
        form = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)[1]
    body = urllib.parse.urlencode(
        {"username": "admin", "password": password, "csrfmiddlewaretoken": token}
    ).encode()
    with opener.open(f"{run.webapp}/login/?next=/api/tokens/", body, timeout=30) as response:
        assert urllib.parse.urlsplit(response.url).path == "/api/tokens/"


def test_ctrl_c_stops_everything_cleanly(run):
    os.killpg(run.process.pid, signal.SIGINT)
    run.process.wait(120)
    output = run.output()
    assert "stopping collector, processor, webapp" in output
    assert "stopped" in run.lines, run.tail()
    assert "killing it" not in output  # each stopped within its grace period
    assert processes_running_from(run.clone) == []
