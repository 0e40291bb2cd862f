"""The cron runner's guarantees with real `jansky cron` processes, on SQLite and PostgreSQL.

Each test gets a database of its own (a file, or a new PostgreSQL database dropped at the end),
migrated once; the runners are separate processes started at the same moment; the job is
``crontest`` every hour with backfill (tests/cron_settings.py). The state is read and set with
plain SQL, as another host would see it.
"""

from __future__ import annotations

import datetime
import itertools
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest

from tests.servers import ROOT, server_env

UTC = datetime.UTC
HOUR = datetime.timedelta(hours=1)


@dataclass
class Database:
    """Plain SQL on the test database (``?`` placeholders on both)."""

    url: str
    path: Path | None = None  # SQLite

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        if self.path is not None:
            with sqlite3.connect(self.path) as connection:
                rows = connection.execute(sql, [_sqlite_value(p) for p in params]).fetchall()
            return [tuple(_from_sqlite(value) for value in row) for row in rows]
        with psycopg.connect(self.url.replace("postgres://", "postgresql://", 1)) as connection:
            cursor = connection.execute(sql.replace("?", "%s"), params)
            return cursor.fetchall() if cursor.description else []

    def job(self) -> dict[str, Any]:
        names = ["next_run", "last_run", "last_success", "error_count", "ongoing", "first_run"]
        rows = self.query(f"SELECT {', '.join(names)} FROM cron_job WHERE app_name = 'crontest'")
        return dict(zip(names, rows[0], strict=True)) if rows else {}

    def logs(self) -> list[tuple[Any, ...]]:
        return self.query(
            "SELECT run_time, success, exc_type, output FROM cron_log "
            "WHERE app_name = 'crontest' ORDER BY run_time, log_time"
        )


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime.datetime):  # how Django stores aware datetimes in SQLite
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    return value


def _from_sqlite(value: Any) -> Any:
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == " ":
        return datetime.datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        path = tmp_path / "webapp.db"
        yield Database(f"sqlite://{path}", path)
        return
    server = server_env("DATABASE_URL")["DATABASE_URL"]
    name = f"test_cron_{uuid.uuid4().hex[:12]}"
    admin = server.replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(server)
    yield Database(parts._replace(path=f"/{name}").geturl())
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def env(database: Database, tmp_path: Path) -> dict[str, str]:
    environment = {
        **os.environ,
        "DATA_DIR": str(tmp_path),
        "DATABASE_URL": database.url,
        "WEBAPP_SECRET_KEY": "cron-process-tests-secret-key-long-enough-for-django",
        "DJANGO_SETTINGS_MODULE": "tests.cron_settings",
        "PYTHONPATH": str(ROOT),
    }
    migrate = jansky(environment, "manage", "migrate", "--no-input", "-v", "0")
    assert migrate.returncode == 0, migrate.stderr
    return environment


def jansky(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jansky.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def start(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "jansky.cli", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def now() -> datetime.datetime:
    return datetime.datetime.now(UTC)


def make_due(database: Database, ongoing: datetime.datetime | None) -> None:
    """One interval missed since the last success, and the lock as given."""
    last = now() - HOUR - datetime.timedelta(minutes=1)
    database.query(
        "UPDATE cron_job SET last_success = ?, next_run = ?, ongoing = ?",
        last,
        last + HOUR,
        ongoing,
    )


def test_runners_started_together_never_run_the_job_together(env, database):
    env = {**env, "CRONTEST_ARGS": "--print --sleep 3"}
    runners = [start(env, "cron", "run", "--job", "crontest") for _ in range(3)]
    outputs = [runner.communicate(timeout=120) for runner in runners]

    assert [runner.returncode for runner in runners] == [0, 0, 0], outputs
    summaries = sorted(out.strip().splitlines()[-1].split(":")[1].strip() for out, _ in outputs)
    assert summaries[-1] == "succeeded (1 run)", outputs
    assert all(s in {"locked", "not due"} for s in summaries[:-1]), outputs
    assert len(database.logs()) == 1
    assert database.job()["ongoing"] is None


def test_a_stale_lock_is_taken_over(env, database):
    jansky(env, "cron", "run", "--job", "crontest")
    make_due(database, ongoing=now() - 3 * HOUR)

    result = jansky(env, "cron", "run", "--job", "crontest")

    assert result.returncode == 0 and "crontest: succeeded" in result.stdout, result.stderr
    assert "took over a stale lock" in result.stderr
    assert database.job()["ongoing"] is None and len(database.logs()) == 2


def test_the_lock_age_limit_is_configurable(env, database):
    jansky(env, "cron", "run", "--job", "crontest")
    ten_minutes_ago = now() - datetime.timedelta(minutes=10)
    make_due(database, ongoing=ten_minutes_ago)

    held = jansky(env, "cron", "run", "--job", "crontest")
    assert "crontest: locked" in held.stdout and "running elsewhere" in held.stdout
    assert database.job()["ongoing"] == ten_minutes_ago

    taken = jansky({**env, "CRON_LOCK_MAX_AGE_SECONDS": "300"}, "cron", "run", "--job", "crontest")
    assert "crontest: succeeded" in taken.stdout, taken.stderr
    assert database.job()["ongoing"] is None


def test_missed_intervals_are_backfilled_in_order(env, database):
    jansky(env, "cron", "run", "--job", "crontest")
    last = (now() - 5 * HOUR - datetime.timedelta(minutes=3)).replace(second=0, microsecond=0)
    database.query("DELETE FROM cron_log")
    database.query("UPDATE cron_job SET last_success = ?, next_run = ?", last, last + HOUR)

    result = jansky(env, "cron", "run", "--job", "crontest")

    assert "crontest: succeeded (5 runs)" in result.stdout, result.stderr
    expected = [last + hours * HOUR for hours in range(1, 6)]
    logs = database.logs()
    assert [row[0] for row in logs] == expected
    assert [row[1] for row in logs] == expected  # each a success, at its run time
    stamps = [f"{moment:%Y-%m-%dT%H:%M}" for moment in [last, *expected]]
    assert [row[3].strip() for row in logs] == [
        f"run-time={run} last-success={previous}" for previous, run in itertools.pairwise(stamps)
    ]
    job = database.job()
    assert job["last_success"] == expected[-1] and job["next_run"] > now()


def test_an_error_is_retried_after_the_retry_time(env, database):
    env = {**env, "CRON_ERROR_RETRY_SECONDS": "3"}
    failed = jansky({**env, "CRONTEST_ARGS": "--crash"}, "cron", "run", "--job", "crontest")
    failed_at = now()
    assert failed.returncode == 1 and "crontest: failed" in failed.stdout
    assert "CrontestFailure" in failed.stdout
    job = database.job()
    assert job["error_count"] == 1 and job["last_success"] is None
    assert (
        failed_at - datetime.timedelta(seconds=10)
        < job["next_run"] - datetime.timedelta(seconds=3)
        <= failed_at
    )

    early = jansky(env, "cron", "run", "--job", "crontest")
    if job["next_run"] > now():  # the retry time may have passed during start-up
        assert "crontest: not due" in early.stdout
    while now() <= job["next_run"]:
        time.sleep(0.2)
    retried = jansky(env, "cron", "run", "--job", "crontest")
    assert "crontest: succeeded" in retried.stdout + early.stdout, retried.stderr
    job = database.job()
    assert job["error_count"] == 0 and job["last_success"] is not None
    assert [row[2] for row in database.logs()] == ["CrontestFailure", None]


def test_force_leaves_the_bookkeeping_alone(env, database):
    jansky(env, "cron", "run", "--job", "crontest")
    before, logs = database.job(), database.logs()

    forced = jansky(env, "cron", "run", "--job", "crontest", "--force", "--job-arg", "print")
    failed = jansky(env, "cron", "run", "--job", "crontest", "--force", "--job-arg", "crash")

    assert "crontest: succeeded" in forced.stdout and "run-time=" in forced.stderr
    assert failed.returncode == 1 and "CrontestFailure" in failed.stdout
    assert database.job() == before and database.logs() == logs


def test_the_loop_stops_cleanly_on_sigterm(env, database):
    env = {**env, "CRONTEST_ARGS": "--sleep 3", "CRON_LOOP_SECONDS": "1"}
    loop = start(env, "cron")
    deadline = time.monotonic() + 60
    while not database.job().get("ongoing"):
        assert loop.poll() is None and time.monotonic() < deadline, loop.communicate()
        time.sleep(0.1)

    loop.send_signal(signal.SIGTERM)
    _, err = loop.communicate(timeout=60)

    assert loop.returncode == 0, err
    assert "stopping after the job under way" in err and "cron loop stopped" in err
    job = database.job()
    assert job["ongoing"] is None and job["error_count"] == 0 and job["last_success"]
    assert [row[1] is not None for row in database.logs()] == [True]
