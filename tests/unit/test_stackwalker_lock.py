"""The stackwalker service is locked to the crate versions of the pinned minidump-stackwalk."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

from tests.servers import ROOT, unavailable


def pinned_version() -> str:
    match = re.search(
        r"^MINIDUMP_STACKWALK_VERSION=(\S+)$", (ROOT / "bin" / "provision").read_text(), re.M
    )
    assert match, "bin/provision pins no minidump-stackwalk version"
    return match.group(1)


def versions(lock: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for package in tomllib.loads(lock.read_text())["package"]:
        found.setdefault(package["name"], set()).add(package["version"])
    return found


def test_every_crate_is_at_the_version_minidump_stackwalk_is_built_with():
    version = pinned_version()
    cargo_home = Path(os.environ.get("CARGO_HOME", Path.home() / ".cargo"))
    locks = sorted(cargo_home.glob(f"registry/src/*/minidump-stackwalk-{version}/Cargo.lock"))
    if not locks:
        unavailable(f"no minidump-stackwalk {version} sources under {cargo_home}/registry")
    theirs = versions(locks[0])
    ours = versions(ROOT / "stackwalker" / "Cargo.lock")
    shared = set(ours) & set(theirs)
    assert {"minidump", "minidump-processor", "minidump-unwind", "breakpad-symbols"} <= shared
    assert {name: ours[name] for name in shared} == {name: theirs[name] for name in shared}
    assert set(ours) - set(theirs) == {"jansky-stackwalker"}  # nothing the release lacks
    assert ours["minidump-processor"] == {version}
