"""Django settings for the cron runner's process tests: the real settings from the
environment, with one test job, ``crontest`` every hour with backfill (its arguments from
``CRONTEST_ARGS``, so a test can make it print, wait or fail)."""

import os

from cronrun.jobs import JobSpec
from webapp.settings import *  # noqa: F403

CRON_JOBS = [
    JobSpec(
        "crontest",
        "1h",
        backfill=True,
        last_success=True,
        cmd_args=tuple(os.environ.get("CRONTEST_ARGS", "--print").split()),
    )
]
