"""Run the collector (crash reports in at /submit) under gunicorn.

Storage and queue come from STORAGE_URL and QUEUE_URL (files and SQLite under DATA_DIR by
default); the COLLECTOR_* options set limits, timeouts, throttle rules, workers and threads.
Each worker is an event loop: slow clients are timed out and cost no thread.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from antenna.config import CollectorSettings, load_collector_settings
from jansky.gunicorn_server import GunicornServer

DEFAULT_BIND = "127.0.0.1:8800"
APP_FACTORY = "antenna.app:create_app()"
WORKER_CLASS = "antenna.worker.CollectorWorker"

EXAMPLES = """\
  jansky collector                                 serve on 127.0.0.1:8800
  jansky collector --bind 0.0.0.0:8800 --workers 4 --threads 8
  COLLECTOR_BODY_IDLE_SECONDS=30 jansky collector          more patience with slow uploads
  COLLECTOR_THROTTLE_RULES=mozilla jansky collector       Socorro's production rules
  STORAGE_URL=s3://crashes QUEUE_URL='sqs://?prefix=jansky-' jansky collector
"""


def gunicorn_options(settings: CollectorSettings, bind: str, workers: int) -> dict:
    """gunicorn settings: event-loop workers; the app's own threads come from the settings."""
    return {
        "bind": bind,
        "workers": workers,
        "worker_class": WORKER_CLASS,
        "timeout": settings.worker_timeout,
        "graceful_timeout": settings.worker_timeout,
        "keepalive": settings.keepalive_seconds,
        "proc_name": "jansky-collector",
    }


def load_collector() -> Any:
    from antenna.app import create_app

    return create_app()


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bind", default=DEFAULT_BIND, help=f"HOST:PORT (default {DEFAULT_BIND})")
    parser.add_argument("--workers", type=int, help="worker processes (COLLECTOR_WORKERS)")
    parser.add_argument("--threads", type=int, help="threads per worker (COLLECTOR_THREADS)")


def run(args: argparse.Namespace) -> int:
    if args.threads:
        os.environ["COLLECTOR_THREADS"] = str(args.threads)  # read again by every worker
    settings = load_collector_settings()
    options = gunicorn_options(settings, args.bind, args.workers or settings.workers)
    GunicornServer(options, load_collector).run()
    return 0
