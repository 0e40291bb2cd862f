"""Crash Stats' tests again, on the real PostgreSQL from `make services`.

The webapp and cron tests (tests/unit/webapp, tests/unit/cronrun) run on SQLite in the main
test run; here the same suites run in a child pytest pointed at PostgreSQL (a test database of
its own, dropped at the end), so models, migrations, queries and the token signals are checked
on both databases.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.servers import ROOT, server_env

pytestmark = pytest.mark.integration


def test_webapp_suite_passes_on_postgresql():
    url = server_env("DATABASE_URL")["DATABASE_URL"]
    env = {**os.environ, "JANSKY_TEST_DATABASE_URL": url}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/unit/webapp",
            "tests/unit/cronrun",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=--strict-markers",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    passed = re.search(r"(\d+) passed", summary)
    assert passed and int(passed.group(1)) >= 100, summary
    assert "failed" not in summary and "error" not in summary, summary
