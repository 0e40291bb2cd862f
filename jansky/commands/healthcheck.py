"""Check that a Jansky server or the configured backends answer (container and unit health checks).

With a URL: GET it (a Dockerflow endpoint: `/__lbheartbeat__` says the server is up,
`/__heartbeat__` that its backends answer too) and succeed on a 2xx answer. Without: check that
the storage, queues and search named by the environment answer, as the servers' `/__heartbeat__`
does; that is the health check of the processor and of cron, which serve no HTTP. Exits 0 when
healthy, 1 otherwise, with one line saying why.
"""

from __future__ import annotations

import argparse
import sys
import urllib.error
import urllib.request
from collections.abc import Callable

from jansky.config import CoreSettings, load_core_settings
from jansky.queue import QueueError, open_queue
from jansky.search import SearchError, open_search
from jansky.storage import StorageError, open_storage

BACKEND_ERRORS = (StorageError, QueueError, SearchError, ValueError)

EXAMPLES = """\
  jansky healthcheck http://127.0.0.1:8800/__lbheartbeat__     the collector is up
  jansky healthcheck http://127.0.0.1:8000/__heartbeat__       Crash Stats and its backends
  jansky healthcheck                                            storage, queues and search answer
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("url", nargs="?", help="an http:// URL to GET (default: the backends)")
    parser.add_argument(
        "--timeout",
        type=float,
        default=5.0,
        help="seconds to wait for the URL's answer (default 5)",
    )


def check_url(url: str, timeout: float) -> str | None:
    """None when ``url`` answers 2xx, else what went wrong."""
    if not url.startswith(("http://", "https://")):
        return f"{url!r} is not an http:// or https:// URL"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (OSError, ValueError) as exc:
        return f"cannot reach {url}: {exc}"
    return None if 200 <= status < 300 else f"{url} answered {status}"


def backend_checks(settings: CoreSettings) -> dict[str, tuple[str, Callable[[], object]]]:
    """Each backend's name -> (its URL, a call that raises unless it answers now)."""
    return {
        "storage": (
            settings.storage_url,
            lambda: open_storage(settings.storage_url).check_health(),
        ),
        "queue": (settings.queue_url, lambda: open_queue(settings.queue_url).check_health()),
        "search": (settings.search_url, lambda: open_search(settings.search_url).check_health()),
    }


def check_backends(settings: CoreSettings) -> list[str]:
    """What is wrong with the configured backends (empty when every one answers)."""
    problems = []
    for name, (url, check) in backend_checks(settings).items():
        try:
            check()
        except BACKEND_ERRORS as exc:
            problems.append(f"{name} {url}: {exc}")
    return problems


def run(args: argparse.Namespace) -> int:
    if args.url:
        problem = check_url(args.url, args.timeout)
        problems = [problem] if problem else []
        healthy = f"{args.url} answered"
    else:
        try:
            settings = load_core_settings()
        except ValueError as exc:
            print(f"jansky healthcheck: {exc}", file=sys.stderr)
            return 1
        problems = check_backends(settings)
        healthy = "storage, queue and search answered"
    if problems:
        print(f"unhealthy: {'; '.join(problems)}", file=sys.stderr)
        return 1
    print(f"healthy: {healthy}")
    return 0
