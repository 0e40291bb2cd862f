"""`jansky run`'s process group: one labelled log stream, readiness lines, stopping everything."""

from __future__ import annotations

import io
import os
import sys
import time
from pathlib import Path

from jansky.process_group import ProcessGroup

ENV = dict(os.environ)


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_output_of_every_child_is_labelled_and_ready_lines_are_seen():
    out = io.StringIO()
    group = ProcessGroup(out, colour=False)
    first = group.start("first", python("print('hello'); print('ready now')"), ENV, ["ready now"])
    group.start("second-one", python("import sys; print('oops', file=sys.stderr)"), ENV)
    first.process.wait(10)
    group.stop(grace_seconds=10)
    lines = out.getvalue().splitlines()
    assert "first      | hello" in lines
    assert "second-one | oops" in lines  # stderr too, in the same stream
    assert first.lines_seen == {"ready now"}


def test_wait_for_exit_returns_the_first_child_to_exit_and_stop_ends_the_rest():
    out = io.StringIO()
    group = ProcessGroup(out, colour=False)
    group.start("sleeper", python("import time; time.sleep(60)"), ENV)
    group.start("quitter", python("raise SystemExit(3)"), ENV)
    assert group.wait_for_exit().name == "quitter"
    started = time.monotonic()
    group.stop(grace_seconds=10)
    assert time.monotonic() - started < 10  # SIGTERM ends the sleeper at once
    codes = {child.name: child.process.returncode for child in group.children}
    assert codes == {"sleeper": -15, "quitter": 3}
    assert "stopping sleeper" in out.getvalue()


def test_a_child_ignoring_sigterm_is_killed_with_what_it_started(tmp_path: Path):
    pid_file = tmp_path / "grandchild.pid"
    code = (
        "import signal, subprocess, sys, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "helper = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(helper.pid))\n"
        "print('started', flush=True)\n"
        "time.sleep(60)\n"
    )
    out = io.StringIO()
    group = ProcessGroup(out, colour=False)
    child = group.start("stubborn", python(code), ENV, ["started"])
    deadline = time.monotonic() + 20
    while "started" not in child.lines_seen and time.monotonic() < deadline:
        time.sleep(0.05)
    group.stop(grace_seconds=1)
    assert child.process.returncode == -9
    assert "stubborn did not stop within 1 s; killing it" in out.getvalue()
    grandchild = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while Path(f"/proc/{grandchild}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    # Killed with its parent's group (reaped by init, or a zombie at most).
    assert not Path(f"/proc/{grandchild}").exists() or _state(grandchild) == "Z"


def test_labels_are_coloured_on_a_terminal():
    out = io.StringIO()
    group = ProcessGroup(out, colour=True)
    child = group.start("collector", python("print('x')"), ENV)
    child.process.wait(10)
    group.stop(grace_seconds=5)
    assert "\x1b[36mcollector |\x1b[0m x" in out.getvalue()


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
