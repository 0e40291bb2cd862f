"""Low-level file descriptor helpers shared by the storage and the processor."""

from __future__ import annotations

import os


def write_all(descriptor: int, data: bytes) -> None:
    """Write every byte of ``data`` to ``descriptor`` (``os.write`` may write only part)."""
    with memoryview(data) as view:
        written = 0
        while written < len(view):
            written += os.write(descriptor, view[written:])


def fsync_directory(directory: str | os.PathLike[str]) -> None:
    """Make a rename in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
