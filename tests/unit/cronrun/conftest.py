"""Fixtures of the cron jobs' unit tests: Crash Stats pointed at files and SQLite under
tmp_path (the embedded default's real backends), and a way to run a job's command."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from django.core.management import call_command

from tests.cron_backends import (
    Backends,
    backend_urls,
    close_backends,
    open_backends,
    use_in_crashstats,
)


@pytest.fixture
def embedded(tmp_path, settings) -> Iterator[Backends]:
    made = open_backends(backend_urls("fs", "sqlite", "sqlite", tmp_path))
    use_in_crashstats(made, settings)
    yield made
    close_backends(made)


def run_command(name: str, *args: str) -> str:
    """A management command's output (stdout and stderr together)."""
    out = io.StringIO()
    call_command(name, *args, stdout=out, stderr=out)
    return out.getvalue()
