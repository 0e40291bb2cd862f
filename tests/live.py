"""Helpers of the system tests that start `jansky` processes: free ports, running a command,
waiting until a server answers."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.servers import ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_jansky(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    """The output of `jansky ARGS...`; the test fails with its output when it fails."""
    result = subprocess.run(
        [sys.executable, "-m", "jansky.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"jansky {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def wait_until_serving(url: str, process: subprocess.Popen, log: Path, seconds: float) -> None:
    """Until ``url`` answers 200; fails with the process' log if it exits or never answers."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{process.args} exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"nothing answered at {url} within {seconds} s:\n{log.read_text()}")
