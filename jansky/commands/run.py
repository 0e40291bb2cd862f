"""Run Jansky on the embedded default (files and SQLite under DATA_DIR) in one command.

Checks that storage, queues and search work, prepares Crash Stats' database (and a superuser on
first start), then starts every component as a child process with one log stream labelled by
component. Prints the URLs once everything answers; Ctrl-C (or SIGTERM) stops them all cleanly,
and so does any one component exiting.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from everett import ConfigurationError
from everett.manager import Option

from jansky.commands.healthcheck import check_backends
from jansky.commands.setup import migrate_database
from jansky.config import config_manager, load_core_settings
from jansky.process_group import ProcessGroup

EXAMPLES = """\
  jansky run                              collector on :8800, processor, Crash Stats on :8000
  jansky demo                             then, in another terminal: real crashes to look at
  DATA_DIR=/srv/jansky jansky run         keep the data elsewhere
  jansky run --collector-port 9800 --webapp-port 9000
  RUN_ADMIN_PASSWORD=... jansky run       the first superuser's password (else one is printed)
"""

READY_TIMEOUT_SECONDS = 180.0
# What the processor logs once it pulls from the queues (it serves no HTTP to ask).
CRON_READY_LINE = "cron loop started"
PROCESSOR_READY_LINE = "processor started"
READY_BANNER = "Jansky is ready"


class RunConfig:
    """`jansky run`: where the embedded default serves, and its first Crash Stats superuser."""

    class Config:
        run_host = Option(
            default="127.0.0.1",
            doc="Address the collector and Crash Stats of `jansky run` listen on.",
        )
        run_collector_port = Option(
            default="8800", parser=int, doc="Port of the collector started by `jansky run`."
        )
        run_webapp_port = Option(
            default="8000", parser=int, doc="Port of Crash Stats started by `jansky run`."
        )
        run_admin_username = Option(
            default="admin",
            doc="Name of the superuser `jansky run` creates when the database has none.",
        )
        run_admin_email = Option(default="", doc="E-mail address of that superuser.")
        run_admin_password = Option(
            default="",
            doc=(
                "Password of that superuser; empty means a random one, printed once when the "
                "superuser is created."
            ),
        )


@dataclass(frozen=True)
class Component:
    """A long-running part of the pipeline, started as ``jansky <args>``.

    It is ready once ``ready_url`` answers, or once its output shows ``ready_line``; with
    neither, as soon as it runs.
    """

    name: str
    args: tuple[str, ...]
    summary: str
    ready_url: str = ""
    ready_line: str = ""


@dataclass(frozen=True)
class RunSettings:
    host: str
    collector_port: int
    webapp_port: int
    admin_username: str
    admin_email: str
    admin_password: str

    @property
    def collector_url(self) -> str:
        return f"http://{self.host}:{self.collector_port}"

    @property
    def webapp_url(self) -> str:
        return f"http://{self.host}:{self.webapp_port}"


def load_run_settings(env: Mapping[str, str] | None = None) -> RunSettings:
    config = config_manager(env).with_options(RunConfig)
    return RunSettings(
        host=config("run_host"),
        collector_port=config("run_collector_port"),
        webapp_port=config("run_webapp_port"),
        admin_username=config("run_admin_username"),
        admin_email=config("run_admin_email"),
        admin_password=config("run_admin_password"),
    )


def components(settings: RunSettings) -> tuple[Component, ...]:
    collector, webapp = settings.collector_url, settings.webapp_url
    return (
        Component(
            "collector",
            ("collector", "--bind", f"{settings.host}:{settings.collector_port}"),
            f"accepts crash reports at {collector}/submit",
            ready_url=f"{collector}/__lbheartbeat__",
        ),
        Component(
            "processor",
            ("processor",),
            "walks the minidumps, signs and indexes each crash (jansky search finds it)",
            ready_line=PROCESSOR_READY_LINE,
        ),
        Component(
            "webapp",
            ("webapp", "--bind", f"{settings.host}:{settings.webapp_port}"),
            f"Crash Stats and its API at {webapp}",
            ready_url=f"{webapp}/__lbheartbeat__",
        ),
        Component(
            "cron",
            ("cron",),
            "runs the scheduled jobs every 5 minutes (jansky cron list shows them)",
            ready_line=CRON_READY_LINE,
        ),
    )


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--check",
        action="store_true",
        help="prepare DATA_DIR and check the embedded backends, then exit without serving",
    )
    parser.add_argument("--host", help="address to listen on (RUN_HOST, default 127.0.0.1)")
    parser.add_argument("--collector-port", type=int, help="RUN_COLLECTOR_PORT (default 8800)")
    parser.add_argument("--webapp-port", type=int, help="RUN_WEBAPP_PORT (default 8000)")


def prepare_embedded_backends() -> dict[str, str]:
    """Create DATA_DIR, check storage, queues and search, and return the environment for
    children; raises ValueError naming each backend that does not answer."""
    settings = load_core_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    problems = check_backends(settings)
    if problems:
        raise ValueError("; ".join(problems))
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


def ensure_superuser(settings: RunSettings, env: Mapping[str, str]) -> str | None:
    """Create the first superuser if there is none; returns how to log in, None on failure."""
    child_env = dict(env)
    child_env.pop("DJANGO_SUPERUSER_PASSWORD", None)
    if settings.admin_password:
        child_env["DJANGO_SUPERUSER_PASSWORD"] = settings.admin_password
    command = [sys.executable, "-m", "jansky.cli", "manage", "ensuresuperuser"]
    command += ["--username", settings.admin_username, "--email", settings.admin_email]
    done = subprocess.run(command, env=child_env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(done.stderr, file=sys.stderr, end="")
        return None
    return done.stdout.strip()


def run(args: argparse.Namespace) -> int:
    try:
        settings = _with_arguments(load_run_settings(), args)
        env = prepare_embedded_backends()
    except (ValueError, ConfigurationError) as exc:
        print(f"jansky run: {exc}", file=sys.stderr)
        return 1
    if args.check:
        print("embedded backends are ready")
        return 0
    if not migrate_database(env):
        print("jansky run: migrating the database failed (see above)", file=sys.stderr)
        return 1
    login = ensure_superuser(settings, env)
    if login is None:
        print("jansky run: creating the first superuser failed (see above)", file=sys.stderr)
        return 1
    return serve(components(settings), env, settings, login)


def _with_arguments(settings: RunSettings, args: argparse.Namespace) -> RunSettings:
    """The command line wins over the environment."""
    return replace(
        settings,
        host=args.host or settings.host,
        collector_port=args.collector_port or settings.collector_port,
        webapp_port=args.webapp_port or settings.webapp_port,
    )


def serve(
    parts: Sequence[Component], env: Mapping[str, str], settings: RunSettings, login: str
) -> int:
    """Run the components until Ctrl-C, SIGTERM or one of them exiting; returns the exit code."""
    group = ProcessGroup()
    signal.signal(signal.SIGTERM, _interrupt)
    started = time.monotonic()
    try:
        for part in parts:
            argv = [sys.executable, "-m", "jansky.cli", *part.args]
            group.start(part.name, argv, env, [part.ready_line] if part.ready_line else [])
        if wait_until_ready(group, parts):
            seconds = time.monotonic() - started
            data_dir = Path(env["DATA_DIR"])
            group.say(ready_banner(parts, settings, login, seconds, data_dir))
        ended = group.wait_for_exit()
        group.say(f"{ended.name} exited; stopping the others")
    except KeyboardInterrupt:
        ended = None
    finally:
        # Stopping is not interrupted: children still running after the grace period are killed.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        group.stop()
    if ended is not None:
        statuses = ", ".join(f"{child.name} {child.process.returncode}" for child in group.children)
        group.say(f"stopped (exit statuses: {statuses})")
        return ended.process.returncode or 1
    group.say("stopped")
    return 0


def _interrupt(signum: int, frame: object) -> None:
    """Treat SIGTERM like Ctrl-C so children are stopped the same way."""
    raise KeyboardInterrupt


def wait_until_ready(
    group: ProcessGroup, parts: Sequence[Component], timeout: float = READY_TIMEOUT_SECONDS
) -> bool:
    """Wait until every component is ready; False when one exits first or time runs out."""
    waiting = list(parts)
    deadline = time.monotonic() + timeout
    while waiting:
        if group.exited() is not None:
            return False
        if time.monotonic() > deadline:
            names = ", ".join(part.name for part in waiting)
            group.say(f"still not ready after {timeout:g} s: {names}")
            return False
        waiting = [part for part in waiting if not _is_ready(part, group)]
        time.sleep(0.2)
    return True


def _is_ready(part: Component, group: ProcessGroup) -> bool:
    if part.ready_url:
        try:
            with urllib.request.urlopen(part.ready_url, timeout=2) as response:
                return response.status == 200
        except OSError:
            return False
    if part.ready_line:
        child = next(child for child in group.children if child.name == part.name)
        return part.ready_line in child.lines_seen
    return True


def ready_banner(
    parts: Sequence[Component], settings: RunSettings, login: str, seconds: float, data_dir: Path
) -> str:
    """What a newcomer needs once everything answers: where things are and what to try."""
    lines = [
        "",
        f"{READY_BANNER} ({seconds:.1f} s):",
        *(f"  {part.name:<10} {part.summary}" for part in parts),
        f"  {login}",
        f"  Try, in another terminal: {demo_command(settings, data_dir)}",
        "    (real crashes of crashgen, symbolicated, with their signatures in Crash Stats)",
        "  Press Ctrl-C to stop.",
        "",
    ]
    return "\n".join(lines)


def demo_command(settings: RunSettings, data_dir: Path) -> str:
    """`jansky demo` as another terminal must run it to reach this run: with its DATA_DIR (where
    the demo makes its upload token) and its URLs, when they are not the defaults."""
    words = [_command_path(), "demo"]
    if data_dir != load_core_settings({}).data_dir:
        words.insert(0, f"DATA_DIR={shlex.quote(str(data_dir))}")
    default = load_run_settings({})
    if (settings.collector_url, settings.webapp_url) != (default.collector_url, default.webapp_url):
        words += ["--collector", settings.collector_url, "--webapp", settings.webapp_url]
    return " ".join(words)


def _command_path() -> str:
    """How to call `jansky` from the current directory (the virtualenv's, if not on PATH)."""
    script = Path(sys.executable).with_name("jansky")
    if shutil.which("jansky") == str(script):
        return "jansky"
    try:
        return str(script.relative_to(Path.cwd()))
    except ValueError:
        return str(script)
