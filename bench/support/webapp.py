"""Helpers of the Crash Stats benchmarks: Django on a throwaway DATA_DIR, percentiles and the
largest real stackwalker output of the shared test data."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tests.servers import TESTDATA_DIR


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def stackwalker_output() -> dict[str, Any]:
    """The largest stackwalker JSON of the shared test data, or {} without it."""
    snapshot = TESTDATA_DIR / "rust-minidump" / "stackwalk-json" / "macos_inlines_json_pretty.snap"
    if not snapshot.exists():
        print(f"  (no {snapshot}: processed crashes without a stackwalker output)")
        return {}
    body = snapshot.read_text().split("---\n", 2)[2]
    return json.loads(body)


def configure_django(data_dir: Path) -> None:
    """Crash Stats' settings on the embedded default under ``data_dir``, migrated."""
    os.environ.update(
        DATA_DIR=str(data_dir),
        STORAGE_URL=f"file://{data_dir / 'crashes'}",
        QUEUE_URL=f"sqlite://{data_dir / 'queue.db'}",
        SEARCH_URL=f"sqlite://{data_dir / 'search.db'}",
        DATABASE_URL="",
        WEBAPP_ALLOWED_HOSTS="testserver",
        # Limits high enough never to trigger: their counting is part of what is timed.
        WEBAPP_RATELIMIT_ANONYMOUS="100000000/m",
        WEBAPP_RATELIMIT_AUTHENTICATED="100000000/m",
        WEBAPP_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="webapp.settings",
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
