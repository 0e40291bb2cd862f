"""``updatesignatures``: first builds and dates from search, incremental and never raised."""

from __future__ import annotations

import datetime

import pytest

from cronrun.tasks import signatures
from jansky.search.corpus import Corpus
from tests.unit.cronrun.conftest import run_command
from webapp.crashstats.models import Signature

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2024, 3, 9, 12, 0, tzinfo=datetime.UTC)


def crash(crash_id: str, signature: str, build: str | None, when: datetime.datetime) -> tuple:
    data = {"uuid": crash_id, "signature": signature, "date_processed": when.isoformat()}
    if build is not None:
        data["build"] = build
    return crash_id, data


def test_window():
    assert signatures.window(NOW.replace(second=31), None) == (
        NOW - datetime.timedelta(minutes=90),
        NOW,
    )
    last = NOW - datetime.timedelta(hours=1, seconds=12)
    assert signatures.window(NOW, last) == (NOW - datetime.timedelta(minutes=71), NOW)


def test_first_build_and_date_per_signature(embedded):
    base = NOW - datetime.timedelta(minutes=60)
    crashes = [
        crash("00000001-0000-0000-0000-000000240309", "OOM | small", "20240301000000", base),
        crash(
            "00000002-0000-0000-0000-000000240309",
            "OOM | small",
            "20240201000000",
            base + datetime.timedelta(minutes=5),
        ),
        crash("00000003-0000-0000-0000-000000240309", "js::GC", None, base),
        crash(
            "00000004-0000-0000-0000-000000240309",
            "ignored: too old",
            "1",
            NOW - datetime.timedelta(hours=3),
        ),
    ]
    assert embedded.search.index_crashes(crashes).ok
    Signature.objects.create(
        signature="js::GC",
        first_build=20230101000000,
        first_date=base + datetime.timedelta(hours=1),
    )
    run_time = f"--run-time={NOW:%Y-%m-%dT%H:%M}"

    dry = run_command("updatesignatures", run_time, "--dry-run")
    assert "would record 1 new and 1 seen earlier" in dry
    assert Signature.objects.count() == 1

    output = run_command("updatesignatures", run_time)

    assert "new signature: OOM | small" in output and "2 signatures" in output
    rows = {row.signature: row for row in Signature.objects.all()}
    assert set(rows) == {"OOM | small", "js::GC"}
    assert rows["OOM | small"].first_build == 20240201000000
    assert rows["OOM | small"].first_date == base
    assert rows["js::GC"].first_build == 20230101000000  # no build in the window: kept
    assert rows["js::GC"].first_date == base  # lowered
    assert "0 new and 0 seen earlier" in run_command("updatesignatures", run_time)


def test_a_window_beyond_one_search_page_is_read_in_halves(embedded, monkeypatch):
    monkeypatch.setattr(signatures, "MAX_WINDOW", 40)
    monkeypatch.setattr(signatures, "MAX_RESULTS_NUMBER", 15)
    crashes = list(Corpus(NOW, days=1, seed=3, signature_count=20).crashes(120))
    assert embedded.search.index_crashes(crashes).ok
    hits = list(signatures.crashes_between(embedded.search, NOW - datetime.timedelta(days=2), NOW))
    assert len(hits) == 120
    expected = {data["signature"] for _, data in crashes}
    assert set(signatures.first_seen(iter(hits))) == expected
