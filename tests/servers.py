"""Find the real servers and the shared test data that tests need.

`jansky services start` writes the environment to use to ``var/services.env``; the real
minidumps live in ``JANSKY_TESTDATA_DIR`` (default ``../shared/testdata``). A test that needs a
server or a provisioned tool and cannot have it fails, with the reason (`make test` starts them
all). A test that needs the shared data fails when ``CI=true`` and is skipped, with the reason,
otherwise. None passes silently.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
SERVICES_ENV = Path(os.environ.get("JANSKY_SERVICES_ENV", ROOT / "var" / "services.env"))
TESTDATA_DIR = Path(os.environ.get("JANSKY_TESTDATA_DIR", ROOT.parent / "shared" / "testdata"))


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def missing(reason: str) -> None:
    """Fail in CI, skip elsewhere."""
    if in_ci():
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def unavailable(reason: str) -> None:
    """A server or tool is missing: the test fails, in CI and everywhere else."""
    pytest.fail(f"{reason} (`make test` provisions and starts everything)", pytrace=False)


def provisioned(path: Path, tool: str) -> str:
    """A program ``bin/provision TOOL`` builds; the test fails when it is missing."""
    if not path.exists():
        unavailable(f"no {path.name} at {path} (run `bin/provision {tool}`)")
    return str(path)


def service_binaries() -> tuple[Path, Path]:
    """The stackwalker service, and its fault-injection build (stackwalker/src/faults.rs)."""
    from processor.config import CACHED_SERVICE

    faults = CACHED_SERVICE.parents[2] / "stackwalker-faults" / "bin" / CACHED_SERVICE.name
    return CACHED_SERVICE, faults


def shared_testdata(relative: str = "") -> Path:
    """A directory of the shared test data; fails in CI and skips elsewhere when absent."""
    path = TESTDATA_DIR / relative
    if not path.is_dir():
        missing(f"no test data at {path} (set JANSKY_TESTDATA_DIR to the shared test data)")
    return path


def read_services_env(path: Path = SERVICES_ENV) -> dict[str, str]:
    """The KEY=VALUE lines written by `jansky services start`."""
    if not path.exists():
        return {}
    env: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    return env


def is_listening(url: str, timeout: float = 1.0) -> bool:
    """Whether something accepts TCP connections at the host and port of ``url``."""
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or (443 if parts.scheme.endswith("https") else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def server_env(*keys: str) -> dict[str, str]:
    """The services environment, after checking that each endpoint named by ``keys`` is up."""
    env = read_services_env()
    if not env:
        unavailable(f"no services environment at {SERVICES_ENV}")
    for key in keys:
        url = env.get(key)
        if not url:
            unavailable(f"{key} is not set in {SERVICES_ENV}")
        elif not is_listening(url):
            unavailable(f"nothing listens at {key}={url}")
    return env
