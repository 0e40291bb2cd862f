"""The long-lived stackwalker (``jansky-stackwalker``) as a child process of the processor.

One service process walks the minidumps of every worker thread, several at once, and keeps the
symbol files it parsed in memory. Requests and answers are frames on its stdin and stdout (a
little-endian ``u32`` length, a ``u32`` header length, a JSON header, then a body; see
``stackwalker/src/protocol.rs``); each answer names its request, so answers can come in any order
and one walk's failure touches no other answer.

What can go wrong with a shared process, and what happens then:

- a walk takes longer than its time limit: the service is killed (a stuck walk cannot be
  stopped inside it); that walk fails as a *suspect*, the others in flight on it fail as
  innocent and may be sent again to the new service;
- the service dies on its own (a crash, an abort, a stack overflow) or grows past its memory
  limit: every walk in flight fails as a suspect, since any of them may be the cause;
- the next request starts a new service.

What to do with a failed walk (walk it again in a one-shot ``minidump-stackwalk``) is the
caller's business: :mod:`processor.service_stackwalker`.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import re
import signal
import struct
import subprocess
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO

from jansky.fileio import write_all
from processor.metrics import METRICS
from processor.stackwalker import StackwalkerUnavailable, program_version

logger = logging.getLogger(__name__)

_LENGTH = struct.Struct("<I")
MAX_ANSWER_BYTES = 1 << 30  # a larger frame means the stream is corrupt
MEMORY_CHECK_SECONDS = 0.5
CLOSE_GRACE_SECONDS = 5.0
_RELEASE = re.compile(r"rust-minidump (\d+\.\d+\.\d+)\)|^minidump-stackwalk (\d+\.\d+\.\d+)")


class ServiceUnavailable(StackwalkerUnavailable):
    """The service binary is missing or does not run: the processor cannot start."""


class ServiceFailure(Exception):
    """A request got no answer: the service died or was killed while it was in flight.

    ``suspect`` is True when this request may be what broke the service (it timed out, or the
    service died with it in flight); False when the service was killed for another request's
    sake, so sending it again is safe.
    """

    def __init__(self, reason: str, suspect: bool, kind: str = "died") -> None:
        super().__init__(reason)
        self.reason = reason
        self.suspect = suspect
        self.kind = kind  # timeout, memory or died


@dataclass(frozen=True)
class Answer:
    """One answer: how the request ended, and minidump-stackwalk's exit code, stdout and log."""

    outcome: str
    exit_code: int
    output: bytes
    log: bytes
    message: str | None = None
    stats: dict[str, Any] | None = None
    symbols: dict[str, int] | None = None  # a walk's modules by where their symbols came from


@dataclass(frozen=True)
class ServiceSettings:
    """How to run the service."""

    path: str
    cache_size: int
    max_memory: int
    max_walks: int = 4
    threads: int = 0  # 0: one per core

    def command(self) -> list[str]:
        args = [
            self.path,
            f"--cache-size={self.cache_size}",
            f"--max-walks={self.max_walks}",
        ]
        if self.threads:
            args.append(f"--threads={self.threads}")
        return args


def service_version(path: str) -> str:
    """``jansky-stackwalker X (rust-minidump Y)``; ServiceUnavailable if it does not run."""
    return program_version(
        path,
        "the stackwalker service",
        "build it with `bin/provision stackwalker`, or set STACKWALKER_MODE=process",
        ServiceUnavailable,
    )


def rust_minidump_release(version: str) -> str | None:
    """The rust-minidump release in a ``--version`` line of either program, if any."""
    match = _RELEASE.search(version)
    if not match:
        return None
    return match.group(1) or match.group(2)


def _frame(header: Mapping[str, Any], body: bytes) -> bytes:
    encoded = json.dumps(header, separators=(",", ":")).encode()
    return b"".join(
        [_LENGTH.pack(4 + len(encoded) + len(body)), _LENGTH.pack(len(encoded)), encoded, body]
    )


def _read_exact(stream: BinaryIO, size: int) -> bytes | None:
    data = stream.read(size)
    return data if data is not None and len(data) == size else None


def resident_bytes(pid: int) -> int:
    """The resident set size of ``pid`` in bytes (0 if it cannot be read)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def peak_resident_bytes(pid: int) -> int:
    """The largest resident set size ``pid`` had (VmHWM), in bytes (0 if unknown)."""
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _wait_for_exit(pid: int) -> None:
    """Block until child ``pid`` has exited, leaving it unreaped so its pid stays taken."""
    with contextlib.suppress(ChildProcessError):
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)


class _Pending:
    """A request waiting for its answer."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.answer: Answer | None = None
        self.failure: ServiceFailure | None = None

    def settle(self, answer: Answer | None = None, failure: ServiceFailure | None = None) -> None:
        self.answer, self.failure = answer, failure
        self.done.set()

    def result(self) -> Answer:
        self.done.wait()
        if self.failure is not None:
            raise self.failure
        assert self.answer is not None
        return self.answer


class _Instance:
    """One running service process and the requests in flight on it."""

    def __init__(self, settings: ServiceSettings) -> None:
        try:
            self.process = subprocess.Popen(
                settings.command(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            raise ServiceUnavailable(
                f"cannot start the stackwalker service {settings.path!r}: {exc}"
            ) from exc
        self.pid = self.process.pid
        self.peak_memory = 0
        self._pending: dict[int, _Pending] = {}
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._kill_reason: tuple[int | None, str, str] | None = None
        self._reaped = False
        self.alive = True
        self._reader = threading.Thread(
            target=self._read_answers, name=f"stackwalker-service-{self.pid}", daemon=True
        )
        self._reader.start()

    def send(self, request_id: int, header: Mapping[str, Any], body: bytes) -> _Pending:
        pending = _Pending()
        with self._lock:
            if not self.alive:
                raise ServiceFailure("the stackwalker service had stopped", suspect=False)
            self._pending[request_id] = pending
        frame = _frame({"id": request_id, **header}, body)
        try:
            with self._write_lock:
                assert self.process.stdin is not None
                write_all(self.process.stdin.fileno(), frame)
        except OSError as exc:
            # It died before reading this request: the request cannot be what killed it.
            with self._lock:
                self._pending.pop(request_id, None)
                self.alive = False
            raise ServiceFailure(f"the stackwalker service was gone ({exc})", False) from exc
        return pending

    def in_flight(self) -> int:
        with self._lock:
            return len(self._pending)

    def kill(self, culprit: int | None, reason: str, kind: str = "died") -> None:
        """Kill the process; in-flight requests fail (see :class:`ServiceFailure`)."""
        self.peak_memory = max(self.peak_memory, peak_resident_bytes(self.pid))
        with self._lock:
            if self._kill_reason is None:
                self._kill_reason = (culprit, reason, kind)
            # Once reaped, the pid (and its group id) may belong to a stranger: never signal it.
            if not self._reaped:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.pid, signal.SIGKILL)

    def close(self) -> None:
        """Stop taking requests; the service exits at the end of its input."""
        with self._lock:
            self.alive = False
        self.peak_memory = max(self.peak_memory, peak_resident_bytes(self.pid))
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        # The reader thread alone reaps the process (see `_stopped`).
        self._reader.join(CLOSE_GRACE_SECONDS)
        if self._reader.is_alive():
            self.kill(None, "closed")
            self._reader.join(CLOSE_GRACE_SECONDS)

    def _read_answers(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        problem = ""
        while True:
            length = _read_exact(stream, 4)
            if length is None:
                break
            size = _LENGTH.unpack(length)[0]
            payload = _read_exact(stream, size) if 4 <= size <= MAX_ANSWER_BYTES else None
            if payload is None:
                problem = f"a broken answer frame ({size} bytes announced)"
                break
            try:
                request_id, answer = self._decode(payload)
            except (ValueError, KeyError, TypeError) as exc:
                problem = f"an unreadable answer ({exc})"
                break
            with self._lock:
                pending = self._pending.pop(request_id, None)
            if pending is None:
                problem = f"an answer to request {request_id}, which is not in flight"
                break
            pending.settle(answer=answer)
        self._stopped(problem)

    @staticmethod
    def _decode(payload: bytes) -> tuple[int, Answer]:
        header_size = _LENGTH.unpack_from(payload)[0]
        header = json.loads(payload[4 : 4 + header_size])
        body = payload[4 + header_size :]
        log_size = int(header["log_len"])
        if not 0 <= log_size <= len(body):
            raise ValueError(f"a log of {log_size} bytes in a body of {len(body)}")
        answer = Answer(
            outcome=str(header["outcome"]),
            exit_code=int(header["exit_code"]),
            output=body[log_size:],
            log=body[:log_size],
            message=header.get("message"),
            stats=header.get("stats"),
            symbols=header.get("symbols"),
        )
        return int(header["id"]), answer

    def _stopped(self, problem: str) -> None:
        """The answer stream ended: fail whatever is still in flight, and reap the process."""
        if problem:
            logger.error("stackwalker service %d sent %s; killing it", self.pid, problem)
            self.kill(None, problem)
        self.peak_memory = max(self.peak_memory, peak_resident_bytes(self.pid))
        _wait_for_exit(self.pid)
        with self._lock:
            self._reaped = True
            code = self.process.wait()
            self.alive = False
            pending, self._pending = self._pending, {}
            culprit, reason, kind = self._kill_reason or (None, "", "died")
        if not reason:
            reason = f"the stackwalker service exited with {code}"
            if pending:
                logger.error("%s with %d walks in flight", reason, len(pending))
        for request_id, waiting in pending.items():
            innocent = culprit is not None and request_id != culprit
            waiting.settle(failure=ServiceFailure(reason, suspect=not innocent, kind=kind))


class StackwalkerService:
    """The service seen by the processor's threads: requests, time limits, memory, restarts."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self.restarts = 0
        self._instance: _Instance | None = None
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._closed = threading.Event()
        self._peak_memory = 0
        self._watchdog: threading.Thread | None = None

    def _current(self) -> _Instance:
        with self._lock:
            if self._closed.is_set():
                raise ServiceFailure("the stackwalker service is closed", suspect=False)
            instance = self._instance
            if instance is not None and instance.alive:
                return instance
            if instance is not None:
                self._peak_memory = max(self._peak_memory, instance.peak_memory)
                self.restarts += 1
                METRICS.incr("stackwalker_service.restart")
                logger.warning("restarting the stackwalker service (restart %d)", self.restarts)
            self._instance = instance = _Instance(self.settings)
            if self.settings.max_memory and self._watchdog is None:
                self._watchdog = threading.Thread(
                    target=self._watch_memory, name="stackwalker-service-memory", daemon=True
                )
                self._watchdog.start()
            return instance

    def request(self, header: Mapping[str, Any], body: bytes, timeout: float) -> Answer:
        """Send one request and wait for its answer, at most ``timeout`` seconds."""
        instance = self._current()
        request_id = next(self._ids)
        pending = instance.send(request_id, header, body)
        if not pending.done.wait(timeout):
            logger.error(
                "stackwalker service %d: no answer to request %d in %g s; killing it",
                instance.pid,
                request_id,
                timeout,
            )
            instance.kill(request_id, f"no answer within the time limit ({timeout:g} s)", "timeout")
        return pending.result()

    def stats(self) -> dict[str, Any]:
        """The service's symbol cache counters and memory (starts it if needed)."""
        answer = self.request({"op": "stats"}, b"", 30.0)
        return dict(answer.stats or {})

    def peak_memory(self) -> int:
        """The largest resident size any of this service's processes reached, in bytes."""
        instance = self._instance
        current = 0
        if instance is not None:
            current = max(instance.peak_memory, peak_resident_bytes(instance.pid))
        return max(self._peak_memory, current)

    @property
    def pid(self) -> int | None:
        instance = self._instance
        return instance.pid if instance is not None and instance.alive else None

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            instance, self._instance = self._instance, None
        if instance is not None:
            instance.close()
            self._peak_memory = max(self._peak_memory, instance.peak_memory)
        if self._watchdog is not None:
            self._watchdog.join(MEMORY_CHECK_SECONDS * 4)

    def _watch_memory(self) -> None:
        """Kill a service that grew past ``max_memory`` (its cache is bounded; a walk is not)."""
        limit = self.settings.max_memory
        while not self._closed.wait(MEMORY_CHECK_SECONDS):
            instance = self._instance
            if instance is None or not instance.alive or not instance.in_flight():
                continue
            resident = resident_bytes(instance.pid)
            if resident > limit:
                logger.error(
                    "stackwalker service %d uses %d bytes, over its limit of %d; killing it",
                    instance.pid,
                    resident,
                    limit,
                )
                instance.kill(
                    None, f"the stackwalker service went over {limit} bytes of memory", "memory"
                )
