"""Settling messages: ack only after save and index; retry with backoff; give up after N."""

from __future__ import annotations

from pathlib import Path

import pytest

from jansky.crashid import create_crash_id
from jansky.storage import FilesystemCrashStorage
from processor.pipeline import Pipeline
from processor.processing import CrashProcessor, Outcome, RetryPolicy
from processor.rules import general
from processor.rules.base import CrashContext, Rule
from tests.unit.processor.conftest import raw_crash
from tests.unit.processor.doubles import FlakyStorage, RecordingIndexer, RecordingQueue, message


class Boom(Rule):
    def action(self, crash: CrashContext) -> None:
        raise RuntimeError("rule bug")


class CountsDumps(Rule):
    def action(self, crash: CrashContext) -> None:
        crash.processed_crash["dump_names"] = sorted(crash.dumps)
        crash.processed_crash["dump_dir_exists"] = crash.tmpdir.is_dir()


RULES = [general.IdentifierRule(), general.DatesAndTimesRule(), CountsDumps()]
POLICY = RetryPolicy(max_attempts=3, backoff_seconds=10, backoff_max_seconds=25)


@pytest.fixture
def storage(tmp_path: Path) -> FilesystemCrashStorage:
    return FilesystemCrashStorage(tmp_path / "crashes")


@pytest.fixture
def crash_id(storage) -> str:
    crash_id = create_crash_id()
    storage.save_raw_crash(crash_id, raw_crash(uuid=crash_id), {"upload_file_minidump": b"MDMP"})
    return crash_id


def make(storage, indexer=None, queue=None, rules=RULES, tmp_path=None):
    return CrashProcessor(
        storage=storage,
        indexer=indexer or RecordingIndexer(),
        queue=queue or RecordingQueue(),
        pipeline=Pipeline({"default": rules, "regenerate_signature": [CountsDumps()]}),
        retry=POLICY,
        temporary_path=tmp_path,
    )


def test_success_saves_indexes_then_acks(storage, crash_id, tmp_path):
    indexer, queue = RecordingIndexer(), RecordingQueue()
    work = tmp_path / "work"
    work.mkdir()
    processor = make(storage, indexer, queue, tmp_path=work)
    assert processor.handle(message(crash_id)) is Outcome.DONE
    stored = storage.load_processed_crash(crash_id)
    assert stored["uuid"] == crash_id
    assert stored["success"] is True
    assert stored["dump_names"] == ["upload_file_minidump"]
    assert stored["dump_dir_exists"] is True
    assert indexer.documents[crash_id] == stored
    assert [m.crash_id for m in queue.acked] == [crash_id]
    assert queue.released == []
    [scratch] = work.iterdir()  # the thread's working directory, kept for its next crash
    assert list(scratch.iterdir()) == []  # but emptied
    processor.close()
    assert list(work.iterdir()) == []


def test_missing_raw_crash_is_acked(storage):
    queue = RecordingQueue()
    crash_id = create_crash_id()
    assert make(storage, queue=queue).handle(message(crash_id)) is Outcome.MISSING
    assert [m.crash_id for m in queue.acked] == [crash_id]


@pytest.mark.parametrize("failing", ["storage", "index"])
def test_failure_releases_with_growing_backoff_and_never_acks(storage, crash_id, failing):
    queue = RecordingQueue()
    indexer = RecordingIndexer(failures=5 if failing == "index" else 0)
    store = FlakyStorage(storage, failures=5 if failing == "storage" else 0)
    processor = make(store, indexer, queue)
    assert processor.handle(message(crash_id, receive_count=1)) is Outcome.RETRY
    assert processor.handle(message(crash_id, receive_count=2)) is Outcome.RETRY
    assert [delay for _, delay in queue.released] == [10, 20]
    assert queue.acked == []


def test_index_failure_then_success_acks_on_retry(storage, crash_id):
    queue, indexer = RecordingQueue(), RecordingIndexer(failures=1)
    processor = make(storage, indexer, queue)
    assert processor.handle(message(crash_id, receive_count=1)) is Outcome.RETRY
    assert processor.handle(message(crash_id, receive_count=2)) is Outcome.DONE
    assert indexer.documents[crash_id]["success"] is True
    assert len(queue.acked) == 1


def test_last_attempt_saves_a_failure_record_and_releases_for_dead_letter(storage, crash_id):
    queue, indexer = RecordingQueue(), RecordingIndexer(failures=1)
    processor = make(storage, indexer, queue)
    outcome = processor.handle(message(crash_id, receive_count=POLICY.max_attempts))
    assert outcome is Outcome.GAVE_UP
    stored = storage.load_processed_crash(crash_id)
    assert stored["success"] is False
    assert (
        "processing failed after 3 attempts: index failed: SearchDown" in stored["processor_notes"]
    )
    assert indexer.documents[crash_id]["success"] is False
    assert queue.acked == []
    assert [delay for _, delay in queue.released] == [0]


def test_load_failure_on_last_attempt_records_a_minimal_crash(storage, crash_id, tmp_path):
    broken = FlakyStorage(storage)
    broken.load_dumps_as_files = lambda *_: (_ for _ in ()).throw(OSError("disk gone"))
    indexer = RecordingIndexer()
    processor = make(broken, indexer)
    assert processor.handle(message(crash_id, receive_count=3)) is Outcome.GAVE_UP
    stored = storage.load_processed_crash(crash_id)
    assert stored["uuid"] == crash_id
    assert stored["success"] is False
    assert stored["date_processed"] == "2016-09-18T12:00:00+00:00"
    assert stored["processor_notes"] == "processing failed after 3 attempts: load failed: OSError"


def test_a_failing_rule_does_not_fail_the_crash(storage, crash_id):
    queue = RecordingQueue()
    assert (
        make(storage, queue=queue, rules=[Boom(), *RULES]).handle(message(crash_id)) is Outcome.DONE
    )
    assert "rule" in storage.load_processed_crash(crash_id)["processor_notes"]
    assert len(queue.acked) == 1


def test_reprocessing_starts_from_the_stored_crash(storage, crash_id):
    storage.save_processed_crash(
        crash_id, {"uuid": crash_id, "signature": "old", "keep": 1, "processor_notes": "first"}
    )
    processor = make(storage)
    assert processor.handle(message(crash_id, ruleset="regenerate_signature")) is Outcome.DONE
    stored = storage.load_processed_crash(crash_id)
    assert stored["keep"] == 1
    assert stored["processor_history"] == ["first"]


@pytest.mark.parametrize(
    ("queue", "receive_count", "looked_up"),
    [("standard", 1, False), ("standard", 2, True), ("reprocessing", 1, True)],
)
def test_the_stored_crash_is_looked_up_unless_the_crash_is_new(
    storage, crash_id, queue, receive_count, looked_up
):
    storage.save_processed_crash(crash_id, {"uuid": crash_id, "processor_notes": "earlier"})
    outcome = make(storage).handle(message(crash_id, receive_count, queue=queue))
    assert outcome is Outcome.DONE
    history = storage.load_processed_crash(crash_id).get("processor_history")
    assert history == (["earlier"] if looked_up else None)


def test_non_default_ruleset_without_stored_crash_runs_default(storage, crash_id):
    make(storage).handle(message(crash_id, ruleset="regenerate_signature"))
    assert storage.load_processed_crash(crash_id)["uuid"] == crash_id  # IdentifierRule ran


def test_queue_errors_while_settling_are_survived(storage, crash_id):
    queue = RecordingQueue(fail_settle=True)
    assert make(storage, queue=queue).handle(message(crash_id)) is Outcome.DONE
    assert storage.load_processed_crash(crash_id)["success"] is True


def test_retry_delay_is_capped():
    assert [POLICY.delay(n) for n in (1, 2, 3, 4)] == [10, 20, 25, 25]
