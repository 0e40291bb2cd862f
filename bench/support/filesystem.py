"""How much creating a file costs right now, printed beside the figures that depend on it."""

from __future__ import annotations

import os
import time
from pathlib import Path

PROBE_FILES = 300


def file_create_cost(directory: Path) -> float:
    """Microseconds to create, write and close one small file in ``directory`` (a fresh
    subfolder is used; its files stay until the caller's cleanup).

    On ext4 without a journal (this development VM's disk) the cost rises up to twentyfold for
    several minutes after many files were deleted: each new inode is checked against recently
    deleted ones. Both crash saves and benchmark cleanups delete files, so the figure tells
    whether a run's numbers were taken in that state.
    """
    probe = directory / "create-probe"
    probe.mkdir()
    started = time.perf_counter()
    for index in range(PROBE_FILES):
        fd = os.open(probe / str(index), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, b"x" * 100)
        os.close(fd)
    return (time.perf_counter() - started) / PROBE_FILES * 1e6
