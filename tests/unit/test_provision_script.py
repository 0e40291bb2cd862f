"""`bin/provision` argument handling (the installs themselves run in `make test`)."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_unknown_tool_is_refused_with_the_list_of_tools(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(ROOT / "bin" / "provision"), "no-such-tool"],
        env={"JANSKY_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "no-such-tool: FAILED: unknown tool" in result.stderr
    assert "minidump-stackwalk" in result.stderr
    assert not (tmp_path / "stamps" / "no-such-tool").exists()
