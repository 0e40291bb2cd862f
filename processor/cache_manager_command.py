"""Keep the symbols cache under SYMBOLS_CACHE_MAX_SIZE, evicting least recently used files.

`jansky processor` runs the same manager as a thread unless SYMBOLS_CACHE_MANAGER=false; run
this command instead when the cache is shared by processors or should be managed apart. It
rescans the cache every SYMBOLS_CACHE_SCAN_SECONDS until SIGTERM or Ctrl-C.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from processor.cache_manager import SymbolsCacheManager, load_cache_manager_settings
from processor.command import configure_logging, configure_metrics_from
from processor.config import InvalidProcessorSetting, load_processor_settings

EXAMPLES = """\
  jansky cache-manager                       scan and evict every SYMBOLS_CACHE_SCAN_SECONDS
  jansky cache-manager --once                one scan, print what it did, exit
  SYMBOLS_CACHE_MAX_SIZE=4gb jansky cache-manager
"""

logger = logging.getLogger(__name__)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--once", action="store_true", help="scan and evict once, then exit")
    parser.add_argument(
        "--log-level", default="INFO", help="logging level: DEBUG, INFO, WARNING (default: INFO)"
    )


def run(args: argparse.Namespace) -> int:
    configure_logging(args.log_level)
    try:
        settings = load_cache_manager_settings()
        configure_metrics_from(load_processor_settings())
    except (InvalidProcessorSetting, ValueError) as exc:
        print(f"jansky cache-manager: {exc}", file=sys.stderr)
        return 1
    manager = SymbolsCacheManager(settings.cache_path, settings.max_size, settings.tmp_path)
    if args.once:
        sweep = manager.sweep()
        print(
            f"{settings.cache_path}: {sweep.files} files, {sweep.total_bytes} bytes "
            f"(limit {settings.max_size}); evicted {sweep.evicted} files, "
            f"{sweep.evicted_bytes} bytes"
        )
        return 0
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        logger.info("received %s; stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    manager.run(settings.scan_seconds, stop)
    return 0
