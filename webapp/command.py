"""Run Crash Stats (the web UI and the HTTP API under /api/) with gunicorn.

Crashes come from STORAGE_URL and SEARCH_URL, reprocessing goes to QUEUE_URL, accounts and
tokens live in DATABASE_URL (SQLite under DATA_DIR by default). On the embedded default the
database is migrated at start; with PostgreSQL, run `jansky manage migrate` first.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from jansky.gunicorn_server import GunicornServer
from webapp.config import WebappConfigurationError, WebappSettings, load_webapp_settings

DEFAULT_BIND = "127.0.0.1:8000"
SETTINGS_MODULE = "webapp.settings"

EXAMPLES = """\
  jansky webapp                                   serve on 127.0.0.1:8000
  jansky manage createsuperuser                   an account for the admin at /siteadmin/
  jansky webapp --bind 0.0.0.0:8000 --workers 4
  DATABASE_URL=postgres://jansky:secret@db/jansky WEBAPP_SECRET_KEY=... jansky webapp
"""


def gunicorn_options(settings: WebappSettings, bind: str, workers: int, threads: int) -> dict:
    """gunicorn settings: threaded workers running Django."""
    return {
        "bind": bind,
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "timeout": settings.timeout,
        "graceful_timeout": settings.timeout,
        "keepalive": 5,
        "access_log_format": '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"',
        "proc_name": "jansky-webapp",
    }


def load_webapp() -> Any:
    from webapp.wsgi import application

    return application


def prepare_database(settings: WebappSettings) -> str | None:
    """Migrate the embedded database; elsewhere, say what to run if migrations are pending."""
    import django
    from django.core.management import call_command
    from django.db import connections
    from django.db.migrations.executor import MigrationExecutor

    django.setup()
    try:
        if settings.embedded:
            settings.core.data_dir.mkdir(parents=True, exist_ok=True)
            call_command("migrate", interactive=False, verbosity=0)
            return None
        executor = MigrationExecutor(connections["default"])
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if pending:
            return (
                f"the database has {len(pending)} migrations to apply; run "
                "`jansky manage migrate` with the same settings, then start again"
            )
        return None
    finally:
        connections.close_all()  # workers are forked next: no connection may be shared


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bind", default=DEFAULT_BIND, help=f"HOST:PORT (default {DEFAULT_BIND})")
    parser.add_argument("--workers", type=int, help="worker processes (WEBAPP_WORKERS)")
    parser.add_argument("--threads", type=int, help="threads per worker (WEBAPP_THREADS)")


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    try:
        settings = load_webapp_settings()
    except (WebappConfigurationError, ValueError) as exc:
        print(f"jansky webapp: {exc}", file=sys.stderr)
        return 2
    from webapp.crashstats.assets import DIST_DIR

    if not (DIST_DIR / "manifest.json").exists():
        print(
            f"jansky webapp: the front end is not built ({DIST_DIR} is missing); run `make assets`"
            " (npm ci and the esbuild bundle) in the source tree first",
            file=sys.stderr,
        )
        return 2
    problem = prepare_database(settings)
    if problem:
        print(f"jansky webapp: {problem}", file=sys.stderr)
        return 1
    options = gunicorn_options(
        settings, args.bind, args.workers or settings.workers, args.threads or settings.threads
    )
    GunicornServer(options, load_webapp).run()
    return 0
