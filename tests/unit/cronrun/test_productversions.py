"""``productversions``: builds seen in recent crashes, active and featured versions, and the
version ordering the pages use."""

from __future__ import annotations

import datetime
import itertools

import pytest

from tests.unit.cronrun.conftest import run_command
from webapp.crashstats.models import ProductVersion
from webapp.crashstats.versions import major_version, newest_first, version_key

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2024, 3, 9, 12, 0, tzinfo=datetime.UTC)
_ids = itertools.count(1)


def crashes(product, channel, version, build, count, age_days=1):
    when = NOW - datetime.timedelta(days=age_days)
    for _ in range(count):
        crash_id = f"{next(_ids):08x}-0000-0000-0000-000000{when:%y%m%d}"
        yield (
            crash_id,
            {
                "uuid": crash_id,
                "date_processed": when.isoformat(),
                "product": product,
                "release_channel": channel,
                "version": version,
                "build": build,
            },
        )


def test_version_order():
    versions = ["134.0b5", "134.0", "135.0a1", "133.0.3", "134.0rc1", "128.5.2esr", "134.0b10"]
    assert newest_first([*versions, "junk", "", "v1.0"]) == [
        "135.0a1",
        "134.0",
        "134.0rc1",
        "134.0b10",
        "134.0b5",
        "133.0.3",
        "128.5.2esr",
    ]
    assert newest_first(["1.2.3-beta.2", "1.2.3", "1.2.3-alpha.9", "1.2.3-beta.10"]) == [
        "1.2.3",
        "1.2.3-beta.10",
        "1.2.3-beta.2",
        "1.2.3-alpha.9",
    ]
    assert major_version("134.0b5") == 134 and major_version("Nightly") is None
    assert version_key("2.53.19") > version_key("2.53.9")


def test_versions_are_derived_from_recent_crashes(embedded, settings, monkeypatch):
    monkeypatch.setenv("CRON_PRODUCTVERSIONS_MIN_CRASHES", "2")
    data = [
        *crashes("Firefox", "release", "133.0", "20241001000000", 3),
        *crashes("Firefox", "release", "133.0.3", "20241101000000", 2),
        *crashes("Firefox", "release", "999.0", "20241101000001", 1),  # one odd client
        *crashes("Firefox", "beta", "134.0b5", "20241105000000", 2),
        *crashes("Firefox", "beta", "134.0b9", "20241110000000", 4),
        *crashes("Firefox", "nightly", "135.0a1", "20241111000000", 1),
        *crashes("Firefox", "nightly", "135.0a1", "20241112000000", 1),
        *crashes("Firefox", "release", "junk-version", "20241112000000", 9),
        *crashes("Fenix", "release", "133.1.0", "20241001000000", 2),
        *crashes("Fenix", "beta", "134.0b1", None, 3),  # no build id
        *crashes("Firefox", "release", "120.0", "20230101000000", 5, age_days=45),  # too old
    ]
    assert embedded.search.index_crashes(data).ok
    ProductVersion.objects.create(
        product_name="Firefox",
        release_channel="release",
        major_version=120,
        release_version="120.0",
        version_string="120.0",
        build_id="20230101000000",
        is_active=True,
        featured=True,
        crash_count=99,
    )
    run_time = f"--run-time={NOW:%Y-%m-%dT%H:%M}"

    dry = run_command("productversions", run_time, "--dry-run")
    assert "would record 9 builds of 8 versions" in dry
    assert ProductVersion.objects.count() == 1

    output = run_command("productversions", run_time)

    assert "Firefox: featured 135.0a1, 134.0b9, 133.0.3; active 135.0a1, 134.0b9" in output
    versions = ProductVersion.objects
    assert versions.products() == ["Firefox", "Fenix"]
    assert versions.active_versions("Firefox") == [
        "135.0a1",
        "134.0b9",
        "134.0b5",
        "133.0.3",
        "133.0",
    ]
    assert versions.featured_versions("Firefox") == ["135.0a1", "134.0b9", "133.0.3"]
    assert versions.featured_versions("Fenix") == ["134.0b1", "133.1.0"]
    assert versions.get(version_string="134.0b1").build_id == ""
    old = versions.get(version_string="120.0")
    assert (old.is_active, old.featured, old.crash_count) == (False, False, 0)  # kept, inactive
    nightly = versions.filter(version_string="135.0a1").order_by("build_id")
    assert [(row.build_id, row.crash_count, row.is_active) for row in nightly] == [
        ("20241111000000", 1, True),
        ("20241112000000", 1, True),
    ]
    row = versions.get(version_string="134.0b9")
    assert (row.major_version, row.release_version, row.last_seen) == (134, "134.0b9", NOW)
    assert not versions.filter(version_string__in=["999.0", "junk-version"], is_active=True)
