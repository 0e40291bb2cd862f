"""Create what the configured backends must hold before Jansky runs: bucket, queues, indices,
Crash Stats' database tables.

Safe to run again: what exists is left as it is. Reads the same settings as every other command
(`STORAGE_URL`, `QUEUE_URL`, `SEARCH_URL`, `DATABASE_URL`, the AWS variables), so a deployment
runs it once per release, before the new release's servers start.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Mapping

from jansky.config import load_core_settings
from jansky.queue import QueueError, open_queue
from jansky.queue.base import CrashQueue
from jansky.search import SearchError, open_search
from jansky.search.backend import SearchBackend
from jansky.storage import StorageError, open_storage
from jansky.storage.base import CrashStorage

EXAMPLES = """\
  jansky setup                                       the embedded default under ./var
  STORAGE_URL=s3://crashes QUEUE_URL='sqs://?prefix=prod-' jansky setup
  DATABASE_URL=postgres://jansky:secret@db/jansky WEBAPP_SECRET_KEY=... jansky setup
"""


def configure(parser: argparse.ArgumentParser) -> None:
    """No options: everything comes from the environment."""


def prepare_storage(storage: CrashStorage) -> str:
    """Create the S3 bucket if needed, then check that the storage can be written and read."""
    from jansky.storage.s3 import S3CrashStorage

    created = isinstance(storage, S3CrashStorage) and storage.create_bucket()
    storage.check_health()
    return "created bucket and checked" if created else "checked"


def prepare_queue(queue: CrashQueue) -> str:
    """Create the SQS queues if needed, then check that the queues answer."""
    from jansky.queue.sqs import SqsCrashQueue

    if isinstance(queue, SqsCrashQueue):
        queue.create_queues()
    queue.check_health()
    return "queues ready"


def prepare_search(search: SearchBackend, weeks: int = 2) -> str:
    """Create this week's and the coming weeks' indices (a cluster), then check the backend."""
    created = search.create_indices_ahead(weeks)
    search.check_health()
    return f"created {', '.join(created)}" if created else "checked"


def migrate_database(env: Mapping[str, str] | None = None) -> bool:
    """Apply Crash Stats' migrations to ``DATABASE_URL``, in a child process (Django's settings
    are made once per process, from that process's environment); Django prints any error."""
    command = [sys.executable, "-m", "jansky.cli", "manage", "migrate", "--no-input", "-v", "0"]
    done = subprocess.run(command, env=None if env is None else dict(env), check=False)
    return done.returncode == 0


def without_password(url: str) -> str:
    """``url`` fit to print: a password in it is replaced by ``***``."""
    scheme, separator, rest = url.partition("://")
    credentials, at, location = rest.rpartition("@")
    if not (separator and at and ":" in credentials):
        return url
    return f"{scheme}://{credentials.partition(':')[0]}:***@{location}"


def run(args: argparse.Namespace) -> int:
    settings = load_core_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        print(
            f"storage {settings.storage_url}: {prepare_storage(open_storage(settings.storage_url))}"
        )
        print(f"queue   {settings.queue_url}: {prepare_queue(open_queue(settings.queue_url))}")
        print(f"search  {settings.search_url}: {prepare_search(open_search(settings.search_url))}")
    except (StorageError, QueueError, SearchError, ValueError) as exc:
        print(f"jansky setup: {exc}", file=sys.stderr)
        return 1
    database = without_password(settings.database_url)
    if not migrate_database():
        print(
            f"jansky setup: migrating the database {database} failed (see above)", file=sys.stderr
        )
        return 1
    print(f"database {database}: migrated")
    return 0
