"""Whole Jansky stacks as local processes: docker-compose.yml's services on the local real
servers, and `jansky run` on the embedded default.

Compose: each service runs its compose command with its compose environment. What changes, and
only that: the backends' host names point at the servers `make services` started
(`var/services.env`); every run gets a bucket prefix, queue prefix, index name and PostgreSQL
database of its own (other developers test against the same servers); servers bind loopback on a
free port instead of `0.0.0.0`; and `DATA_DIR` is a temporary folder instead of the image's
`/app/var`. Extra variables a caller adds (say, `PROCESSOR_THREADS`) are on top.
"""

from __future__ import annotations

import os
import re
import sys
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

import psycopg

from jansky.commands.run import (
    CRON_READY_LINE,
    PROCESSOR_READY_LINE,
    READY_BANNER,
    Component,
    wait_until_ready,
)
from jansky.process_group import ProcessGroup
from tests.deployment import environment_of, jansky_services, load_compose, parse_jansky
from tests.live import free_port

SETUP = "setup"
STARTUP_SECONDS = 180.0
# What the services that serve no HTTP log once they work (as `jansky run` waits for them).
READY_LINES = {"processor": PROCESSOR_READY_LINE, "cron": CRON_READY_LINE}
# The variable of var/services.env whose URL says where each compose backend runs locally.
LOCAL_ENDPOINTS = {
    "minio": "AWS_ENDPOINT_URL_S3",
    "elasticmq": "AWS_ENDPOINT_URL_SQS",
    "opensearch": "SEARCH_URL",
    "elasticsearch": "ELASTICSEARCH_URL",
    "postgres": "DATABASE_URL",
}


def local_address(services_env: Mapping[str, str], key: str) -> str:
    """``host:port`` of the local server named by a services.env URL."""
    parts = urlsplit(services_env[key].partition("+")[2] or services_env[key])
    return f"{parts.hostname}:{parts.port}"


def localized(
    value: str, services_env: Mapping[str, str], compose_services: Mapping[str, object]
) -> str:
    """``value`` with each ``service:port`` of the stack replaced by its local server."""

    def replace(match: re.Match[str]) -> str:
        return local_address(services_env, LOCAL_ENDPOINTS[match[1]])

    names = "|".join(re.escape(name) for name in LOCAL_ENDPOINTS if name in compose_services)
    return re.sub(rf"(?<![\w.-])({names}):\d+", replace, value)


@dataclass
class Isolation:
    """Names of this run's own bucket prefix, queues, indices and database."""

    token: str = field(default_factory=lambda: uuid.uuid4().hex[:10])

    @property
    def prefix(self) -> str:
        return f"jansky-stack-{self.token}-"

    @property
    def database(self) -> str:
        return f"jansky_stack_{self.token}"

    def overrides(self, env: Mapping[str, str], data_dir: Path) -> dict[str, str]:
        database = urlsplit(env["DATABASE_URL"])
        return {
            "STORAGE_URL": f"{env['STORAGE_URL'].rstrip('/')}/{self.prefix}",
            "QUEUE_URL": f"sqs://?prefix={self.prefix}",
            "SEARCH_INDEX_TEMPLATE": f"{self.prefix}%Y%W",
            "DATABASE_URL": database._replace(path=f"/{self.database}").geturl(),
            "DATA_DIR": str(data_dir),
        }


@dataclass(frozen=True)
class StackService:
    """One compose service: its `jansky` command (as `jansky run` starts one) and environment."""

    component: Component
    env: dict[str, str]
    url: str = ""


def stack_services(
    services_env: Mapping[str, str],
    isolation: Isolation,
    data_dir: Path,
    compose_env: Mapping[str, str] | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> dict[str, StackService]:
    """The Jansky services of docker-compose.yml, localized and isolated (see the module doc)."""
    compose = load_compose(compose_env)
    services = {}
    for name, service in jansky_services(compose).items():
        env = {
            key: localized(value, services_env, compose["services"])
            for key, value in environment_of(service).items()
        }
        env.update(isolation.overrides(env, data_dir))
        env.update(extra_env or {})
        args = list(service["command"])
        url = ""
        bind = getattr(parse_jansky(args), "bind", None)
        if bind:
            port = free_port()
            args[args.index(bind)] = f"127.0.0.1:{port}"
            url = f"http://127.0.0.1:{port}"
        component = Component(
            name,
            tuple(args),
            f"compose service {name}",
            ready_url=f"{url}/__lbheartbeat__" if url else "",
            ready_line=READY_LINES.get(args[0], ""),
        )
        services[name] = StackService(component, env, url)
    return services


def create_database(services_env: Mapping[str, str], name: str) -> None:
    with psycopg.connect(services_env["DATABASE_URL"], autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')


def drop_database(services_env: Mapping[str, str], name: str) -> None:
    with psycopg.connect(services_env["DATABASE_URL"], autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass(frozen=True)
class Stack:
    """Where a running stack takes crash reports and serves Crash Stats, and the environment
    of a `jansky` command run beside it (Crash Stats' settings: its database and backends)."""

    collector: str
    webapp: str
    env: dict[str, str]


def start(group: ProcessGroup, service: StackService) -> None:
    part = service.component
    argv = [sys.executable, "-m", "jansky.cli", *part.args]
    group.start(part.name, argv, service.env, [part.ready_line] if part.ready_line else [])


@contextmanager
def compose_stack(
    services_env: Mapping[str, str],
    data_dir: Path,
    log: TextIO,
    compose_env: Mapping[str, str] | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[Stack]:
    """Run setup to completion, then every other service, as compose would; stop them at the
    end and drop the run's database."""
    isolation = Isolation()
    services = stack_services(services_env, isolation, data_dir, compose_env, extra_env)
    create_database(services_env, isolation.database)
    setup, group = ProcessGroup(log, colour=False), ProcessGroup(log, colour=False)
    try:
        start(setup, services[SETUP])
        ended = setup.wait_for_exit()
        setup.stop()
        if ended.process.returncode != 0:
            raise RuntimeError(f"jansky setup exited with {ended.process.returncode}")
        servers = [service for name, service in services.items() if name != SETUP]
        for service in servers:
            start(group, service)
        if not wait_until_ready(group, [service.component for service in servers], STARTUP_SECONDS):
            raise RuntimeError(f"the services did not all start; their output is in {log.name}")
        webapp = services["webapp"]
        yield Stack(services["collector"].url, webapp.url, webapp.env)
    finally:
        group.stop()
        drop_database(services_env, isolation.database)


@contextmanager
def embedded_stack(
    data_dir: Path, log: TextIO, extra_env: Mapping[str, str] | None = None
) -> Iterator[Stack]:
    """`jansky run` as `make run` starts it, with its own DATA_DIR and ports; the environment of
    this process minus any backend URL (the embedded default) and Django settings module."""
    collector_port, webapp_port = free_port(), free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.endswith("_URL") and key != "DJANGO_SETTINGS_MODULE"
    }
    env.update(
        extra_env or {},
        DATA_DIR=str(data_dir),
        RUN_COLLECTOR_PORT=str(collector_port),
        RUN_WEBAPP_PORT=str(webapp_port),
    )
    group = ProcessGroup(log, colour=False)
    run = Component("run", ("run",), "jansky run", ready_line=READY_BANNER)
    start(group, StackService(run, env))
    try:
        if not wait_until_ready(group, [run], STARTUP_SECONDS):
            raise RuntimeError(f"jansky run did not get ready; its output is in {log.name}")
        yield Stack(f"http://127.0.0.1:{collector_port}", f"http://127.0.0.1:{webapp_port}", env)
    finally:
        group.stop(grace_seconds=90)
