"""Crashes made by the real processor from the shared minidumps, for Crash Stats' tests.

Each minidump is saved as the collector saves a crash (annotations, ``metadata`` with the dump
checksums, protected annotations such as ``URL`` and ``Comments``), queued, and processed by
``CrashProcessor`` with the real ``minidump-stackwalk`` and the test symbols: processed crashes
stored and indexed exactly as in production.
"""

from __future__ import annotations

import datetime
import hashlib
import shutil
from pathlib import Path
from typing import Any

from jansky.crashid import create_crash_id
from jansky.queue import STANDARD
from jansky.queue.sqlite import SqliteCrashQueue
from jansky.schemas import load_schema
from processor.config import default_stackwalker_path
from processor.pipeline import Pipeline
from processor.processing import CrashProcessor, Outcome
from processor.rules.stackwalker import MinidumpStackwalkRule
from processor.rulesets import build_rulesets
from processor.stackwalker import Stackwalker
from tests.servers import shared_testdata, unavailable

MINIDUMPS = {
    "test.dmp": ("Firefox", "133.0", "release"),
    "linux-mini.dmp": ("Firefox", "134.0b5", "beta"),
    "simple-crashpad.dmp": ("Fenix", "133.1.0", "release"),
    "pipeline-inlines-macos-segv.dmp": ("Thunderbird", "128.5.2esr", "esr"),
}
PROTECTED_MARK = "PROTECTED-"


def raw_crash(crash_id: str, product: str, version: str, channel: str, dump: bytes) -> dict:
    now = datetime.datetime.now(datetime.UTC)
    return {
        "ProductName": product,
        "Version": version,
        "ReleaseChannel": channel,
        "BuildID": "20241001093012",
        "CrashTime": str(int(now.timestamp())),
        "URL": f"https://example.com/{PROTECTED_MARK}url/{crash_id}",
        "Comments": f"{PROTECTED_MARK}comment of {crash_id}",
        "metadata": {
            "collector_notes": [],
            "dump_checksums": {"upload_file_minidump": hashlib.sha256(dump).hexdigest()},
            "payload": "multipart",
            "payload_compressed": "0",
            "payload_size": len(dump),
            "throttle_rule": "accept_everything",
            "user_agent": "tests",
        },
        "submitted_timestamp": now.isoformat(),
        "uuid": crash_id,
        "version": 2,
    }


def real_pipeline(work: Path) -> Pipeline:
    """The processor's pipeline with the real minidump-stackwalk and the test symbols."""
    data = shared_testdata("rust-minidump")
    stackwalker_path = default_stackwalker_path()
    if not (Path(stackwalker_path).exists() or shutil.which(stackwalker_path)):
        unavailable(f"no minidump-stackwalk binary at {stackwalker_path} (run bin/provision)")
    walker = Stackwalker(
        stackwalker_path,
        symbols_paths=[str(data / "symbols")],
        symbols_cache_path=work / "symbols-cache",
        symbols_tmp_path=work / "symbols-tmp",
        kill_timeout=60,
    )
    return Pipeline(build_rulesets(load_schema("processed_crash"), MinidumpStackwalkRule(walker)))


def process_shared_minidumps(storage: Any, indexer: Any, work: Path) -> list[dict[str, Any]]:
    """Store, queue and process one crash per shared minidump; the processed crashes."""
    data = shared_testdata("rust-minidump")
    pipeline = real_pipeline(work)
    queue = SqliteCrashQueue(work / "queue.db", lease_seconds=120, max_receives=3)
    ids = []
    for name, (product, version, channel) in MINIDUMPS.items():
        dump = (data / name).read_bytes()
        crash_id = create_crash_id()
        storage.save_raw_crash(
            crash_id,
            raw_crash(crash_id, product, version, channel, dump),
            {"upload_file_minidump": dump},
        )
        ids.append(crash_id)
    queue.publish(STANDARD, ids)
    processor = CrashProcessor(storage, indexer, queue, pipeline, temporary_path=work)
    for message in queue.receive(STANDARD, max_messages=len(ids)):
        outcome = processor.handle(message)
        assert outcome is Outcome.DONE, (message.crash_id, outcome)
    return [storage.load_processed_crash(crash_id) for crash_id in ids]
