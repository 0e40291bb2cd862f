"""`jansky cron` with no arguments: a pass over the due jobs every CRON_LOOP_SECONDS.

For the embedded deployment (`jansky run` starts it) and the container. SIGTERM or Ctrl-C
stops it between jobs: the job under way finishes (long jobs stop at their next progress
report and run again next time) and its lock is released, so nothing is left half-recorded.
"""

from __future__ import annotations

import logging
import signal
import time

from cronrun.config import CronSettings
from cronrun.progress import STOP
from cronrun.reporting import setup_reporting
from cronrun.runner import Runner, tidy_connections

logger = logging.getLogger(__name__)


def _stop(signum: int, _frame: object) -> None:
    logger.info("received %s; stopping after the job under way", signal.Signals(signum).name)
    STOP.set()


def run_loop(settings: CronSettings) -> int:
    """Run passes until stopped; returns the exit status."""
    setup_reporting(settings)
    STOP.clear()
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    runner = Runner(settings)
    logger.info("cron loop started: a pass over the due jobs every %d s", settings.loop_seconds)
    while not STOP.is_set():
        started = time.monotonic()
        try:
            runner.run_all()
        except Exception:
            # The database may be down: say so and try again at the next pass.
            logger.exception("the cron pass failed; trying again in %d s", settings.loop_seconds)
            tidy_connections()
        STOP.wait(max(0.0, settings.loop_seconds - (time.monotonic() - started)))
    logger.info("cron loop stopped")
    return 0
