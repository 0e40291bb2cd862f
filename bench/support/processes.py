"""CPU time of running processes, and the pids of the local servers, for CPU-per-crash figures."""

from __future__ import annotations

import os
from pathlib import Path


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of the given processes."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def server_pids(names: list[str]) -> dict[str, int]:
    """Pids of the local servers started by `jansky services`, for their CPU figures."""
    from jansky.services.control import select, status_of

    pids = {}
    for service in select(names):
        pid = status_of(service).pid
        if pid and Path(f"/proc/{pid}/stat").exists():
            pids[service.name] = pid
    return pids
