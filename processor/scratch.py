"""Working directories for crashes in progress: one per thread, made once, emptied after each.

A crash's minidumps are written here for the stackwalker. Making and deleting a directory per
crash costs inode allocations, which get slow on a busy ext4 filesystem (it skips recently
deleted inodes), so each thread keeps its own directory and only the files come and go. Two
threads never share one, so a crash delivered twice at once cannot collide with itself.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PREFIX = "jansky-processor-"


class ScratchDirectories:
    """Per-thread directories under ``root`` (the system temp dir if None)."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root
        self._local = threading.local()
        self._made: list[Path] = []
        self._lock = threading.Lock()

    @contextmanager
    def directory(self) -> Iterator[Path]:
        """This thread's directory, empty; whatever is left in it is deleted afterwards."""
        path = getattr(self._local, "path", None)
        if path is None or not path.is_dir():
            path = Path(tempfile.mkdtemp(prefix=PREFIX, dir=self.root))
            self._local.path = path
            with self._lock:
                self._made.append(path)
        try:
            yield path
        finally:
            empty(path)

    def remove(self) -> None:
        """Delete every directory made so far (at shutdown)."""
        with self._lock:
            made, self._made = self._made, []
        for path in made:
            shutil.rmtree(path, ignore_errors=True)


def empty(path: Path) -> None:
    """Delete what ``path`` holds, without following links; it may already be gone."""
    try:
        entries = list(os.scandir(path))
    except FileNotFoundError:
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)
