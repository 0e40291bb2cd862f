"""Run the collector (crash reports in at /submit) under gunicorn.

Storage and queue come from STORAGE_URL and QUEUE_URL (files and SQLite under DATA_DIR by
default); the COLLECTOR_* options set limits, throttle rules, workers and threads.
"""

from __future__ import annotations

import argparse
from typing import Any

from gunicorn.app.base import BaseApplication

from antenna.config import CollectorSettings, load_collector_settings

DEFAULT_BIND = "127.0.0.1:8800"
APP_FACTORY = "antenna.app:create_app()"

EXAMPLES = """\
  jansky collector                                 serve on 127.0.0.1:8800
  jansky collector --bind 0.0.0.0:8800 --workers 4 --threads 8
  COLLECTOR_THROTTLE_RULES=mozilla jansky collector       Socorro's production rules
  STORAGE_URL=s3://crashes QUEUE_URL='sqs://?prefix=jansky-' jansky collector
"""


def gunicorn_options(settings: CollectorSettings, bind: str, workers: int, threads: int) -> dict:
    """gunicorn settings; the worker timeout stays above the collector's retry budget."""
    return {
        "bind": bind,
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "timeout": settings.worker_timeout,
        "graceful_timeout": settings.worker_timeout,
        "keepalive": 5,
        "accesslog": "-",
        "access_log_format": '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"',
        "errorlog": "-",
        "proc_name": "jansky-collector",
        # gunicorn's runtime control socket (one path per user, shared by every master on the
        # host) can resize or stop the server; nothing here uses it.
        "control_socket_disable": True,
    }


class CollectorServer(BaseApplication):
    """gunicorn running ``antenna.app:create_app()`` in each worker (never preloaded)."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from antenna.app import create_app

        return create_app()


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bind", default=DEFAULT_BIND, help=f"HOST:PORT (default {DEFAULT_BIND})")
    parser.add_argument("--workers", type=int, help="worker processes (COLLECTOR_WORKERS)")
    parser.add_argument("--threads", type=int, help="threads per worker (COLLECTOR_THREADS)")


def run(args: argparse.Namespace) -> int:
    settings = load_collector_settings()
    options = gunicorn_options(
        settings,
        args.bind,
        args.workers or settings.workers,
        args.threads or settings.threads,
    )
    CollectorServer(options).run()
    return 0
