"""``retention`` deletes exactly the expired crashes, on both storages and every search backend.

Crashes of the last 195 days (raw crash, two dumps, processed crash, search entry) are stored;
with 180 days kept, those filed before the cutoff must leave storage and search, every object
of them, and nothing else may go. A dry run first must say the same and delete nothing.
"""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command

from jansky.schemas import VIEW_PII
from jansky.search.corpus import Corpus
from jansky.storage import CrashNotFound
from tests.cron_backends import (
    Backends,
    backend_urls,
    close_backends,
    open_backends,
    stored_keys,
    use_in_crashstats,
)

pytestmark = pytest.mark.django_db
NOW = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
CRASHES = list(Corpus(NOW, days=195, seed=21).crashes(150))
DUMPS = {"upload_file_minidump": b"MDMP" + bytes(100), "memory_report": b"\x1f\x8b{}"}
CUTOFF = NOW.date() - datetime.timedelta(days=180)


@pytest.fixture(
    params=[
        ("fs", "sqlite"),
        pytest.param(("fs", "opensearch"), marks=pytest.mark.integration),
        pytest.param(("fs", "elasticsearch"), marks=pytest.mark.integration),
        pytest.param(("s3", "sqlite"), marks=pytest.mark.integration),
        pytest.param(("s3", "opensearch"), marks=pytest.mark.integration),
        pytest.param(("s3", "elasticsearch"), marks=pytest.mark.integration),
    ],
    ids=lambda kinds: "+".join(kinds),
)
def made(request: pytest.FixtureRequest, tmp_path: Path, settings) -> Iterator[Backends]:
    storage_kind, search_kind = request.param
    if storage_kind == "s3":
        request.getfixturevalue("aws_env")
    # Queries skip indices past SEARCH_RETENTION_WEEKS: keep them all visible to the checks.
    backends = open_backends(
        backend_urls(storage_kind, search_kind, "sqlite", tmp_path), retention_weeks=52
    )
    use_in_crashstats(backends, settings)
    for crash_id, processed in CRASHES:
        raw = {"uuid": crash_id, "ProductName": processed["product"]}
        backends.storage.save_raw_crash(crash_id, raw, DUMPS)
        backends.storage.save_processed_crash(crash_id, processed)
    assert backends.search.index_crashes(CRASHES).ok
    backends.search.refresh()
    yield backends
    close_backends(backends)


def searchable(made: Backends) -> set[str]:
    made.search.refresh()
    params = {
        "date": f">={(NOW - datetime.timedelta(days=250)).isoformat()}",
        "_columns": "uuid",
        "_results_number": "1000",
        "_facets_size": "0",
    }
    return {hit["uuid"] for hit in made.search.search(params, VIEW_PII, now=NOW)["hits"]}


def retention(*args: str) -> str:
    out = io.StringIO()
    call_command("retention", "--days=180", f"--run-time={NOW:%Y-%m-%dT%H:%M}", *args, stdout=out)
    return out.getvalue()


def test_retention_removes_exactly_the_expired_crashes(made: Backends):
    expired = {crash_id for crash_id, _ in CRASHES if f"20{crash_id[-6:]}" < f"{CUTOFF:%Y%m%d}"}
    kept = {crash_id for crash_id, _ in CRASHES} - expired
    assert expired and kept
    keys_before = stored_keys(made.storage)

    dry = retention("--dry-run")

    assert stored_keys(made.storage) == keys_before and searchable(made) == expired | kept
    would = sum(
        int(n.replace(",", "")) for n in re.findall(r"would delete ([\d,]+) crashes filed", dry)
    )
    assert would == len(expired)
    searched = re.findall(r"search: would delete (?:index \S+ \(([\d,]+)|([\d,]+) crashes)", dry)
    assert sum(int(a or b) for a, b in searched) == len(expired)

    output = retention()

    assert f"deleted {len(expired)} crashes from storage" in output
    assert searchable(made) == kept
    assert all(key.rsplit("/", 1)[-1] in kept for key in stored_keys(made.storage))
    assert len(stored_keys(made.storage)) == len(kept) * 5  # raw, 2 dumps, names, processed
    for crash_id in expired:
        with pytest.raises(CrashNotFound):
            made.storage.load_processed_crash(crash_id)
    assert all(day >= CUTOFF for day in made.storage.list_crash_dates())
    assert "deleted 0 crashes from storage" in retention()
