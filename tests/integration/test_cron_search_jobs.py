"""The jobs that read or keep the search index, on OpenSearch and Elasticsearch: searchindices,
updatesignatures and productversions give on a cluster what they give on SQLite."""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command

from jansky.search.cluster.backend import ClusterSearch
from jansky.search.cluster.indices import index_for
from jansky.search.corpus import Corpus
from jansky.search.dates import parse_date
from tests.cron_backends import (
    Backends,
    backend_urls,
    close_backends,
    open_backends,
    use_in_crashstats,
)
from webapp.crashstats.models import ProductVersion, Signature
from webapp.crashstats.versions import newest_first

pytestmark = [pytest.mark.django_db, pytest.mark.integration]
NOW = datetime.datetime.now(datetime.UTC).replace(second=0, microsecond=0)
CRASHES = list(Corpus(NOW, days=1, seed=8, signature_count=40).crashes(200))


@pytest.fixture(params=["opensearch", "elasticsearch"])
def cluster(request: pytest.FixtureRequest, tmp_path: Path, settings) -> Iterator[Backends]:
    made = open_backends(backend_urls("fs", request.param, "sqlite", tmp_path))
    assert isinstance(made.search, ClusterSearch)
    use_in_crashstats(made, settings)
    yield made
    close_backends(made)


def run(command: str, *args: str) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def test_searchindices_creates_the_coming_weeks(cluster: Backends):
    output = run("searchindices", "--weeks", "2")
    assert isinstance(cluster.search, ClusterSearch)
    expected = {
        index_for(cluster.search.template, NOW + datetime.timedelta(weeks=weeks))
        for weeks in range(3)
    }
    assert expected <= set(cluster.search.all_indices())
    assert "3 indices created" in output
    assert "0 indices created" in run("searchindices", "--weeks", "2")


def test_updatesignatures_and_productversions_read_the_cluster(cluster: Backends):
    assert cluster.search.index_crashes(CRASHES).ok
    cluster.search.refresh()
    run_time = f"--run-time={NOW:%Y-%m-%dT%H:%M}"

    run(
        "updatesignatures",
        run_time,
        f"--last-success={NOW - datetime.timedelta(days=2):%Y-%m-%dT%H:%M}",
    )
    first: dict[str, datetime.datetime] = {}
    for _, crash in CRASHES:
        moment = parse_date(crash["date_processed"])
        first[crash["signature"]] = min(moment, first.get(crash["signature"], moment))
    rows = {row.signature: row.first_date for row in Signature.objects.all()}
    assert rows == first

    run("productversions", run_time, "--days", "2")
    for product in {crash["product"] for _, crash in CRASHES}:
        versions = {crash["version"] for _, crash in CRASHES if crash["product"] == product}
        assert ProductVersion.objects.active_versions(product) == newest_first(sorted(versions))
