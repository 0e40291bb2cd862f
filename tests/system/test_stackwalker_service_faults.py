"""`jansky processor` with the stackwalker service when walks fail: every crash is processed, once,
with the JSON minidump-stackwalk gives it.

Walks panic, hang and abort through the fault-injection build of the service (a dump whose file
name carries a marker, see stackwalker/src/faults.rs), and the real service is killed mid-batch.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from processor.config import default_stackwalker_path
from processor.stackwalker import Stackwalker
from tests.servers import provisioned, service_binaries
from tests.system.test_processor_faults import (
    DEADLINE_SECONDS,
    DUMPS,
    Deployment,
    embedded,  # noqa: F401 (fixture)
    wait_for,
)

pytestmark = pytest.mark.system

MAIN = "upload_file_minidump"
FAULTS = ("fault-panic", "fault-hang", "fault-abort")


@pytest.fixture
def service_path() -> str:
    return provisioned(service_binaries()[0], "stackwalker")


@pytest.fixture
def fault_service_path() -> str:
    return provisioned(service_binaries()[1], "stackwalker-faults")


def expected_json(name: str) -> dict[str, Any]:
    """What one-shot minidump-stackwalk prints for a test dump, with the test symbols."""
    walker = Stackwalker(default_stackwalker_path(), symbols_paths=[str(DUMPS / "symbols")])
    result = walker.run(DUMPS / name, name, b"{}")
    assert result.status == "OK"
    return result.json_dump


def seed(deployment: Deployment, dumps: dict[str, str], count: int) -> list[str]:
    """``count`` crashes, each with ``dumps`` (dump name -> test dump file)."""
    contents = {name: (DUMPS / file).read_bytes() for name, file in dumps.items()}
    return deployment.seed_with(count, contents)


def service_pids(processor_pid: int) -> list[int]:
    """The stackwalker services started by the processor process ``processor_pid``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if parent == processor_pid and b"jansky-stackwalker" in command:
            pids.append(int(entry.name))
    return pids


def test_walks_that_panic_hang_or_abort_end_with_minidump_stackwalks_json(
    embedded,  # noqa: F811
    fault_service_path,
    tmp_path,
):
    embedded.env.update(
        STACKWALKER_SERVICE_PATH=fault_service_path,
        STACKWALKER_KILL_TIMEOUT="3",
        QUEUE_LEASE_SECONDS="60",
        PROCESSOR_THREADS="4",
    )
    # The faulty crashes first: the crashes after them go to the restarted service.
    faulty = {
        marker: seed(embedded, {MAIN: "test.dmp", f"{MAIN}_{marker}": "linux-mini.dmp"}, 1)[0]
        for marker in FAULTS
    }
    normal = seed(embedded, {MAIN: "test.dmp"}, 20)
    log = tmp_path / "processor.log"
    process = embedded.start("--until-idle", log=log)
    assert process.wait(DEADLINE_SECONDS) == 0, log.read_text()[-3000:]

    main, extra = expected_json("test.dmp"), expected_json("linux-mini.dmp")
    reasons = {"fault-panic": "panicked", "fault-hang": "timed out", "fault-abort": "died"}
    for marker, crash_id in faulty.items():
        processed = embedded.storage.load_processed_crash(crash_id)
        assert processed["json_dump"] == main
        assert processed[f"{MAIN}_{marker}"]["json_dump"] == extra
        assert processed[f"{MAIN}_{marker}"]["mdsw_status_string"] == "OK"
        # A walk in flight when another one aborts the service is reported as died.
        notes = {
            f"MinidumpStackwalkRule: {MAIN}_{marker}: stackwalker service failed ({reason}); "
            "walked again by a one-shot minidump-stackwalk"
            for reason in (reasons[marker], "died")
        }
        assert notes & set(processed["processor_notes"].splitlines()), processed["processor_notes"]
    for crash_id in normal:
        processed = embedded.storage.load_processed_crash(crash_id)
        assert processed["json_dump"] == main
        assert processed["signature"] == "(anonymous namespace)::CrashFunction"
    assert embedded.searchable() == Counter([*normal, *faulty.values()])
    assert "restarting the stackwalker service" in log.read_text()


def test_the_service_killed_mid_batch_loses_and_changes_nothing(
    embedded,  # noqa: F811
    service_path,
    tmp_path,
):
    embedded.env.update(STACKWALKER_SERVICE_PATH=service_path, PROCESSOR_THREADS="4")
    ids = seed(embedded, {MAIN: "pipeline-inlines-macos-segv.dmp"}, 80)
    log = tmp_path / "processor.log"
    process = embedded.start(log=log)
    wait_for(lambda: len(embedded.processed(ids)) >= 5, "the first crashes", process)
    killed = service_pids(process.pid)
    assert len(killed) == 1, killed
    os.kill(killed[0], signal.SIGKILL)
    assert len(embedded.processed(ids)) < len(ids), "killed too late to test anything"
    wait_for(lambda: embedded.queued() == 0, "the queues to drain", process)
    restarted = service_pids(process.pid)
    process.send_signal(signal.SIGTERM)
    assert process.wait(DEADLINE_SECONDS) == 0, log.read_text()[-3000:]
    assert restarted and restarted != killed

    expected = expected_json("pipeline-inlines-macos-segv.dmp")
    fallbacks = 0
    for crash_id in ids:
        processed = embedded.storage.load_processed_crash(crash_id)
        assert processed["json_dump"] == expected, crash_id
        assert processed["signature"] == "sadness_generator::raise_segfault"
        fallbacks += "stackwalker service failed (died)" in processed["processor_notes"]
    assert fallbacks <= 4  # at most the walks in flight when it was killed
    assert embedded.searchable() == Counter(ids)
    # The service stops with the processor.
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in restarted) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(Path(f"/proc/{pid}").exists() for pid in restarted)
