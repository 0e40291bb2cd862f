"""Where the provisioned tools live (``~/.cache/jansky``) and where the servers keep their state
(``var/services`` in the work tree), so every module agrees on one layout.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
POSTGRES_ROOT = Path("/usr/lib/postgresql")


def cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """The root `bin/provision` installs into: ``JANSKY_CACHE_DIR`` or ``~/.cache/jansky``."""
    env = os.environ if env is None else env
    override = env.get("JANSKY_CACHE_DIR", "")
    return Path(override).expanduser() if override else Path.home() / ".cache" / "jansky"


def var_dir() -> Path:
    """The work tree's ``var/``, which holds the servers' data, logs and the environment file."""
    return REPO_ROOT / "var"


def services_dir() -> Path:
    return var_dir() / "services"


def env_file() -> Path:
    """``var/services.env``: the KEY=VALUE environment that reaches the running servers."""
    return var_dir() / "services.env"


def installed_version(tool: str, cache: Path | None = None) -> str | None:
    """The version `bin/provision` recorded for ``tool``, or None when it never installed it."""
    stamp = (cache or cache_dir()) / "stamps" / tool
    try:
        return stamp.read_text().split()[0]
    except (OSError, IndexError):
        return None


@dataclass(frozen=True)
class ServicePaths:
    """A server's pid file, log file and state folder under ``var/services``."""

    name: str
    root: Path

    @property
    def pid_file(self) -> Path:
        return self.root / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return self.root / f"{self.name}.log"

    @property
    def state_dir(self) -> Path:
        return self.root / self.name


def service_paths(name: str, root: Path | None = None) -> ServicePaths:
    return ServicePaths(name, root or services_dir())


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", path.name)) or (0,)


def postgres_bin_dir(root: Path = POSTGRES_ROOT) -> Path | None:
    """The newest Debian PostgreSQL server's ``bin`` folder (``/usr/lib/postgresql/N/bin``)."""
    if not root.is_dir():
        return None
    candidates = [d for d in root.iterdir() if (d / "bin" / "postgres").is_file()]
    if not candidates:
        return None
    return max(candidates, key=_version_key) / "bin"


def java_home() -> Path | None:
    """The JDK behind ``java`` on PATH; OpenSearch and Elasticsearch need it named explicitly."""
    java = shutil.which("java")
    if not java:
        return None
    return Path(java).resolve().parent.parent
