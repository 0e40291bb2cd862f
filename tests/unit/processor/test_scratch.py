"""Per-thread working directories: reused by a thread, never shared, emptied after each use."""

from __future__ import annotations

import threading
from pathlib import Path

from processor.scratch import ScratchDirectories


def test_a_thread_reuses_its_directory_and_finds_it_empty(tmp_path: Path) -> None:
    scratch = ScratchDirectories(tmp_path)
    with scratch.directory() as first:
        (first / "dump").write_bytes(b"MDMP")
        (first / "nested").mkdir()
        (first / "nested" / "file").write_text("x")
        (first / "link").symlink_to(tmp_path / "outside")
    (tmp_path / "outside").write_text("kept")
    with scratch.directory() as second:
        assert second == first
        assert list(second.iterdir()) == []
    assert (tmp_path / "outside").read_text() == "kept"


def test_threads_get_directories_of_their_own(tmp_path: Path) -> None:
    scratch = ScratchDirectories(tmp_path)
    seen: list[Path] = []
    inside = threading.Barrier(3)

    def use() -> None:
        with scratch.directory() as path:
            seen.append(path)
            inside.wait(30)  # all three hold a directory at once

    threads = [threading.Thread(target=use) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(set(seen)) == 3
    scratch.remove()
    assert list(tmp_path.iterdir()) == []


def test_a_directory_deleted_from_outside_is_made_again(tmp_path: Path) -> None:
    scratch = ScratchDirectories(tmp_path)
    with scratch.directory() as first:
        pass
    first.rmdir()
    with scratch.directory() as second:
        assert second.is_dir()
