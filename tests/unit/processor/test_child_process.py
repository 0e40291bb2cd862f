"""Running a child with captured input and output: memory files (Linux) and pipes alike."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from processor import child_process
from processor.child_process import TIMEOUT_RETURN_CODE, run_captured

MODES = [
    pytest.param(False, id="pipes"),
    pytest.param(
        True,
        id="memory-files",
        marks=pytest.mark.skipif(not child_process.MEMORY_FILES, reason="needs memfd and pidfd"),
    ),
]


def script(tmp_path: Path, body: str) -> list[str]:
    path = tmp_path / "child.sh"
    path.write_text(body)
    return ["/bin/sh", str(path)]


@pytest.mark.parametrize("memory_files", MODES)
def test_output_written_before_the_input_is_read(tmp_path, memory_files):
    # A megabyte of output before reading three of input: more than any pipe holds both ways.
    args = script(
        tmp_path,
        "head -c 1000000 /dev/zero | tr '\\0' a\nwc -c >&2\necho done >&2\nexit 3\n",
    )
    code, out, err = run_captured(args, b"x" * 3_000_000, 30, memory_files=memory_files)
    assert code == 3
    assert out == b"a" * 1_000_000
    assert err.split() == [b"3000000", b"done"]


@pytest.mark.parametrize("memory_files", MODES)
def test_no_input(tmp_path, memory_files):
    code, out, err = run_captured(script(tmp_path, "wc -c\n"), b"", 30, memory_files=memory_files)
    assert (code, out.strip(), err) == (0, b"0", b"")


@pytest.mark.parametrize("memory_files", MODES)
def test_timeout_kills_the_child_and_what_it_started(tmp_path, memory_files):
    pid_file = tmp_path / "sleeper.pid"
    args = script(tmp_path, f"sleep 30 &\necho $! > {pid_file}\nwait\n")
    started = time.monotonic()
    result = run_captured(args, b"", 0.5, memory_files=memory_files)
    assert result == (TIMEOUT_RETURN_CODE, b"", b"")
    assert time.monotonic() - started < 10
    sleeper = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while _alive(sleeper) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(sleeper)


@pytest.mark.parametrize("memory_files", MODES)
def test_a_child_killed_by_a_signal(tmp_path, memory_files):
    code, _out, _err = run_captured(
        script(tmp_path, "kill -ABRT $$\n"), b"", 30, memory_files=memory_files
    )
    assert code == -6


@pytest.mark.parametrize("memory_files", MODES)
def test_a_missing_program_is_an_os_error(tmp_path, memory_files):
    with pytest.raises(OSError):
        run_captured([str(tmp_path / "nope")], b"", 30, memory_files=memory_files)


@pytest.mark.skipif(not child_process.MEMORY_FILES, reason="needs memfd and pidfd")
def test_memory_files_leave_no_descriptor_open(tmp_path):
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(20):
        run_captured(script(tmp_path, "echo out\necho err >&2\n"), b"in", 30)
    assert len(os.listdir("/proc/self/fd")) == before


@pytest.mark.skipif(not child_process.MEMORY_FILES, reason="needs memfd and pidfd")
def test_pipes_when_the_kernel_refuses_memory_files(tmp_path, monkeypatch):
    created = []

    def refuse_the_second(name, flags=0):
        if created:
            raise OSError(38, "Function not implemented")
        created.append(real(name, flags))
        return created[-1]

    real = os.memfd_create
    monkeypatch.setattr(os, "memfd_create", refuse_the_second)
    before = len(os.listdir("/proc/self/fd"))
    result = run_captured(script(tmp_path, "cat\necho err >&2\n"), b"in", 30)
    assert result == (0, b"in", b"err\n")
    assert len(os.listdir("/proc/self/fd")) == before  # the first memfd was closed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not reaped by its dead parent's reaper yet) counts as gone.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
