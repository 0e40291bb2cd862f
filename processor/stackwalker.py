"""Run minidump-stackwalk on one minidump, as a subprocess with a kill timeout.

A subprocess, because a malformed minidump that hangs or crashes the stackwalker must not take
the processor down. The stackwalker's JSON is kept unchanged; the status comes from its
``status`` field, or from the first ``ERROR <Name>`` line of its log when it gave up.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

LOG_TAIL_LINES = 10
EMPTY_STATUS = "EmptyMinidump"
EMPTY_STDERR = "Shortcut for 0-bytes minidump."
UNKNOWN_STATUS = "unknown error"
TIMEOUT_RETURN_CODE = -9
VERSION_SIDECAR_SUFFIX = ".version.json"


class StackwalkerUnavailable(RuntimeError):
    """The stackwalker binary is missing or does not run; the processor cannot start."""


@dataclass
class StackwalkResult:
    """What one stackwalker run produced."""

    json_dump: dict[str, Any]
    return_code: int
    status: str
    stderr: str
    notes: list[str] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return self.status == "OK"


@dataclass(frozen=True)
class Stackwalker:
    """How to invoke minidump-stackwalk: binary, symbol sources, caches and timeout."""

    path: str
    symbols_urls: Sequence[str] = ()
    symbols_paths: Sequence[str] = ()
    symbols_cache_path: Path | None = None
    symbols_tmp_path: Path | None = None
    kill_timeout: float = 120.0
    extra_args: Sequence[str] = ()

    def version(self) -> str:
        """``--version`` output, plus ``(<date> <sha[:8]>)`` from the binary's build sidecar.

        The sidecar ``<binary>.version.json`` (``{"sha": ..., "date": ...}``) tells builds of
        the same release apart. Raises StackwalkerUnavailable if the binary does not run.
        """
        try:
            completed = subprocess.run(
                [self.path, "--version"], capture_output=True, text=True, timeout=30, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise StackwalkerUnavailable(
                f"cannot run the stackwalker {self.path!r}: {exc}; install it with "
                "`bin/provision` or set STACKWALKER_PATH"
            ) from exc
        if completed.returncode != 0:
            raise StackwalkerUnavailable(
                f"{self.path} --version exited with {completed.returncode}: "
                f"{completed.stderr.strip()[:200]}; set STACKWALKER_PATH to a working binary"
            )
        version = completed.stdout.strip()
        build = read_build_sidecar(Path(shutil.which(self.path) or self.path))
        return f"{version} ({build})" if build else version

    def command(
        self, dump_path: Path, output_path: Path, log_path: Path, evil_json: Path | None
    ) -> list[str]:
        """The argument list (run without a shell), in Socorro's order."""
        args = [self.path]
        if evil_json is not None:
            args.append(f"--evil-json={evil_json}")
        if self.symbols_cache_path is not None:
            args.append(f"--symbols-cache={self.symbols_cache_path}")
        if self.symbols_tmp_path is not None:
            args.append(f"--symbols-tmp={self.symbols_tmp_path}")
        args += ["--no-color", f"--output-file={output_path}", f"--log-file={log_path}"]
        args += [f"--symbols-url={url}" for url in self.symbols_urls]
        args += [f"--symbols-path={path}" for path in self.symbols_paths]
        args += ["--json", "--verbose=error", *self.extra_args, str(dump_path)]
        return args

    def run(
        self, dump_path: Path, work_dir: Path, name: str, evil_json: Path | None = None
    ) -> StackwalkResult:
        """Walk ``dump_path``; output and log files are ``<work_dir>/<name>.json|.log``."""
        if dump_path.stat().st_size == 0:
            return StackwalkResult(
                json_dump={},
                return_code=0,
                status=EMPTY_STATUS,
                stderr=EMPTY_STDERR,
                notes=[f"{name}: minidump is empty (0 bytes); stackwalker not run"],
            )
        for directory in (self.symbols_cache_path, self.symbols_tmp_path):
            if directory is not None:
                directory.mkdir(parents=True, exist_ok=True)
        output_path = work_dir / f"{name}.json"
        log_path = work_dir / f"{name}.log"
        args = self.command(dump_path, output_path, log_path, evil_json)
        return_code = self._execute(args)
        return interpret(return_code, output_path, log_path)

    def _execute(self, args: list[str]) -> int:
        """Run to completion or kill the whole process group at the timeout (code -9).

        A timer does the killing, so that the wait itself blocks in the kernel: Popen.wait with
        a timeout polls with sleeps, which adds tens of milliseconds to every run.
        """
        process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)

        timer = threading.Timer(self.kill_timeout, kill)
        timer.daemon = True
        timer.start()
        try:
            return_code = process.wait()
        except BaseException:
            kill()
            process.wait()
            raise
        finally:
            timer.cancel()
        return TIMEOUT_RETURN_CODE if timed_out.is_set() else return_code


def read_build_sidecar(binary: Path) -> str:
    """``<date> <sha[:8]>`` from ``<binary>.version.json``, or "" when there is none.

    A sidecar that cannot be read is logged and ignored: it only decorates the version.
    """
    sidecar = binary.with_name(f"{binary.name}{VERSION_SIDECAR_SUFFIX}")
    if not sidecar.is_file():
        return ""
    try:
        data = json.loads(sidecar.read_bytes())
    except (OSError, ValueError, RecursionError) as exc:
        logger.warning("ignoring unreadable stackwalker version file %s: %s", sidecar, exc)
        return ""
    data = data if isinstance(data, dict) else {}
    date, sha = data.get("date"), data.get("sha")
    parts = [
        part.strip()
        for part in (date, sha[:8] if isinstance(sha, str) else None)
        if isinstance(part, str) and part.strip()
    ]
    if not parts:
        logger.warning("ignoring stackwalker version file %s: no date or sha strings", sidecar)
    return " ".join(parts)


def read_log_tail(log_path: Path) -> str:
    """The log, or ``...`` and its last lines when it is long."""
    try:
        text = log_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    lines = text.rstrip("\n").splitlines()
    if len(lines) > LOG_TAIL_LINES:
        return "\n".join(["...", *lines[-LOG_TAIL_LINES:]])
    return "\n".join(lines)


def interpret(return_code: int, output_path: Path, log_path: Path) -> StackwalkResult:
    """Turn the exit code, output file and log into a result with status and notes."""
    notes: list[str] = []
    stderr = read_log_tail(log_path)
    json_dump: dict[str, Any] = {}
    if return_code == 0:
        json_dump = _read_output(output_path, notes)
    status = json_dump.get("status")
    if not isinstance(status, str) or not status:
        status = UNKNOWN_STATUS
    if stderr.startswith("ERROR") and status in ("OK", UNKNOWN_STATUS):
        parts = stderr.split(" ")
        if len(parts) > 1 and parts[1]:
            status = parts[1].splitlines()[0]
            notes.append("stackwalker had an error; stomped on mdsw_status_string")
    if return_code == TIMEOUT_RETURN_CODE:
        notes.append("minidump-stackwalk: timeout (SIGKILL)")
    elif return_code == -signal.SIGABRT:
        notes.append("minidump-stackwalk: timeout (SIGABRT)")
    elif return_code != 0 or status != "OK":
        notes.append(f"minidump-stackwalk: failed: {return_code}: {status}")
    return StackwalkResult(json_dump, return_code, status, stderr, notes)


def _read_output(output_path: Path, notes: list[str]) -> dict[str, Any]:
    try:
        data = json.loads(output_path.read_bytes())
    except (OSError, ValueError, RecursionError) as exc:
        notes.append(f"minidump-stackwalk: non-json output: {type(exc).__name__}")
        return {}
    if not isinstance(data, dict):
        notes.append(f"minidump-stackwalk: output is a JSON {type(data).__name__}, not an object")
        return {}
    return data
