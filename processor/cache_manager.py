"""Keep the symbols cache under SYMBOLS_CACHE_MAX_SIZE by evicting the least recently used files.

minidump-stackwalk only adds to its cache (files are staged in the symbols tmp directory and
renamed into place), so something must remove old files. Socorro's cache manager follows the
cache with inotify; this one rescans it every SYMBOLS_CACHE_SCAN_SECONDS instead, which works on
every platform and filesystem and needs no dependency. A file's last use is the later of its
access and modification times: on a ``relatime`` mount (the Linux default) the access time moves
on the first read after a write and then at most once a day, which is fine-grained enough to rank
symbol files that are kept for days. Between two scans the cache may grow past the limit by what
was downloaded meanwhile.

Eviction never touches the tmp directory (even when it lies inside the cache), never follows a
symbolic link, and deletes a file only if it is still the regular file seen by the scan and its
folder still resolves inside the cache.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from everett.manager import Option, parse_bool

from jansky.config import config_manager
from processor.config import load_processor_settings
from processor.metrics import METRICS
from processor.sizes import parse_size

logger = logging.getLogger(__name__)

EMPTY_FOLDER_GRACE_SECONDS = 3600.0  # an empty folder this old is removed by the next scan
LARGE_FILE_BYTES = 500_000_000  # files above this count in cache_manager.files.gt_500


class SymbolsCacheConfig:
    """Symbols cache manager: keeps STACKWALKER_SYMBOLS_CACHE_PATH under a size."""

    class Config:
        symbols_cache_max_size = Option(
            default="40gb",
            doc=(
                "Largest size of the symbols cache (units of 1024: `40gb`, `512mb`, bytes if "
                "bare); the least recently used files are evicted beyond it."
            ),
        )
        symbols_cache_manager = Option(
            default="true",
            parser=parse_bool,
            doc=(
                "Run the cache manager as a thread of `jansky processor` (one per processor "
                "command, whatever PROCESSOR_PROCESSES); `false` when `jansky cache-manager` runs "
                "it apart or the cache is managed otherwise."
            ),
        )
        symbols_cache_scan_seconds = Option(
            default="60",
            parser=float,
            doc="Seconds between two scans of the symbols cache (and evictions).",
        )


@dataclass(frozen=True)
class CacheManagerSettings:
    """Where the cache is, its size limit and how the manager runs."""

    cache_path: Path
    tmp_path: Path
    max_size: int
    enabled: bool
    scan_seconds: float


def load_cache_manager_settings(env: Mapping[str, str] | None = None) -> CacheManagerSettings:
    """The cache manager's options; the paths are the stackwalker's."""
    config = config_manager(env).with_options(SymbolsCacheConfig)
    processor = load_processor_settings(env)
    max_size = parse_size(config("symbols_cache_max_size"))
    scan_seconds = config("symbols_cache_scan_seconds")
    if scan_seconds <= 0:
        raise ValueError(f"SYMBOLS_CACHE_SCAN_SECONDS must be positive, got {scan_seconds}")
    return CacheManagerSettings(
        cache_path=processor.symbols_cache_path,
        tmp_path=processor.symbols_tmp_path,
        max_size=max_size,
        enabled=config("symbols_cache_manager"),
        scan_seconds=scan_seconds,
    )


@dataclass(frozen=True)
class CachedFile:
    """A regular file of the cache as the scan saw it."""

    path: str
    size: int
    last_used: float
    device: int
    inode: int


@dataclass(frozen=True)
class Sweep:
    """What one scan found and evicted."""

    files: int
    total_bytes: int
    evicted: int
    evicted_bytes: int


class SymbolsCacheManager:
    """Scans the cache and evicts the least recently used files beyond ``max_size`` bytes."""

    def __init__(self, cache_path: Path, max_size: int, tmp_path: Path | None = None) -> None:
        if max_size < 0:
            raise ValueError(f"the cache size limit must not be negative, got {max_size}")
        self.cache_path = Path(cache_path)
        self.max_size = max_size
        self.tmp_path = tmp_path

    def sweep(self, now: float | None = None) -> Sweep:
        """Scan the cache, evict down to the limit and emit the usage metrics."""
        started = time.perf_counter()
        self.cache_path.mkdir(parents=True, exist_ok=True)
        root = os.path.realpath(self.cache_path)
        files = list(self._scan(root, now if now is not None else time.time()))
        total = sum(item.size for item in files)
        evicted = evicted_bytes = 0
        if total > self.max_size:
            remaining = []
            for item in sorted(files, key=lambda item: item.last_used):
                if total - evicted_bytes > self.max_size and _evict(root, item):
                    evicted += 1
                    evicted_bytes += item.size
                    METRICS.incr("cache_manager.evict")
                    logger.debug("evicted %s (%d bytes)", item.path, item.size)
                else:
                    remaining.append(item)
            files = remaining
        sweep = Sweep(len(files), total - evicted_bytes, evicted, evicted_bytes)
        _emit_usage(sweep, sorted(item.size for item in files))
        METRICS.timing("cache_manager.scan", (time.perf_counter() - started) * 1000)
        if evicted:
            logger.info(
                "symbols cache: evicted %d files (%d bytes); %d files, %d bytes remain",
                evicted,
                evicted_bytes,
                sweep.files,
                sweep.total_bytes,
            )
        return sweep

    def _scan(self, root: str, now: float) -> Iterator[CachedFile]:
        """Regular files under ``root``, skipping links and the tmp folder; prunes old empty
        folders on the way."""
        skip = _identity(self.tmp_path) if self.tmp_path is not None else None
        folders = [root]
        while folders:
            folder = folders.pop()
            try:
                entries = list(os.scandir(folder))
            except OSError as exc:  # removed meanwhile, or unreadable
                logger.debug("cannot scan %s: %s", folder, exc)
                continue
            if not entries and folder != root:
                _remove_if_old(folder, now)
            for entry in entries:
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if stat.S_ISDIR(info.st_mode):
                    if (info.st_dev, info.st_ino) != skip:
                        folders.append(entry.path)
                elif stat.S_ISREG(info.st_mode):
                    yield CachedFile(
                        entry.path,
                        info.st_size,
                        max(info.st_atime, info.st_mtime),
                        info.st_dev,
                        info.st_ino,
                    )

    def run(self, interval: float, stop: threading.Event) -> None:
        """Sweep every ``interval`` seconds until ``stop`` is set; errors are logged, not fatal."""
        logger.info(
            "symbols cache manager: %s, at most %d bytes, a scan every %gs",
            self.cache_path,
            self.max_size,
            interval,
        )
        while not stop.is_set():
            try:
                self.sweep()
            except Exception:
                logger.exception("symbols cache sweep failed")
                METRICS.incr("cache_manager.error")
            stop.wait(interval)


class CacheManagerThread:
    """The cache manager on a daemon thread; ``stop`` ends it."""

    def __init__(self, manager: SymbolsCacheManager, interval: float) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=manager.run, args=(interval, self._stop), name="cache-manager", daemon=True
        )

    def start(self) -> CacheManagerThread:
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)


def start_cache_manager(settings: CacheManagerSettings) -> CacheManagerThread | None:
    """Start the manager thread if SYMBOLS_CACHE_MANAGER is on; None otherwise."""
    if not settings.enabled:
        return None
    manager = SymbolsCacheManager(settings.cache_path, settings.max_size, settings.tmp_path)
    return CacheManagerThread(manager, settings.scan_seconds).start()


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _evict(root: str, item: CachedFile) -> bool:
    """Delete ``item`` if it is still that regular file in a folder inside ``root``."""
    folder = os.path.dirname(item.path)
    if os.path.commonpath([root, os.path.realpath(folder)]) != root:
        logger.warning("not evicting %s: its folder now leads outside the cache", item.path)
        return False
    try:
        info = os.lstat(item.path)
    except OSError:
        return False
    if not stat.S_ISREG(info.st_mode) or (info.st_dev, info.st_ino) != (item.device, item.inode):
        return False
    try:
        os.unlink(item.path)
    except FileNotFoundError:
        return False
    return True


def _remove_if_old(folder: str, now: float) -> None:
    """Remove an empty folder left by evictions once it has not changed for a while.

    The grace period keeps a folder the stackwalker has just created for a download it is about
    to rename into place; rmdir itself refuses a folder that is no longer empty.
    """
    with contextlib.suppress(OSError):
        if now - os.lstat(folder).st_mtime > EMPTY_FOLDER_GRACE_SECONDS:
            os.rmdir(folder)


def _emit_usage(sweep: Sweep, sizes: list[int]) -> None:
    """Socorro's cache-manager gauges: usage, file count and size distribution."""
    METRICS.gauge("cache_manager.usage", sweep.total_bytes)
    METRICS.gauge("cache_manager.files.count", sweep.files)
    if not sizes:
        return
    METRICS.gauge("cache_manager.file_sizes.avg", sum(sizes) // len(sizes))
    METRICS.gauge("cache_manager.file_sizes.median", sizes[len(sizes) // 2])
    METRICS.gauge("cache_manager.file_sizes.ninety_five", sizes[len(sizes) * 95 // 100])
    METRICS.gauge("cache_manager.file_sizes.max", sizes[-1])
    METRICS.gauge("cache_manager.files.gt_500", sum(1 for size in sizes if size > LARGE_FILE_BYTES))
