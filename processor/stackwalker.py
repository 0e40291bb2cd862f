"""Run minidump-stackwalk on one minidump, as a subprocess with a kill timeout.

A subprocess, because a malformed minidump that hangs or crashes the stackwalker must not take
the processor down. The stackwalker's JSON is kept unchanged; the status comes from its
``status`` field, or from the first ``ERROR <Name>`` line of its log when it gave up.
"""

from __future__ import annotations

import functools
import json
import logging
import shutil
import signal
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jansky import fastjson
from processor.child_process import TIMEOUT_RETURN_CODE, run_captured

logger = logging.getLogger(__name__)

LOG_TAIL_LINES = 10
EMPTY_STATUS = "EmptyMinidump"
EMPTY_STDERR = "Shortcut for 0-bytes minidump."
UNKNOWN_STATUS = "unknown error"
VERSION_SIDECAR_SUFFIX = ".version.json"
EVIL_JSON_FROM_STDIN = "/dev/stdin"


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
        version = program_version(
            self.path,
            "the stackwalker",
            "install it with `bin/provision`, or set STACKWALKER_PATH to a working binary",
        )
        build = read_build_sidecar(Path(shutil.which(self.path) or self.path))
        return f"{version} ({build})" if build else version

    def command(self, dump_path: Path, evil_json: bool = False) -> list[str]:
        """The argument list (run without a shell), in Socorro's order.

        Unlike Socorro's, it has no ``--output-file`` or ``--log-file``, and ``--evil-json``
        reads stdin: the raw crash goes in through stdin and the JSON and the log come out
        through stdout and stderr (memory files, see :mod:`processor.child_process`), so a
        crash costs no working files on disk. minidump-stackwalk also writes an output file
        unbuffered, one system call per JSON token, while its stdout is buffered.
        """
        args = [self.path]
        if evil_json:
            args.append(f"--evil-json={EVIL_JSON_FROM_STDIN}")
        if self.symbols_cache_path is not None:
            args.append(f"--symbols-cache={self.symbols_cache_path}")
        if self.symbols_tmp_path is not None:
            args.append(f"--symbols-tmp={self.symbols_tmp_path}")
        args.append("--no-color")
        args += [f"--symbols-url={url}" for url in self.symbols_urls]
        args += [f"--symbols-path={path}" for path in self.symbols_paths]
        args += ["--json", "--verbose=error", *self.extra_args, str(dump_path)]
        return args

    def run(self, dump_path: Path, name: str, evil_json: bytes | None = None) -> StackwalkResult:
        """Walk ``dump_path`` (``name`` labels notes); ``evil_json`` is the raw crash JSON."""
        if dump_path.stat().st_size == 0:
            return empty_dump_result(name)
        self.make_symbol_directories()
        args = self.command(dump_path, evil_json=evil_json is not None)
        return interpret(*run_captured(args, evil_json or b"", self.kill_timeout))

    def make_symbol_directories(self) -> None:
        """The symbols cache and staging folders, which the stackwalker wants to exist."""
        for directory in (self.symbols_cache_path, self.symbols_tmp_path):
            if directory is not None:
                _make_directory(directory)

    def close(self) -> None:
        """Nothing to release: each run is its own process."""


def empty_dump_result(name: str) -> StackwalkResult:
    """A 0-byte minidump is not walked (Socorro's shortcut)."""
    return StackwalkResult(
        json_dump={},
        return_code=0,
        status=EMPTY_STATUS,
        stderr=EMPTY_STDERR,
        notes=[f"{name}: minidump is empty (0 bytes); stackwalker not run"],
    )


def program_version(
    path: str, label: str, hint: str, unavailable: type[StackwalkerUnavailable] | None = None
) -> str:
    """The output of ``path --version``; ``unavailable`` (StackwalkerUnavailable by default),
    ending with ``hint``, when the program does not run."""
    error = unavailable or StackwalkerUnavailable
    try:
        completed = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise error(f"cannot run {label} {path!r}: {exc}; {hint}") from exc
    if completed.returncode != 0:
        raise error(
            f"{path} --version exited with {completed.returncode}: "
            f"{completed.stderr.strip()[:200]}; {hint}"
        )
    return completed.stdout.strip()


@functools.cache
def _make_directory(path: Path) -> None:
    """Create a symbols folder once per process (the stackwalker wants it to exist)."""
    path.mkdir(parents=True, exist_ok=True)


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


def log_tail(log: bytes) -> str:
    """The log, or ``...`` and its last lines when it is long."""
    lines = log.decode("utf-8", errors="replace").rstrip("\n").splitlines()
    if len(lines) > LOG_TAIL_LINES:
        return "\n".join(["...", *lines[-LOG_TAIL_LINES:]])
    return "\n".join(lines)


def interpret(return_code: int, output: bytes, log: bytes) -> StackwalkResult:
    """Turn the exit code, JSON output and log into a result with status and notes."""
    notes: list[str] = []
    stderr = log_tail(log)
    json_dump: dict[str, Any] = {}
    if return_code == 0:
        json_dump = _parse_output(output, notes)
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


def _parse_output(output: bytes, notes: list[str]) -> dict[str, Any]:
    try:
        data = fastjson.decode(output)
    except (ValueError, RecursionError) as exc:
        notes.append(f"minidump-stackwalk: non-json output: {type(exc).__name__}")
        return {}
    if not isinstance(data, dict):
        notes.append(f"minidump-stackwalk: output is a JSON {type(data).__name__}, not an object")
        return {}
    return data
