"""The symbols cache manager: sizes, LRU eviction, and what it must never delete."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import pytest
from markus.testing import MetricsMock

from processor import cache_manager_command
from processor.cache_manager import (
    EMPTY_FOLDER_GRACE_SECONDS,
    SymbolsCacheManager,
    _evict,
    load_cache_manager_settings,
    start_cache_manager,
)
from processor.sizes import parse_size

NOW = 1_800_000_000.0


def put(path: Path, size: int, used: float) -> Path:
    """A file of ``size`` bytes last used ``used`` seconds before NOW."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    os.utime(path, (NOW - used, NOW - used))
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("40gb", 40 * 1024**3),
        ("4 GiB", 4 * 1024**3),
        ("512m", 512 * 1024**2),
        ("1.5kb", 1536),
        ("1000", 1000),
        ("7B", 7),
        ("2T", 2 * 1024**4),
    ],
)
def test_parse_size(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "gb", "-1gb", "40 gigs", "1e9", "12pb"])
def test_parse_size_rejects_what_is_not_a_size(text):
    with pytest.raises(ValueError, match="is not a size"):
        parse_size(text)


def test_evicts_least_recently_used_files_until_under_the_limit(tmp_path):
    cache = tmp_path / "cache"
    oldest = put(cache / "a.pdb" / "A1" / "a.sym", 400, used=3000)
    older = put(cache / "b.pdb" / "B1" / "b.sym", 300, used=2000)
    recent = put(cache / "c.pdb" / "C1" / "c.sym", 300, used=10)
    newest = put(cache / "d.sym", 200, used=1)
    with MetricsMock() as metrics:
        sweep = SymbolsCacheManager(cache, max_size=600).sweep(now=NOW)
    assert not oldest.exists() and not older.exists()
    assert recent.exists() and newest.exists()
    assert (sweep.files, sweep.total_bytes, sweep.evicted, sweep.evicted_bytes) == (2, 500, 2, 700)
    assert len(metrics.filter_records("incr", "socorro.processor.cache_manager.evict")) == 2
    [usage] = metrics.filter_records("gauge", "socorro.processor.cache_manager.usage")
    assert usage.value == 500
    [count] = metrics.filter_records("gauge", "socorro.processor.cache_manager.files.count")
    assert count.value == 2


def test_access_time_counts_as_use(tmp_path):
    cache = tmp_path / "cache"
    written_long_ago_read_now = put(cache / "a.sym", 100, used=5000)
    os.utime(written_long_ago_read_now, (NOW, NOW - 5000))
    written_recently = put(cache / "b.sym", 100, used=60)
    SymbolsCacheManager(cache, max_size=150).sweep(now=NOW)
    assert written_long_ago_read_now.exists()
    assert not written_recently.exists()


def test_nothing_is_evicted_under_the_limit(tmp_path):
    cache = tmp_path / "cache"
    files = [put(cache / f"{index}.sym", 100, used=index) for index in range(5)]
    sweep = SymbolsCacheManager(cache, max_size=500).sweep(now=NOW)
    assert all(path.exists() for path in files)
    assert (sweep.files, sweep.evicted) == (5, 0)


def test_files_being_staged_in_a_tmp_folder_inside_the_cache_are_left_alone(tmp_path):
    cache = tmp_path / "cache"
    staging = put(cache / "tmp" / "download.part", 5000, used=99999)
    cached = put(cache / "a.sym", 100, used=10)
    sweep = SymbolsCacheManager(cache, max_size=0, tmp_path=cache / "tmp").sweep(now=NOW)
    assert staging.exists()
    assert not cached.exists()
    assert sweep.total_bytes == 0


def test_symbolic_links_are_never_followed_or_counted(tmp_path):
    cache = tmp_path / "cache"
    outside = tmp_path / "outside"
    precious = put(outside / "precious.sym", 1000, used=99999)
    cache.mkdir()
    (cache / "link.sym").symlink_to(precious)
    (cache / "linked-folder").symlink_to(outside, target_is_directory=True)
    cached = put(cache / "a.sym", 100, used=10)
    sweep = SymbolsCacheManager(cache, max_size=0).sweep(now=NOW)
    assert precious.exists()
    assert (cache / "link.sym").is_symlink() and (cache / "linked-folder").is_symlink()
    assert not cached.exists()
    assert sweep.evicted_bytes == 100


def test_a_folder_swapped_for_a_link_outside_after_the_scan_is_not_evicted_through(tmp_path):
    cache = tmp_path / "cache"
    cached = put(cache / "a.pdb" / "a.sym", 100, used=10)
    manager = SymbolsCacheManager(cache, max_size=0)
    root = os.path.realpath(cache)
    [item] = list(manager._scan(root, NOW))
    outside = tmp_path / "outside"
    outside.mkdir()
    os.link(cached, outside / "a.sym")  # the same inode, reachable through the link below
    (cache / "a.pdb").rename(tmp_path / "moved")
    (cache / "a.pdb").symlink_to(outside, target_is_directory=True)
    assert not _evict(root, item)
    assert (outside / "a.sym").exists()


def test_a_file_replaced_after_the_scan_is_not_evicted(tmp_path):
    cache = tmp_path / "cache"
    cached = put(cache / "a.sym", 100, used=10)
    manager = SymbolsCacheManager(cache, max_size=0)
    root = os.path.realpath(cache)
    [item] = list(manager._scan(root, NOW))
    replacement = put(tmp_path / "new.sym", 100, used=0)
    replacement.replace(cached)
    assert not _evict(root, item)
    assert cached.exists()


def test_old_empty_folders_are_removed_but_not_new_ones_or_the_root(tmp_path):
    cache = tmp_path / "cache"
    old = cache / "old.pdb" / "ID"
    new = cache / "new.pdb" / "ID"
    old.mkdir(parents=True)
    new.mkdir(parents=True)
    stale = NOW - EMPTY_FOLDER_GRACE_SECONDS - 10
    os.utime(old, (stale, stale))
    os.utime(new, (NOW, NOW))
    SymbolsCacheManager(cache, max_size=0).sweep(now=NOW)
    assert not old.exists()
    assert new.exists()
    assert cache.is_dir()


def test_settings_from_the_environment(tmp_path):
    env = {"DATA_DIR": str(tmp_path), "SYMBOLS_CACHE_MAX_SIZE": "4gb"}
    settings = load_cache_manager_settings(env)
    assert settings.max_size == 4 * 1024**3
    assert settings.cache_path == tmp_path.resolve() / "symbols-cache"
    assert settings.tmp_path == tmp_path.resolve() / "symbols-tmp"
    assert settings.enabled
    assert load_cache_manager_settings({**env, "SYMBOLS_CACHE_MANAGER": "false"}).enabled is False
    with pytest.raises(ValueError, match="is not a size"):
        load_cache_manager_settings({**env, "SYMBOLS_CACHE_MAX_SIZE": "lots"})
    with pytest.raises(ValueError, match="SYMBOLS_CACHE_SCAN_SECONDS"):
        load_cache_manager_settings({**env, "SYMBOLS_CACHE_SCAN_SECONDS": "0"})


def test_the_processor_thread_evicts(tmp_path):
    env = {"DATA_DIR": str(tmp_path), "SYMBOLS_CACHE_MAX_SIZE": "100"}
    settings = load_cache_manager_settings(env)
    old = put(settings.cache_path / "old.sym", 100, used=1000)
    new = put(settings.cache_path / "new.sym", 100, used=1)
    disabled = load_cache_manager_settings({**env, "SYMBOLS_CACHE_MANAGER": "false"})
    assert start_cache_manager(disabled) is None
    thread = start_cache_manager(settings)
    assert thread is not None
    deadline = time.monotonic() + 30
    while old.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    thread.stop()
    assert not old.exists()
    assert new.exists()


def test_command_once(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SYMBOLS_CACHE_MAX_SIZE", "1kb")
    cache = tmp_path / "symbols-cache"
    old = put(cache / "old.sym", 1000, used=1000)
    new = put(cache / "new.sym", 1000, used=1)
    parser = argparse.ArgumentParser()
    cache_manager_command.configure(parser)
    assert cache_manager_command.run(parser.parse_args(["--once"])) == 0
    assert not old.exists() and new.exists()
    assert "evicted 1 files, 1000 bytes" in capsys.readouterr().out


def test_command_refuses_a_bad_size(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SYMBOLS_CACHE_MAX_SIZE", "big")
    parser = argparse.ArgumentParser()
    cache_manager_command.configure(parser)
    assert cache_manager_command.run(parser.parse_args(["--once"])) == 1
    assert "'big' is not a size" in capsys.readouterr().err
