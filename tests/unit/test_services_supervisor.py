"""Pid files, liveness and stopping of background server processes (real child processes)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from jansky.services import supervisor


@pytest.mark.parametrize("text", ["", "abc", "0", "-5", "12 13"])
def test_read_pid_rejects_what_is_not_a_pid(tmp_path: Path, text: str) -> None:
    pid_file = tmp_path / "x.pid"
    pid_file.write_text(text)
    assert supervisor.read_pid(pid_file) is None


def test_pid_file_round_trip(tmp_path: Path) -> None:
    pid_file = tmp_path / "deep" / "x.pid"
    assert supervisor.read_pid(pid_file) is None
    supervisor.write_pid(pid_file, 4242)
    assert supervisor.read_pid(pid_file) == 4242


def _launch(tmp_path: Path, script: str) -> subprocess.Popen[bytes]:
    return supervisor.launch(
        ["bash", "-c", script],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"]},
        log_file=tmp_path / "x.log",
        pid_file=tmp_path / "x.pid",
    )


def test_launch_records_pid_and_output_then_terminates(tmp_path: Path) -> None:
    # The trailing `true` keeps bash from exec-ing sleep, so the command line stays the same.
    process = _launch(tmp_path, "echo hello-from-child; sleep 30; true")
    try:
        assert supervisor.read_pid(tmp_path / "x.pid") == process.pid
        # Popen returns once exec has begun; the kernel fills in the new command line a moment
        # later, and until then /proc shows an empty one.
        deadline = time.monotonic() + 10
        while not supervisor.command_line(process.pid) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert supervisor.running_pid(tmp_path / "x.pid", "hello-from") == process.pid
        # The pid of a different program is never taken for the server's.
        assert supervisor.running_pid(tmp_path / "x.pid", "opensearch") is None
        assert os.getpgid(process.pid) == process.pid  # its own session and group
    finally:
        assert supervisor.terminate(process.pid, timeout=10) is True
    assert not supervisor.is_alive(process.pid)
    assert supervisor.running_pid(tmp_path / "x.pid", "hello-from") is None
    assert "hello-from-child" in supervisor.log_tail(tmp_path / "x.log")


def test_terminate_kills_what_ignores_the_stop_signal(tmp_path: Path) -> None:
    process = _launch(tmp_path, "trap '' TERM; echo $((6 * 7))-ready; sleep 30 & wait")
    deadline = time.monotonic() + 30
    while "42-ready" not in supervisor.log_tail(tmp_path / "x.log"):
        assert time.monotonic() < deadline, "the child never got to ignore SIGTERM"
        time.sleep(0.05)
    assert supervisor.terminate(process.pid, timeout=0.5) is False
    assert not supervisor.is_alive(process.pid)


def test_is_alive(tmp_path: Path) -> None:
    assert supervisor.is_alive(os.getpid())
    finished = subprocess.Popen(["true"])
    finished.wait()
    assert not supervisor.is_alive(finished.pid)


def test_log_tail(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_text("".join(f"line {n}\n" for n in range(100)))
    assert supervisor.log_tail(log, lines=3).splitlines() == ["line 97", "line 98", "line 99"]
    assert "no log" in supervisor.log_tail(tmp_path / "missing.log")
