"""The collector app in process (Falcon's test client) over in-memory backends."""

from __future__ import annotations

import asyncio
import datetime
import gzip
import hashlib
import importlib.metadata
import json
import re
import threading
from pathlib import Path

import pytest
from falcon import testing
from markus.testing import MetricsMock

from antenna.app import build_app
from antenna.breakpad_resource import build_raw_crash
from antenna.client import encode_report
from antenna.config import load_collector_settings
from antenna.payload import Payload
from antenna.throttler import WHOLE_CRASH, Result, Rule, Throttler
from jansky.crashid import create_crash_id, validate_crash_id
from jansky.queue.base import STANDARD
from jansky.storage.base import StorageError
from tests.unit.collector.doubles import MemoryQueue, MemoryStorage

ANNOTATIONS = {"ProductName": "Firefox", "Version": "1"}
DUMPS = {"upload_file_minidump": b"abcd1234"}
ABCD_SHA256 = "e9cee71ab932fde863338d08be4de9dfe39ea049bdafb342ce659ec5450b69ae"


class Collector:
    def __init__(self, env=None, rules=None, storage=None, queue=None) -> None:
        self.storage = storage or MemoryStorage()
        self.queue = queue or MemoryQueue()
        settings = load_collector_settings({"COLLECTOR_RETRY_SLEEP_SECONDS": "0", **(env or {})})
        throttler = Throttler(rules) if rules else None
        self.app = build_app(settings, self.storage, self.queue, throttler)
        self.client = testing.TestClient(self.app)

    def submit(self, annotations=ANNOTATIONS, dumps=DUMPS, headers=None, **kwargs):
        report = encode_report(annotations, dumps, **kwargs)
        return self.client.simulate_post(
            "/submit", body=report.body, headers={**report.headers, **(headers or {})}
        )


@pytest.fixture
def collector() -> Collector:
    return Collector()


def crash_id_of(response) -> str:
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text.startswith("CrashID=bp-") and response.text.endswith("\n")
    return validate_crash_id(response.text[len("CrashID=bp-") : -1], strict=True)


def test_accepted_crash_is_stored_and_queued(collector):
    with MetricsMock() as metrics:
        response = collector.submit(headers={"User-Agent": "crashreporter/1"})
    crash_id = crash_id_of(response)
    raw = collector.storage.raw[crash_id]
    assert collector.queue.published == {STANDARD: [crash_id]}
    assert collector.storage.dumps[crash_id] == DUMPS
    assert raw["uuid"] == crash_id and raw["version"] == 2
    assert raw["metadata"] == {
        "collector_notes": [],
        "dump_checksums": {"upload_file_minidump": ABCD_SHA256},
        "payload": "multipart",
        "payload_compressed": "0",
        "payload_size": len(encode_report(ANNOTATIONS, DUMPS).body),
        "throttle_rule": "accept_everything",
        "user_agent": "crashreporter/1",
    }
    submitted = datetime.datetime.fromisoformat(raw["submitted_timestamp"])
    assert submitted.utcoffset() == datetime.timedelta(0)
    assert crash_id.endswith(submitted.strftime("%y%m%d")) and crash_id[-7] == "0"
    metrics.assert_incr_once("socorro.collector.breakpad_resource.incoming_crash")
    metrics.assert_incr_once("socorro.collector.breakpad_resource.throttle", tags=["result:accept"])


def test_gzip_and_json_extra(collector):
    response = collector.submit(json_extra=True, compress=True)
    raw = collector.storage.raw[crash_id_of(response)]
    assert raw["metadata"]["payload"] == "json"
    assert raw["metadata"]["payload_compressed"] == "1"
    assert raw["ProductName"] == "Firefox"


def test_collector_fields_overwrite_client_ones_and_bad_fields_are_removed(collector):
    annotations = {
        **ANNOTATIONS,
        "metadata": "x",
        "version": "9",
        "Email": "a@b.c",
        "TelemetryClientId": "t",
    }
    raw = collector.storage.raw[crash_id_of(collector.submit(annotations))]
    assert "Email" not in raw and "TelemetryClientId" not in raw
    assert raw["version"] == 2
    assert raw["metadata"]["collector_notes"] == [
        "Removed Email from raw crash.",
        "Removed TelemetryClientId from raw crash.",
    ]


def test_removal_happens_after_throttling():
    rules = [Rule("has_email", "Email", lambda v: True, Result.REJECT)]
    collector = Collector(rules=rules)
    assert collector.submit({"Email": "a@b.c"}).text == "Discarded=rule_has_email"


def test_no_user_agent_is_recorded_as_none_text():
    payload = Payload(annotations={"A": "1"}, dumps={})
    now = datetime.datetime(2026, 11, 22, 8, 11, tzinfo=datetime.UTC)
    raw, _ = build_raw_crash(payload, create_crash_id(now), now, None, "rule", ())
    assert raw["metadata"]["user_agent"] == "None"
    assert raw["submitted_timestamp"] == "2026-11-22T08:11:00+00:00"


@pytest.mark.parametrize(
    ("result", "stored", "queued", "digit"),
    [(Result.DEFER, True, False, "1"), (Result.FAKEACCEPT, False, False, "3")],
)
def test_defer_and_fakeaccept(result, stored, queued, digit):
    collector = Collector(rules=[Rule("r", WHOLE_CRASH, lambda c: True, result)])
    crash_id = collector.submit().text[len("CrashID=bp-") : -1]
    assert crash_id[-7] == digit
    assert (crash_id in collector.storage.raw) is stored
    assert bool(collector.queue.published) is queued


def test_reject_is_a_200_with_the_rule_name():
    collector = Collector(env={"COLLECTOR_THROTTLE_RULES": "mozilla"})
    response = collector.submit({"ProductName": "Unknown"})
    assert (response.status_code, response.text) == (200, "Discarded=rule_unsupported_product")
    assert collector.storage.raw == {} and collector.queue.published == {}


@pytest.mark.parametrize(
    ("headers", "body", "status", "text"),
    [
        ({}, b"x", 400, "Discarded=malformed_no_content_type"),
        ({"Content-Type": "text/plain"}, b"x", 400, "Discarded=malformed_wrong_content_type"),
        ({"Content-Type": "multipart/form-data"}, b"x", 400, "Discarded=malformed_no_boundary"),
        (
            {"Content-Type": "multipart/form-data; boundary=x"},
            b"",
            400,
            "Discarded=malformed_no_content_length",
        ),
        (
            {"Content-Type": "multipart/form-data; boundary=x", "Content-Encoding": "gzip"},
            b"junk",
            400,
            "Discarded=malformed_bad_gzip",
        ),
        (
            {"Content-Type": "multipart/form-data; boundary=foo"},
            b"foobarbaz",
            400,
            "Discarded=malformed_invalid_payload_structure",
        ),
    ],
)
def test_malformed_answers(collector, headers, body, status, text):
    response = collector.client.simulate_post("/submit", body=body, headers=headers)
    assert (response.status_code, response.text) == (status, text)
    assert response.headers["content-type"].startswith("text/plain")
    assert collector.storage.save_calls == 0


def test_size_limits_answer_413():
    collector = Collector(
        env={"COLLECTOR_MAX_BODY_BYTES": "1000", "COLLECTOR_MAX_DECOMPRESSED_BYTES": "5000"}
    )
    big = collector.submit(dumps={"upload_file_minidump": b"x" * 2000})
    assert (big.status_code, big.text) == (413, "Discarded=too_large")
    bomb = collector.submit(dumps={"upload_file_minidump": b"\0" * 100_000}, compress=True)
    assert (bomb.status_code, bomb.text) == (413, "Discarded=too_large")
    assert collector.storage.save_calls == 0


def test_body_limit_boundary_is_inclusive():
    size = len(encode_report(ANNOTATIONS, DUMPS, boundary="b").body)
    collector = Collector(env={"COLLECTOR_MAX_BODY_BYTES": str(size)})
    assert collector.submit(boundary="b").status_code == 200
    assert collector.submit(boundary="bb").status_code == 413


def test_save_failure_is_a_500_and_nothing_is_queued():
    collector = Collector(storage=MemoryStorage(failures=100))
    response = collector.submit()
    assert (response.status_code, response.text) == (500, "")
    assert response.headers["retry-after"] == "30"
    assert collector.queue.published == {}


def test_publish_failure_is_a_503_with_retry_after():
    collector = Collector(queue=MemoryQueue(failures=100))
    response = collector.submit()
    assert (response.status_code, response.text) == (503, "")
    assert response.headers["retry-after"] == "30"
    assert len(collector.storage.raw) == 1  # stored, so a verify job can find it later


def test_uuid_needs_the_bearer_token():
    crash_id = create_crash_id()
    open_collector = Collector()
    response = open_collector.submit({**ANNOTATIONS, "uuid": crash_id})
    assert (response.status_code, response.text) == (401, "Discarded=unauthorized_uuid")

    collector = Collector(env={"COLLECTOR_SUBMITTER_BEARER_TOKEN": "s3cret"})
    wrong = collector.submit(
        {**ANNOTATIONS, "uuid": crash_id}, headers={"Authorization": "Bearer nope"}
    )
    assert wrong.status_code == 401
    good = collector.submit(
        {**ANNOTATIONS, "uuid": crash_id}, headers={"Authorization": "Bearer s3cret"}
    )
    assert crash_id_of(good) == crash_id
    bad = collector.submit(
        {**ANNOTATIONS, "uuid": "not-a-crash-id"}, headers={"Authorization": "Bearer s3cret"}
    )
    assert (bad.status_code, bad.text) == (400, "Discarded=malformed_invalid_uuid")


def test_trusted_uuid_with_an_impossible_date_is_refused():
    collector = Collector(env={"COLLECTOR_SUBMITTER_BEARER_TOKEN": "s3cret"})
    impossible = create_crash_id()[:-6] + "991399"
    response = collector.submit(
        {**ANNOTATIONS, "uuid": impossible}, headers={"Authorization": "Bearer s3cret"}
    )
    assert (response.status_code, response.text) == (400, "Discarded=malformed_invalid_uuid")
    assert collector.storage.raw == {} and collector.queue.published == {}


def test_routes_and_methods(collector):
    options = collector.client.simulate_options("/submit")
    assert options.status_code == 200 and options.headers["allow"] == "POST"
    for method in ("GET", "PUT", "HEAD"):
        assert collector.client.simulate_request(method, "/submit").status_code == 405
    for path in ("/submit/", "/SUBMIT", "/nope"):
        response = collector.client.simulate_get(path)
        assert (response.status_code, response.json) == (404, {"title": "404 Not Found"})


def test_query_string_is_ignored(collector):
    report = encode_report(ANNOTATIONS, DUMPS)
    response = collector.client.simulate_post(
        "/submit", body=report.body, headers=report.headers, query_string="a=1"
    )
    crash_id_of(response)


def test_health_endpoints(tmp_path: Path):
    version = tmp_path / "version.json"
    version.write_text(json.dumps({"commit": "abc", "version": "1", "source": "s", "build": "b"}))
    collector = Collector(env={"COLLECTOR_VERSION_FILE": str(version)})
    client = collector.client
    lb = client.simulate_get("/__lbheartbeat__")
    assert (lb.status_code, lb.text) == (200, "")
    assert client.simulate_get("/__heartbeat__").json == {"errors": []}
    assert client.simulate_get("/__version__").json["commit"] == "abc"
    collector.storage.healthy = False
    collector.queue.healthy = False
    down = client.simulate_get("/__heartbeat__")
    assert down.status_code == 503
    assert down.json == {"errors": ["storage: StorageError", "queue: QueueError"]}
    broken = client.simulate_get("/__broken__")
    assert (broken.status_code, broken.json) == (500, {"title": "500 Internal Server Error"})


def test_heartbeat_errors_show_no_server_paths(tmp_path: Path):
    """The 503 used to carry the storage's exception text, absolute paths and all."""

    class PathLeakingStorage(MemoryStorage):
        def check_health(self):
            try:
                open(tmp_path / "secret" / "dir" / "file")  # noqa: SIM115
            except OSError as exc:
                raise StorageError(f"{tmp_path}/secret: cannot write: {exc}") from exc

    collector = Collector(storage=PathLeakingStorage())
    down = collector.client.simulate_get("/__heartbeat__")
    assert down.status_code == 503
    assert down.json == {"errors": ["storage: No such file or directory"]}
    assert str(tmp_path) not in down.text


def test_missing_version_file_reports_the_dockerflow_keys(tmp_path: Path):
    """It used to answer ``{}``."""
    collector = Collector(env={"COLLECTOR_VERSION_FILE": str(tmp_path / "none.json")})
    info = collector.client.simulate_get("/__version__").json
    assert set(info) == {"source", "version", "commit", "build", "cloud"}
    assert info["version"] == importlib.metadata.version("jansky")
    assert info["cloud"] == "local"
    assert re.fullmatch(r"[0-9a-f]{40}|", info["commit"])


@pytest.mark.parametrize("path", ["/submit", "//submit", "///submit?x=1"])
def test_admission_by_bytes_waits_then_answers_503(path):
    """A report that finds no room waits, then gets 503 with Retry-After. Every spelling of
    the path is admitted the same way (``POST //submit`` used to escape the in-flight count)."""
    entered, release = threading.Event(), threading.Event()

    class SlowStorage(MemoryStorage):
        def save_raw_crash(self, crash_id, raw_crash, dumps, cancel=None):
            entered.set()
            release.wait(10)
            super().save_raw_crash(crash_id, raw_crash, dumps, cancel)

    report = encode_report(ANNOTATIONS, DUMPS)
    room = str(len(report.body) * 3 // 2)  # one report fits, two do not
    env = {
        "COLLECTOR_MAX_BYTES_IN_FLIGHT": room,
        "COLLECTOR_MAX_BODY_BYTES": room,
        "COLLECTOR_ADMISSION_WAIT_SECONDS": "0.3",
    }
    collector = Collector(env=env, storage=SlowStorage())

    async def scenario() -> tuple:
        async with testing.ASGIConductor(collector.app) as conductor:

            async def post(to: str = "/submit"):
                return await conductor.simulate_post(to, body=report.body, headers=report.headers)

            first = asyncio.create_task(post())
            while not entered.is_set():
                await asyncio.sleep(0.01)
            with MetricsMock() as metrics:
                refused = await post(path)
            assert metrics.filter_records("incr", "socorro.collector.breakpad_resource.overloaded")
            lb = await conductor.simulate_get("/__lbheartbeat__")
            late = asyncio.create_task(post(path))  # waits for room, and gets it
            await asyncio.sleep(0.05)
            release.set()
            return refused, lb, await first, await late

    refused, lb, first, late = asyncio.run(scenario())
    assert (refused.status_code, refused.headers["retry-after"], refused.text) == (503, "30", "")
    assert lb.status_code == 200
    crash_id_of(first)
    crash_id_of(late)


def test_a_report_that_can_never_fit_is_refused_before_its_body_is_read():
    collector = Collector(env={"COLLECTOR_MAX_BODY_BYTES": "100"})
    report = encode_report(ANNOTATIONS, DUMPS)
    with MetricsMock() as metrics:
        response = collector.client.simulate_post(
            "/submit", body=report.body, headers=report.headers
        )
    assert (response.status_code, response.text) == (413, "Discarded=too_large")
    metrics.assert_incr_once("socorro.collector.breakpad_resource.too_large")


def test_gzip_bad_payload_after_decompression():
    collector = Collector()
    response = collector.client.simulate_post(
        "/submit",
        body=gzip.compress(b"junk"),
        headers={"Content-Type": "multipart/form-data; boundary=x", "Content-Encoding": "gzip"},
    )
    assert response.text == "Discarded=malformed_invalid_payload_structure"


def test_checksums_cover_every_dump(collector):
    dumps = {"upload_file_minidump": b"a", "memory_report": b"b"}
    raw = collector.storage.raw[crash_id_of(collector.submit(dumps=dumps))]
    assert raw["metadata"]["dump_checksums"] == {
        name: hashlib.sha256(data).hexdigest() for name, data in dumps.items()
    }


def test_every_emitted_metric_is_documented(collector):
    from antenna.metrics import METRIC_NAMES, PREFIX

    with MetricsMock() as metrics:
        collector.submit(compress=True)
        collector.client.simulate_post("/submit", body=b"x", headers={})
        for path in ("/__lbheartbeat__", "/__heartbeat__", "/__version__"):
            collector.client.simulate_get(path)
    emitted = {record.key for record in metrics.get_records()}
    assert emitted
    assert emitted <= {f"{PREFIX}.{name}" for name in METRIC_NAMES}
