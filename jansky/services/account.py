"""The unprivileged system user the servers run as when `jansky services` runs as root.

OpenSearch, Elasticsearch and PostgreSQL refuse to run as root, and a server gains nothing from
it, so as root every server runs as the ``jansky`` system user, created here when missing.
"""

from __future__ import annotations

import os
import pwd
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SERVICE_USER = "jansky"


class AccountError(RuntimeError):
    """The service user could not be created or given access to its folders."""


@dataclass(frozen=True)
class Account:
    name: str
    uid: int
    gid: int

    def process_kwargs(self) -> dict[str, Any]:
        """``subprocess`` arguments that run a child as this user with no extra groups."""
        return {"user": self.uid, "group": self.gid, "extra_groups": []}


def service_account(name: str = SERVICE_USER) -> Account | None:
    """The account to run servers as: None when not root (they run as the current user)."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        command = [
            "useradd", "--system", "--user-group", "--no-create-home",
            "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", name,
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0 and "already exists" not in result.stderr:
            raise AccountError(
                f"could not create the system user {name!r} the servers run as: "
                f"{result.stderr.strip() or result.returncode}"
            ) from None
        entry = pwd.getpwnam(name)
    return Account(name, entry.pw_uid, entry.pw_gid)


def hand_over(path: Path, account: Account | None) -> None:
    """Make ``path`` (and everything under it) belong to ``account``."""
    if account is None:
        return
    os.lchown(path, account.uid, account.gid)
    for root, dirs, files in os.walk(path):
        for entry in (root, *(os.path.join(root, n) for n in dirs + files)):
            os.lchown(entry, account.uid, account.gid)


def ensure_reachable(path: Path, account: Account | None) -> list[Path]:
    """Let ``account`` traverse every folder above ``path``; returns the folders it changed.

    A work tree under a private home (``/root``) is otherwise out of the service user's reach.
    Only the search bit (``o+x``) is added, so nothing becomes listable or readable.
    """
    if account is None:
        return []
    changed = []
    for folder in reversed(path.resolve().parents):
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH:
            folder.chmod(mode | stat.S_IXOTH)
            changed.append(folder)
    return changed
