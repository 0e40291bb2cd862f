"""Dockerflow endpoints: load-balancer ping, real backend checks, version, a deliberate error."""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib.metadata
import json
import logging
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import falcon

from antenna.metrics import METRICS

logger = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 5.0


class LbHeartbeatResource:
    """Always 200: the process is up and serving."""

    async def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        METRICS.incr("health.lbheartbeat.count")
        resp.content_type = falcon.MEDIA_JSON
        resp.status = falcon.HTTP_200


def public_reason(exc: BaseException) -> str:
    """What failed, fit for an unauthenticated answer: no paths, hosts or keys.

    The operating system's message (``Permission denied``, ``Connection refused``) when an
    ``OSError`` is in the chain of causes, else the exception's class name. The whole error is
    in the log.
    """
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.strerror:
            return seen.strerror
        seen = seen.__cause__ or seen.__context__
    return type(exc).__name__


class HeartbeatResource:
    """200 when every backend check passes; 503 naming the failing checks otherwise.

    Checks run on their own small thread pool with a time limit, so a heartbeat neither waits
    behind crash work nor hangs on a stuck backend.
    """

    def __init__(
        self, checks: Mapping[str, Callable[[], None]], timeout: float = CHECK_TIMEOUT_SECONDS
    ) -> None:
        self.checks = dict(checks)
        self.timeout = timeout
        self.pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=max(1, len(self.checks)), thread_name_prefix="heartbeat"
        )

    async def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        METRICS.incr("health.heartbeat.count")
        results = await asyncio.gather(
            *(self._run(name, check) for name, check in self.checks.items())
        )
        errors = [error for error in results if error]
        resp.media = {"errors": errors}
        resp.status = falcon.HTTP_503 if errors else falcon.HTTP_200

    async def _run(self, name: str, check: Callable[[], None]) -> str | None:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.timeout):
                await loop.run_in_executor(self.pool, check)
        except TimeoutError:
            logger.warning("event=heartbeat_failed check=%s error=timeout", name)
            return f"{name}: no answer within {self.timeout:g}s"
        except Exception as exc:
            logger.warning("event=heartbeat_failed check=%s error=%r", name, exc)
            return f"{name}: {public_reason(exc)}"
        return None


def _git(repo: Path, *args: str) -> str:
    """One line of ``git`` output in ``repo``, or "" when git or the repository is not there."""
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def _without_credentials(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    return f"{scheme}{sep}{rest.rpartition('@')[2]}" if sep else url


def build_version_info(version_file: Path, repo: Path, cloud: str) -> dict[str, Any]:
    """The Dockerflow version object: ``version.json`` as deployed, else what the package and
    the git checkout say (``source``, ``version``, ``commit``, ``build``, plus ``cloud``)."""
    try:
        info = json.loads(version_file.read_text())
        if isinstance(info, dict):
            return info
    except (OSError, ValueError):
        pass
    try:
        version = importlib.metadata.version("jansky")
    except importlib.metadata.PackageNotFoundError:
        version = ""
    return {
        "source": _without_credentials(_git(repo, "config", "--get", "remote.origin.url")),
        "version": version,
        "commit": _git(repo, "rev-parse", "HEAD"),
        "build": "",
        "cloud": cloud,
    }


class VersionResource:
    """The version object, worked out once when the worker starts."""

    def __init__(self, info: Mapping[str, Any]) -> None:
        self.info = dict(info)

    async def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        METRICS.incr("health.version.count")
        resp.media = self.info


class BrokenResource:
    """Raises on purpose, to check that errors reach Sentry and the logs."""

    async def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        METRICS.incr("health.broken.count")
        raise RuntimeError("intentional exception from /__broken__")
