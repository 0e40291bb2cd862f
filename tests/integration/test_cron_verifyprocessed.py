"""``verifyprocessed`` and ``updatemissing`` over real crashes, on files + SQLite and on
MinIO + OpenSearch + ElasticMQ.

Three hundred crashes filed yesterday (the shared minidumps, in turn) are processed by the real
processor with minidump-stackwalk. Then some are made unprocessed on purpose: a processed crash
deleted, a search document deleted, raw crashes stored and never queued. ``verifyprocessed``
must find exactly those, record them and queue them; the real processor then processes them;
``updatemissing`` marks them.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command

from cronrun.tasks.crashes import indexed_ids
from jansky.crashid import create_crash_id
from jansky.queue import REPROCESSING, STANDARD
from jansky.search import SearchBackend
from jansky.search.cluster.backend import ClusterSearch
from jansky.search.sqlite.backend import SqliteSearch
from jansky.storage import CrashStorage
from jansky.storage import keys as storage_keys
from processor.processing import CrashProcessor
from processor.worker import Worker
from tests.cron_backends import (
    Backends,
    backend_urls,
    close_backends,
    open_backends,
    use_in_crashstats,
)
from tests.processed_crashes import MINIDUMPS, raw_crash, real_pipeline
from tests.servers import shared_testdata
from webapp.crashstats import backends as crashstats_backends
from webapp.crashstats.models import MissingProcessedCrash

pytestmark = pytest.mark.django_db
CRASHES = 300
TODAY = datetime.datetime.now(datetime.UTC).replace(hour=4, minute=0, second=0, microsecond=0)
YESTERDAY = TODAY - datetime.timedelta(days=1)


@pytest.fixture(
    params=["files+sqlite", pytest.param("minio+opensearch", marks=pytest.mark.integration)]
)
def setup(request: pytest.FixtureRequest, tmp_path: Path, settings) -> Iterator[Backends]:
    if request.param == "files+sqlite":
        urls = backend_urls("fs", "sqlite", "sqlite", tmp_path)
    else:
        request.getfixturevalue("aws_env")
        urls = backend_urls("s3", "opensearch", "sqs", tmp_path)
    made = open_backends(urls)
    use_in_crashstats(made, settings)
    yield made
    crashstats_backends.reset()
    close_backends(made)


def make_processor(setup: Backends, work: Path) -> CrashProcessor:
    return CrashProcessor(
        setup.storage, setup.search, setup.queue, real_pipeline(work), temporary_path=work
    )


def store_crashes(storage: CrashStorage, count: int, day: datetime.datetime) -> list[str]:
    """Raw crashes of ``day`` as the collector saves them, one shared minidump after another."""
    data = shared_testdata("rust-minidump")
    dumps = {name: (data / name).read_bytes() for name in MINIDUMPS}
    ids = []
    for number in range(count):
        name = list(MINIDUMPS)[number % len(MINIDUMPS)]
        crash_id = create_crash_id(day)
        raw = raw_crash(crash_id, *MINIDUMPS[name], dumps[name])
        raw["submitted_timestamp"] = (day + datetime.timedelta(seconds=number)).isoformat()
        storage.save_raw_crash(crash_id, raw, {"upload_file_minidump": dumps[name]})
        ids.append(crash_id)
    return ids


def process_queued(setup: Backends, work: Path) -> None:
    processor = make_processor(setup, work)
    Worker(setup.queue, processor.handle, threads=4, idle_seconds=0.2).run(until_idle=True)
    processor.close()
    setup.search.refresh()


def delete_search_documents(search: SearchBackend, crash_ids: list[str]) -> None:
    """Remove crashes from the index behind the backend's back (what a lost write looks like)."""
    if isinstance(search, SqliteSearch):
        marks = ", ".join("?" for _ in crash_ids)
        search._run(
            lambda c: c.execute(f"DELETE FROM crashes WHERE crash_id IN ({marks})", crash_ids)
        )
        return
    assert isinstance(search, ClusterSearch)
    operations = [
        {"delete": {"_index": index, "_id": crash_id}}
        for index in search.all_indices()
        for crash_id in crash_ids
    ]
    search.client.bulk(operations, refresh=True)


def run(command: str, *args: str) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out, stderr=out)
    return out.getvalue()


def test_unprocessed_crashes_are_found_queued_processed_and_marked(setup: Backends, tmp_path: Path):
    storage, search = setup.storage, setup.search
    ids = store_crashes(storage, CRASHES, YESTERDAY)
    setup.queue.publish(STANDARD, ids)
    process_queued(setup, tmp_path)
    assert all(storage.has_processed_crash(crash_id) for crash_id in ids)
    assert indexed_ids(search, ids) == set(ids)

    no_processed, not_indexed = ids[10:17], ids[100:106]
    for crash_id in no_processed:
        storage._delete(storage_keys.processed_crash_key(crash_id))
    delete_search_documents(search, not_indexed)
    never_queued = store_crashes(storage, 5, YESTERDAY + datetime.timedelta(hours=10))
    store_crashes(storage, 3, TODAY)  # another day: not this run's business
    missing = set(no_processed) | set(not_indexed) | set(never_queued)

    output = run("verifyprocessed", f"--run-time={TODAY:%Y-%m-%dT%H:%M}")

    assert set(MissingProcessedCrash.objects.values_list("crash_id", flat=True)) == missing
    assert not MissingProcessedCrash.objects.filter(is_processed=True).exists()
    messages = []
    while batch := setup.queue.receive(REPROCESSING, max_messages=10):
        messages += batch
    assert sorted(message.crash_id for message in messages) == sorted(missing)
    for message in messages:
        setup.queue.release(message)
    assert f"{CRASHES + 5:,} crashes checked, {len(missing)} missing" in output
    for crash_id in no_processed:
        assert f"missing: {crash_id} has no processed crash" in output
    for crash_id in not_indexed:
        assert f"missing: {crash_id} is not in the search index" in output
    assert "crashes (" in output and "/s)" in output  # the progress line

    assert f"{len(missing)} still missing" in run("updatemissing")
    assert not MissingProcessedCrash.objects.filter(is_processed=True).exists()

    process_queued(setup, tmp_path)
    assert all(storage.has_processed_crash(crash_id) for crash_id in missing)
    assert indexed_ids(search, missing) == missing

    output = run("updatemissing")
    assert f"{len(missing)} crashes processed since found missing, 0 still missing" in output
    assert MissingProcessedCrash.objects.filter(is_processed=True).count() == len(missing)
    assert "0 missing" in run("verifyprocessed", f"--run-time={TODAY:%Y-%m-%dT%H:%M}")
