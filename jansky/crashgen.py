"""crashgen (`crashgen/`, built by `bin/provision crashgen`) from Python: build it, make real
crashes with it, and the annotations a Firefox-style crash reporter would send with each.

crashgen crashes a child process of its own in the way asked, writes the child's minidump with
a real crash handler and prints its path; beside the dump, `<dump>.json` holds what the crashing
program annotated (product, version, the kind of crash, a panic's message, an allocation's size).
`bin/provision crashgen` also makes its Breakpad symbols with `dump_syms`, in the store layout
`jansky symbols upload` sends.
"""

from __future__ import annotations

import datetime
import json
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from jansky.services.paths import REPO_ROOT, cache_dir

PROVISION = REPO_ROOT / "bin" / "provision"
CRASH_SECONDS = 120.0
# What a Firefox-style reporter adds to the program's own annotations (beside the times).
REPORTER_ANNOTATIONS = {"ReleaseChannel": "nightly", "Vendor": "Jansky", "SubmittedFrom": "Auto"}


class CrashgenError(Exception):
    """crashgen cannot be built or run; the message says why."""


@dataclass(frozen=True)
class GeneratedCrash:
    """A minidump crashgen wrote, and the annotations to submit it with."""

    kind: str
    dump: Path
    annotations: dict[str, str]


@dataclass(frozen=True)
class Crashgen:
    """The built program and its symbol store (`<debug file>/<debug id>/<file>.sym`)."""

    binary: Path
    symbols: Path

    def kinds(self) -> list[str]:
        """The kinds of crash it knows, in its order."""
        return self._run("kinds").split()

    def crash(self, kind: str, out: Path) -> GeneratedCrash:
        """Crash as ``kind`` says, with the dump written under ``out``."""
        started = int(time.time())
        dump = Path(self._run("crash", kind, "--out", str(out)).strip())
        annotations = json.loads(dump.with_suffix(".json").read_text())
        return GeneratedCrash(kind, dump, self.reporter_annotations(annotations, started, dump))

    def reporter_annotations(
        self, annotations: dict[str, str], started: int, dump: Path
    ) -> dict[str, str]:
        """The program's annotations with those Firefox's crash reporter adds: the build id and
        install time (here, when the binary was built), the channel, and when the program
        started and crashed (the dump's time)."""
        built = self.binary.stat().st_mtime
        build_id = datetime.datetime.fromtimestamp(built, datetime.UTC).strftime("%Y%m%d%H%M%S")
        return {
            **annotations,
            **REPORTER_ANNOTATIONS,
            "BuildID": build_id,
            "InstallTime": str(int(built)),
            "StartupTime": str(started),
            "CrashTime": str(int(dump.stat().st_mtime)),
        }

    def _run(self, *args: str) -> str:
        try:
            done = subprocess.run(
                [str(self.binary), *args],
                capture_output=True,
                text=True,
                timeout=CRASH_SECONDS,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise CrashgenError(f"crashgen {' '.join(args)}: {exc}") from None
        if done.returncode != 0:
            raise CrashgenError(f"crashgen {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout


def provisioned_crashgen(cache: Path | None = None) -> Crashgen:
    """Where `bin/provision crashgen` puts the program and its symbols."""
    root = (cache or cache_dir()) / "crashgen"
    return Crashgen(root / "bin" / "crashgen", root / "symbols")


def build_crashgen(echo: Callable[[str], object] = print) -> Crashgen:
    """Build crashgen and its symbols with `bin/provision crashgen` (seconds when they are up
    to date), passing its output lines to ``echo``; CrashgenError when that fails or, without
    a Jansky checkout to build from, when crashgen was never built."""
    crashgen = provisioned_crashgen()
    if not PROVISION.exists():
        if crashgen.binary.exists() and crashgen.symbols.is_dir():
            return crashgen
        raise CrashgenError(
            f"crashgen is not built at {crashgen.binary}, and there is no {PROVISION} to build "
            "it: run `bin/provision crashgen` in a Jansky checkout"
        )
    process = subprocess.Popen(
        [str(PROVISION), "crashgen"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        echo(line.rstrip("\n"))
    if process.wait() != 0:
        raise CrashgenError(f"`{PROVISION} crashgen` failed (its output is above)")
    return crashgen
