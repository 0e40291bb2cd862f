"""Start, stop and inspect the local real servers as a group: the work behind
`jansky services start|stop|status`, kept apart from argument parsing.
"""

from __future__ import annotations

import socket
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TextIO

from jansky.services import envfile, resources, supervisor
from jansky.services.account import Account, AccountError, ensure_reachable, service_account
from jansky.services.definitions import (
    HOST,
    SERVICE_NAMES,
    NotProvisioned,
    Service,
    all_services,
)
from jansky.services.paths import env_file, services_dir

UP = "up"
DOWN = "down"
NOT_PROVISIONED = "not provisioned"


class ServicesError(RuntimeError):
    """A server could not be started, or the request named something that does not exist."""


def _say(message: str, stream: TextIO | None = None) -> None:
    print(f"[services] {message}", file=stream or sys.stdout, flush=True)


def select(names: Sequence[str]) -> list[Service]:
    """The servers called ``names`` (all of them when empty), in start order."""
    unknown = sorted(set(names) - set(SERVICE_NAMES))
    if unknown:
        raise ServicesError(
            f"unknown server(s) {', '.join(unknown)}: choose from {', '.join(SERVICE_NAMES)}"
        )
    services = all_services()
    return [s for s in services if s.name in names] if names else services


def is_installed(service: Service) -> bool:
    try:
        service.check_installed()
    except NotProvisioned:
        return False
    return True


@dataclass(frozen=True)
class Status:
    service: Service
    state: str
    pid: int | None


def status_of(service: Service) -> Status:
    pid = supervisor.running_pid(service.paths.pid_file, service.process_marker)
    if service.is_healthy():
        return Status(service, UP, pid)
    if not is_installed(service):
        return Status(service, NOT_PROVISIONED, None)
    return Status(service, DOWN, pid)


def port_in_use(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1.0):
            return True
    except OSError:
        return False


def write_environment() -> dict[str, str]:
    """Rewrite ``var/services.env`` for the servers that answer now (remove it if none does)."""
    up = [s for s in all_services() if s.is_healthy()]
    path = env_file()
    if not up:
        path.unlink(missing_ok=True)
        return {}
    env = envfile.services_environment(up)
    envfile.write(path, env)
    return env


def _check_installed(services: list[Service], explicit: bool) -> list[Service]:
    """The servers to start; optional ones left out when absent, unless asked for by name."""
    chosen, missing = [], []
    for service in services:
        try:
            service.check_installed()
            chosen.append(service)
        except NotProvisioned as exc:
            if service.optional and not explicit:
                _say(f"{service.name}: not provisioned, skipped ({exc})")
            else:
                missing.append(str(exc))
    if missing:
        raise ServicesError("missing binaries:\n  " + "\n  ".join(missing))
    return chosen


@dataclass
class _Pending:
    service: Service
    pid: int
    deadline: float
    started: float


def _launch(service: Service, timeout: float | None, account: Account | None) -> _Pending:
    launch = service.prepare(account)
    process = supervisor.launch(
        launch.argv,
        cwd=launch.cwd,
        env=launch.env,
        log_file=service.paths.log_file,
        pid_file=service.paths.pid_file,
        process_kwargs=account.process_kwargs() if account else None,
    )
    _say(f"{service.name}: starting (pid {process.pid}, log {service.paths.log_file})")
    now = time.monotonic()
    return _Pending(service, process.pid, now + (timeout or service.start_timeout), now)


def _wait(pending: list[_Pending], poll: Callable[[], None] = lambda: time.sleep(0.5)) -> list[str]:
    """Wait until every pending server is healthy; returns the failures (with log tails shown)."""
    failures = []
    while pending:
        for item in list(pending):
            service = item.service
            reason = None
            if service.is_healthy():
                elapsed = time.monotonic() - item.started
                _say(f"{service.name}: up in {elapsed:.1f}s at {service.endpoint}")
            elif not supervisor.is_alive(item.pid):
                reason = "exited during start-up"
            elif time.monotonic() > item.deadline:
                reason = "was not healthy in time; stopped it"
                supervisor.terminate(item.pid, service.stop_signal, timeout=10)
            else:
                continue
            pending.remove(item)
            if reason:
                service.paths.pid_file.unlink(missing_ok=True)
                failures.append(f"{service.name} {reason}")
                _say(f"{service.name}: FAILED: {reason}; last lines of {service.paths.log_file}:",
                     sys.stderr)  # fmt: skip
                print(supervisor.log_tail(service.paths.log_file), file=sys.stderr, flush=True)
        if pending:
            poll()
    return failures


def start(names: Sequence[str], timeout: float | None = None) -> int:
    """Start the servers (all or ``names``), wait until healthy, create what they must hold."""
    services = _check_installed(select(names), explicit=bool(names))
    try:
        account = service_account()
    except AccountError as exc:
        raise ServicesError(str(exc)) from exc
    root = services_dir()
    root.mkdir(parents=True, exist_ok=True)
    for folder in ensure_reachable(root, account):
        _say(f"let the service user traverse {folder} (added o+x)")

    pending, failures = [], []
    for service in services:
        pid = supervisor.running_pid(service.paths.pid_file, service.process_marker)
        if service.is_healthy():
            _say(f"{service.name}: already running at {service.endpoint}")
        elif pid is not None:
            _say(f"{service.name}: pid {pid} is still starting; waiting for it")
            now = time.monotonic()
            pending.append(_Pending(service, pid, now + (timeout or service.start_timeout), now))
        elif port_in_use(service.port):
            failures.append(f"{service.name}: port {service.port} is used by another program")
            _say(f"{service.name}: FAILED: {HOST}:{service.port} is taken by a program that is "
                 f"not {service.summary}; stop it or free the port", sys.stderr)  # fmt: skip
        else:
            try:
                pending.append(_launch(service, timeout, account))
            except (OSError, RuntimeError) as exc:
                failures.append(f"{service.name}: {exc}")
                _say(f"{service.name}: FAILED to launch: {exc}", sys.stderr)
    failures += _wait(pending)

    for service in services:
        if service.is_healthy():
            try:
                made = resources.prepare(service)
            except resources.SetupError as exc:
                failures.append(str(exc))
                _say(f"{service.name}: FAILED: {exc}", sys.stderr)
            else:
                if made:
                    _say(f"{service.name}: {made} ready")

    env = write_environment()
    _print_summary(env)
    if failures:
        _say(f"{len(failures)} server(s) failed: {'; '.join(failures)}", sys.stderr)
        return 1
    return 0


def _print_summary(env: dict[str, str]) -> None:
    print("\nendpoints:")
    for status in (status_of(s) for s in all_services()):
        print(f"  {status.service.name:<14} {status.state:<16} {status.service.endpoint}")
    if env:
        print(f"\nenvironment (written to {env_file()}; `set -a; . {env_file()}; set +a`):")
        for key, value in env.items():
            print(f"  {key}={value}")


def stop(names: Sequence[str]) -> int:
    """Stop the servers this command started (all or ``names``); others are left alone."""
    for service in select(names):
        pid = supervisor.running_pid(service.paths.pid_file, service.process_marker)
        if pid is not None:
            graceful = supervisor.terminate(pid, service.stop_signal)
            how = "stopped" if graceful else "did not stop in time; killed"
            _say(f"{service.name}: {how} (pid {pid})")
        elif service.is_healthy():
            _say(f"{service.name}: running, but not started by `jansky services`; left alone")
        else:
            _say(f"{service.name}: not running")
        service.paths.pid_file.unlink(missing_ok=True)
    write_environment()
    return 0


def status(names: Sequence[str]) -> int:
    """Print each server's state; 0 when every provisioned one is up, 3 otherwise."""
    all_up = True
    for item in (status_of(s) for s in select(names)):
        pid = str(item.pid) if item.pid else "-"
        print(f"{item.service.name:<14} {item.state:<16} pid {pid:<8} {item.service.endpoint}")
        if item.state == DOWN or (item.state == NOT_PROVISIONED and not item.service.optional):
            all_up = False
    return 0 if all_up else 3
