"""Background server processes: start detached with a pid file and a log, find them again from
another `jansky` invocation, and stop them (the stop signal, then SIGKILL).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def read_pid(pid_file: Path) -> int | None:
    """The pid recorded in ``pid_file``, or None when it is missing or not a positive number."""
    try:
        text = pid_file.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() and int(text) > 0 else None


def write_pid(pid_file: Path, pid: int) -> None:
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    partial = pid_file.with_name(pid_file.name + ".partial")
    partial.write_text(f"{pid}\n")
    partial.replace(pid_file)


def is_alive(pid: int) -> bool:
    """Whether ``pid`` is a running process (a zombie awaiting its parent counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # The state letter follows the parenthesised command name, which may itself hold spaces.
    state = stat.rsplit(")", 1)[-1].split()[0]
    return state not in {"Z", "X"}


def command_line(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        return raw.replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def running_pid(pid_file: Path, marker: str) -> int | None:
    """The live process ``pid_file`` names, if its command line still mentions ``marker``.

    A pid file left by a crash may name a pid the system has since given to another program;
    the marker check keeps `stop` from signalling that stranger.
    """
    pid = read_pid(pid_file)
    if pid is None or not is_alive(pid) or marker not in command_line(pid):
        return None
    return pid


def launch(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    log_file: Path,
    pid_file: Path,
    process_kwargs: Mapping[str, Any] | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``argv`` in its own session (it outlives this command), output appended to the log."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "ab") as log:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
        log.write(f"\n== {stamp} starting: {' '.join(argv)}\n".encode())
        log.flush()
        process = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **dict(process_kwargs or {}),
        )
    write_pid(pid_file, process.pid)
    return process


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass
    except PermissionError:
        os.kill(pid, sig)


def terminate(pid: int, stop_signal: int = signal.SIGTERM, timeout: float = 30.0) -> bool:
    """Stop the process group ``pid`` leads: ``stop_signal``, then SIGKILL after ``timeout``.

    Returns True when it ended within the timeout, False when it had to be killed.
    """
    _signal_group(pid, stop_signal)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_alive(pid):
            return True
        time.sleep(0.2)
    _signal_group(pid, signal.SIGKILL)
    while is_alive(pid):
        time.sleep(0.1)
    return False


def log_tail(log_file: Path, lines: int = 40) -> str:
    """The last ``lines`` lines of a log, to show why a server did not come up."""
    try:
        with open(log_file, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 64 * 1024))
            text = handle.read().decode(errors="replace")
    except OSError:
        return f"(no log at {log_file})"
    return "\n".join(text.splitlines()[-lines:])
