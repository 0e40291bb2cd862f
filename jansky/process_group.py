"""Child processes run in the foreground together, with one log stream labelled by process.

Each child gets a process group of its own, so a Ctrl-C in the terminal reaches only the parent,
which then stops the children: each gets SIGTERM, its graceful signal (gunicorn and the processor
finish what they hold), and what is left of a child's group after the grace period is killed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TextIO

COLOURS = ("36", "33", "35", "32", "34", "31")


@dataclass
class Child:
    """One running child; ``lines_seen`` holds the wanted markers its output has printed."""

    name: str
    process: subprocess.Popen[bytes]
    wanted: tuple[str, ...] = ()
    lines_seen: set[str] = field(default_factory=set)
    reader: threading.Thread | None = None


class ProcessGroup:
    """Starts children, copies their output to one stream with a label each, stops them."""

    def __init__(self, out: TextIO | None = None, colour: bool | None = None) -> None:
        self.out = out or sys.stdout
        self.colour = self.out.isatty() if colour is None else colour
        self.children: list[Child] = []
        self.width = 0
        self._lock = threading.RLock()  # re-entered when Ctrl-C lands inside say()

    def start(
        self,
        name: str,
        argv: Sequence[str],
        env: Mapping[str, str],
        wanted_lines: Sequence[str] = (),
    ) -> Child:
        """Start ``argv``; its output lines (stdout and stderr) are printed as ``name | line``."""
        process = subprocess.Popen(
            list(argv),
            env={**env, "PYTHONUNBUFFERED": "1"},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            process_group=0,
        )
        child = Child(name, process, tuple(wanted_lines))
        self.children.append(child)
        self.width = max(self.width, len(name))
        child.reader = threading.Thread(
            target=self._copy, args=(child,), name=f"log-{name}", daemon=True
        )
        child.reader.start()
        return child

    def say(self, text: str) -> None:
        """Print the parent's own lines on the same stream, never inside a child's line."""
        with self._lock:
            self.out.write(text if text.endswith("\n") else text + "\n")
            self.out.flush()

    def _label(self, child: Child) -> str:
        label = child.name.ljust(self.width)
        if not self.colour:
            return f"{label} | "
        index = self.children.index(child) % len(COLOURS)
        return f"\x1b[{COLOURS[index]}m{label} |\x1b[0m "

    def _copy(self, child: Child) -> None:
        assert child.process.stdout is not None
        for raw in iter(child.process.stdout.readline, b""):
            line = raw.decode(errors="replace").rstrip("\n")
            for marker in child.wanted:
                if marker in line:
                    child.lines_seen.add(marker)
            self.say(f"{self._label(child)}{line}")

    def exited(self) -> Child | None:
        """The first child found to have exited, if any (not reaped yet: see ``stop``)."""
        for child in self.children:
            if _has_exited(child.process):
                return child
        return None

    def wait_for_exit(self, poll_seconds: float = 0.2) -> Child:
        """Block until a child exits and return it."""
        while True:
            child = self.exited()
            if child is not None:
                return child
            time.sleep(poll_seconds)

    def stop(self, grace_seconds: float = 30.0) -> None:
        """SIGTERM every child at once, wait up to the grace period, then SIGKILL their groups.

        A child is reaped only after its group was killed: until then its pid, which is the
        group's id, cannot be given to another process, so the kill cannot reach a stranger.
        """
        running = [child for child in self.children if not _has_exited(child.process)]
        if running:
            self.say(f"stopping {', '.join(child.name for child in running)}")
        for child in running:
            _signal(child.process.pid, signal.SIGTERM, group=False)
        deadline = time.monotonic() + grace_seconds
        for child in self.children:
            while not _has_exited(child.process) and time.monotonic() < deadline:
                time.sleep(0.1)
            if not _has_exited(child.process):
                self.say(f"{child.name} did not stop within {grace_seconds:g} s; killing it")
            # Whatever the child left behind in its group (workers, helpers) goes too.
            if child.process.returncode is None:
                _signal(child.process.pid, signal.SIGKILL, group=True)
            child.process.wait()
            if child.reader is not None:
                child.reader.join(timeout=5)


def _has_exited(process: subprocess.Popen[bytes]) -> bool:
    """Whether the child has exited, leaving it unreaped (a zombie holding its pid)."""
    if process.returncode is not None:
        return True
    try:
        return os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _signal(pid: int, signum: int, group: bool) -> None:
    try:
        if group:
            os.killpg(pid, signum)
        else:
            os.kill(pid, signum)
    except ProcessLookupError:
        pass
