"""Running Jansky commands as the system tests do: one-shot commands and a live web server."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.servers import ROOT

STARTUP_SECONDS = 90.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def jansky(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    """The output of `jansky ARGS...` run with ``env``; the test fails if it fails."""
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


def wait_until_serving(url: str, process: subprocess.Popen, log: Path) -> None:
    """Wait for `jansky webapp` at ``url`` to answer its heartbeat; fail with its log if not."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"jansky webapp exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/__lbheartbeat__", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"jansky webapp did not answer in {STARTUP_SECONDS} s:\n{log.read_text()}")


def migrate_with_admin(env: dict[str, str]) -> None:
    """Create the database of the site ``env`` names, with a superuser ``admin`` (whose
    password is DJANGO_SUPERUSER_PASSWORD in ``env``)."""
    jansky(env, "manage", "migrate", "--verbosity=0")
    jansky(
        env,
        "manage",
        "createsuperuser",
        "--noinput",
        "--username=admin",
        "--email=admin@example.com",
    )
