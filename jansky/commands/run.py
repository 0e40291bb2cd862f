"""Run Jansky on the embedded default (files and SQLite under DATA_DIR) in one command.

Starts every available component as a child process with the embedded backends, checks that
storage and queues work first, and stops everything on Ctrl-C or when one component exits.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass

from jansky.config import load_core_settings
from jansky.queue import open_queue
from jansky.search import open_search
from jansky.storage import open_storage

EXAMPLES = """\
  jansky run                              collector on :8800, processor, Crash Stats on :8000, cron
  DATA_DIR=/srv/jansky jansky run         keep the data elsewhere
  jansky submit http://127.0.0.1:8800/submit crash.dmp -a ProductName=Test   (in another shell)
"""


@dataclass(frozen=True)
class Component:
    """A long-running part of the pipeline, started as ``jansky <args>``."""

    name: str
    args: tuple[str, ...]
    summary: str


COMPONENTS = (
    Component(
        "collector",
        ("collector", "--bind", "127.0.0.1:8800"),
        "accepts crash reports at http://127.0.0.1:8800/submit",
    ),
    Component(
        "processor",
        ("processor",),
        "walks the minidumps, signs and indexes each crash (jansky search finds it)",
    ),
    Component(
        "webapp",
        ("webapp", "--bind", "127.0.0.1:8000"),
        "Crash Stats and its API at http://127.0.0.1:8000 (jansky manage createsuperuser)",
    ),
    Component(
        "cron",
        ("cron",),
        "runs the scheduled jobs every 5 minutes (jansky cron list shows them)",
    ),
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--check",
        action="store_true",
        help="prepare DATA_DIR and check the embedded backends, then exit without serving",
    )


def prepare_embedded_backends() -> dict[str, str]:
    """Create DATA_DIR, check storage and queues, and return the environment for children."""
    settings = load_core_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    open_storage(settings.storage_url).check_health()
    open_queue(settings.queue_url).check_health()
    open_search(settings.search_url).check_health()
    env = dict(os.environ)
    env.update(
        DATA_DIR=str(settings.data_dir),
        STORAGE_URL=settings.storage_url,
        QUEUE_URL=settings.queue_url,
        SEARCH_URL=settings.search_url,
        DATABASE_URL=settings.database_url,
    )
    print(f"data:    {settings.data_dir}")
    print(f"storage: {settings.storage_url}")
    print(f"queue:   {settings.queue_url}")
    print(f"search:  {settings.search_url}")
    return env


def migrate_embedded_database(env: dict[str, str]) -> bool:
    """Create or update the SQLite database once, before Crash Stats and cron both start
    (each would migrate it, and two migrations at once collide)."""
    if not env["DATABASE_URL"].startswith("sqlite://"):
        return True
    command = [sys.executable, "-m", "jansky.cli", "manage", "migrate", "--no-input", "-v", "0"]
    return subprocess.run(command, env=env, check=False).returncode == 0


def run(args: argparse.Namespace) -> int:
    env = prepare_embedded_backends()
    if args.check:
        print("embedded backends are ready")
        return 0
    if not migrate_embedded_database(env):
        print("jansky run: migrating the database failed (see above)", file=sys.stderr)
        return 1
    children = {
        component: subprocess.Popen([sys.executable, "-m", "jansky.cli", *component.args], env=env)
        for component in COMPONENTS
    }
    for component in children:
        print(f"{component.name}: {component.summary}")
    print("Press Ctrl-C to stop.")
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return _wait_for_first_exit(children)
    except KeyboardInterrupt:
        return 0
    finally:
        _stop(children.values())


def _interrupt(signum: int, frame: object) -> None:
    """Treat SIGTERM like Ctrl-C so children are stopped the same way."""
    raise KeyboardInterrupt


def _wait_for_first_exit(children: dict[Component, subprocess.Popen]) -> int:
    while True:
        for component, process in children.items():
            code = process.poll()
            if code is not None:
                print(f"{component.name} exited with status {code}; stopping", file=sys.stderr)
                return code or 1
        time.sleep(0.5)


def _stop(processes: Iterable[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
