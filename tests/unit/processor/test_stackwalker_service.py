"""The stackwalker service against the real minidump-stackwalk: same bytes out, faults contained."""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import shutil
import signal
import stat
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from processor.child_process import run_captured
from processor.config import CACHED_SERVICE, InvalidProcessorSetting, load_processor_settings
from processor.pipeline import Pipeline
from processor.rules.stackwalker import MinidumpStackwalkRule
from processor.rulesets import build_rulesets, make_stackwalker
from processor.service_stackwalker import ServiceStackwalker, service_flags
from processor.stackwalker import Stackwalker, StackwalkResult
from processor.stackwalker_service import (
    ServiceFailure,
    ServiceSettings,
    ServiceUnavailable,
    StackwalkerService,
    rust_minidump_release,
)
from tests.servers import provisioned
from tests.unit.processor.conftest import CRASH_ID, raw_crash

KILL_TIMEOUT = 60.0


def shared_dumps(rust_minidump: Path) -> list[Path]:
    dumps = sorted(rust_minidump.glob("*.dmp"))
    assert len(dumps) >= 7
    return dumps


@pytest.fixture
def walkers(
    stackwalker: Stackwalker, service_path: str
) -> Iterator[tuple[Stackwalker, ServiceStackwalker]]:
    """The one-shot stackwalker with the test symbols, and the service with the same settings."""
    service = StackwalkerService(ServiceSettings(service_path, cache_size=1 << 30, max_memory=0))
    walker = ServiceStackwalker(stackwalker, service)
    yield stackwalker, walker
    walker.close()


def one_shot_output(
    walker: Stackwalker, dump: Path, evil: bytes | None
) -> tuple[int, bytes, bytes]:
    walker.make_symbol_directories()
    return run_captured(walker.command(dump, evil_json=evil is not None), evil or b"", KILL_TIMEOUT)


def service_output(walker: ServiceStackwalker, dump: Path, evil: bytes | None):
    header = {
        "op": "walk",
        "dump": str(dump),
        "symbols": walker._symbols,
        "evil_json": evil is not None,
    }
    answer = walker.service.request(header, evil or b"", KILL_TIMEOUT)
    assert answer.outcome == "walked", answer.message
    return answer.exit_code, answer.output, answer.log


@pytest.mark.parametrize("symbols", [True, False], ids=["symbols", "no-symbols"])
@pytest.mark.parametrize("evil", [True, False], ids=["evil-json", "no-evil-json"])
def test_every_shared_dump_walks_to_the_bytes_minidump_stackwalk_prints(
    walkers, rust_minidump, service_path, tmp_path, symbols, evil
):
    one_shot, service = walkers
    if not symbols:
        one_shot = dataclasses.replace(one_shot, symbols_paths=())
        service.close()
        service = ServiceStackwalker(
            one_shot,
            StackwalkerService(ServiceSettings(service_path, cache_size=1 << 30, max_memory=0)),
        )
    evil_json = (rust_minidump / "evil.json").read_bytes() if evil else None
    for dump in shared_dumps(rust_minidump):
        expected = one_shot_output(one_shot, dump, evil_json)
        assert service_output(service, dump, evil_json) == expected, dump.name
    if not symbols:
        service.close()


def test_a_raw_crash_that_is_not_json_is_logged_as_minidump_stackwalk_logs_it(
    walkers, rust_minidump
):
    one_shot, service = walkers
    dump = rust_minidump / "test.dmp"
    expected = one_shot_output(one_shot, dump, b"{not json")
    assert expected[2].startswith(b"ERROR Could not parse Extra JSON")
    assert service_output(service, dump, b"{not json") == expected


def test_concurrent_walks_get_their_own_answers(walkers, rust_minidump):
    one_shot, service = walkers
    dumps = shared_dumps(rust_minidump)
    expected = {dump: one_shot_output(one_shot, dump, None) for dump in dumps}
    jobs = [dumps[index % len(dumps)] for index in range(60)]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda dump: service_output(service, dump, None), jobs))
    assert answers == [expected[dump] for dump in jobs]


def test_each_symbol_file_is_parsed_once(walkers, rust_minidump):
    _one_shot, service = walkers
    for _round in range(5):
        for name in ("test.dmp", "pipeline-inlines-macos-segv.dmp"):
            result = service.run(rust_minidump / name, name, b"{}")
            assert result.status == "OK"
    stats = service.service.stats()
    assert stats["loads"] == 2  # test_app.sym and crash-client.sym
    assert stats["entries"] == 2
    assert stats["hits"] >= 8
    assert 1 << 20 < stats["bytes"] < 200 << 20


def test_the_cache_stays_within_its_size_and_evicts(stackwalker, service_path, rust_minidump):
    # Room for the Windows test symbols (about 2 MB parsed), not for both files.
    service = StackwalkerService(ServiceSettings(service_path, cache_size=6 << 20, max_memory=0))
    walker = ServiceStackwalker(stackwalker, service)
    try:
        expected = {}
        for name in ("test.dmp", "pipeline-inlines-macos-segv.dmp") * 3:
            dump = rust_minidump / name
            expected.setdefault(name, one_shot_output(stackwalker, dump, None))
            assert service_output(walker, dump, None) == expected[name]
        stats = service.stats()
        assert stats["bytes"] <= 6 << 20
        assert stats["evictions"] + stats["too_big"] >= 2
        assert stats["loads"] >= 4
    finally:
        walker.close()


def test_the_processor_result_is_the_one_shot_result(walkers, rust_minidump):
    one_shot, service = walkers
    evil = (rust_minidump / "evil.json").read_bytes()
    for dump in shared_dumps(rust_minidump):
        assert service.run(dump, dump.name, evil) == one_shot.run(dump, dump.name, evil)


def test_an_empty_dump_is_not_sent(walkers, tmp_path):
    _one_shot, service = walkers
    empty = tmp_path / "empty.dmp"
    empty.write_bytes(b"")
    result = service.run(empty, "empty")
    assert result.status == "EmptyMinidump"
    assert service.service.pid is None  # never started


# ---- faults: each is contained to its own walk, which one-shot minidump-stackwalk walks again --


def fault_walker(stackwalker: Stackwalker, path: str, max_walks: int) -> ServiceStackwalker:
    walker = dataclasses.replace(stackwalker, kill_timeout=3.0)
    settings = ServiceSettings(path, 1 << 30, max_memory=400 << 20, max_walks=max_walks)
    return ServiceStackwalker(walker, StackwalkerService(settings))


@pytest.fixture
def faulty(stackwalker, fault_service_path) -> Iterator[ServiceStackwalker]:
    walker = fault_walker(stackwalker, fault_service_path, max_walks=4)
    yield walker
    walker.close()


def marked(rust_minidump: Path, tmp_path: Path, marker: str, name: str = "test.dmp") -> Path:
    """A copy of a real dump whose file name carries a fault marker."""
    path = tmp_path / f"{marker}.{name}"
    shutil.copyfile(rust_minidump / name, path)
    return path


def walk_alongside(
    walker: ServiceStackwalker, fault: Path, normal: list[Path]
) -> tuple[StackwalkResult, list[StackwalkResult]]:
    """Walk ``fault`` while the ``normal`` dumps are walked at the same time."""
    with ThreadPoolExecutor(len(normal) + 1) as pool:
        failing = pool.submit(walker.run, fault, "fault", b"{}")
        time.sleep(0.2)
        others = list(pool.map(lambda dump: walker.run(dump, dump.name, b"{}"), normal))
        return failing.result(), others


@pytest.mark.parametrize(
    ("marker", "note", "restarts"),
    [
        ("fault-panic", "stackwalker service failed (panicked)", 0),
        ("fault-hang", "stackwalker service failed (timed out)", 1),
        ("fault-abort", "stackwalker service failed (died)", 1),
        ("fault-memory", "stackwalker service failed (over its memory limit)", 1),
    ],
)
def test_a_failed_walk_is_walked_again_by_one_shot_minidump_stackwalk(
    faulty, stackwalker, rust_minidump, tmp_path, marker, note, restarts
):
    fault = marked(rust_minidump, tmp_path, marker)
    normal = [rust_minidump / "pipeline-inlines-macos-segv.dmp", rust_minidump / "linux-mini.dmp"]
    result, others = walk_alongside(faulty, fault, normal)
    expected = stackwalker.run(rust_minidump / "test.dmp", "fault", b"{}")
    assert result.notes[0] == f"{note}; walked again by a one-shot minidump-stackwalk"
    assert (result.json_dump, result.status, result.return_code) == (
        expected.json_dump,
        expected.status,
        expected.return_code,
    )
    for dump, other in zip(normal, others, strict=True):
        assert other == stackwalker.run(dump, dump.name, b"{}"), dump.name
    # The service serves the next walk (restarted if it had to be).
    after = faulty.run(rust_minidump / "test.dmp", "after", b"{}")
    assert after.notes == [] and after.status == "OK"
    assert faulty.service.restarts == restarts


def test_walks_in_flight_when_another_times_out_are_walked_again_by_the_service(
    stackwalker, fault_service_path, rust_minidump, tmp_path
):
    # One walk at a time: the others wait in the service behind the hang, in flight, innocent.
    walker = fault_walker(stackwalker, fault_service_path, max_walks=1)
    hang = marked(rust_minidump, tmp_path, "fault-hang")
    waiting = [rust_minidump / "linux-mini.dmp", rust_minidump / "test.dmp"]
    try:
        with ThreadPoolExecutor(3) as pool:
            hanging = pool.submit(walker.run, hang, "hang", None)
            time.sleep(1.0)
            others = [pool.submit(walker.run, dump, dump.name, None) for dump in waiting]
            assert "timed out" in hanging.result().notes[0]
            for dump, other in zip(waiting, others, strict=True):
                result = other.result()
                assert result.notes == []
                assert result == stackwalker.run(dump, dump.name, None)
        assert walker.service.restarts == 1
    finally:
        walker.close()


def test_a_killed_service_is_restarted_by_the_next_walk(walkers, rust_minidump):
    one_shot, service = walkers
    dump = rust_minidump / "test.dmp"
    assert service.run(dump, "first").status == "OK"
    pid = service.service.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)
    result = service.run(dump, "second")
    assert result.notes == [] and result.status == "OK"
    assert service.service.restarts == 1
    assert service.service.pid not in (None, pid)
    assert result == one_shot.run(dump, "second")


def test_walks_in_flight_when_the_service_is_killed_all_end_with_a_result(
    faulty, stackwalker, rust_minidump, tmp_path
):
    hangs = [marked(rust_minidump, tmp_path, f"fault-hang{index}") for index in range(3)]
    with ThreadPoolExecutor(3) as pool:
        running = [pool.submit(faulty.run, dump, dump.name, None) for dump in hangs]
        deadline = time.monotonic() + 10
        while faulty.service.pid is None and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        os.kill(faulty.service.pid, signal.SIGKILL)
        results = [future.result() for future in running]
    expected = stackwalker.run(rust_minidump / "test.dmp", "x", None)
    for result in results:
        assert result.notes[0].startswith("stackwalker service failed (died)")
        assert result.json_dump == expected.json_dump


# ---- the processor's side of the protocol, against stand-ins that misbehave ------------------


def fake_service(tmp_path: Path, body: str) -> str:
    script = tmp_path / "fake-service"
    script.write_text(
        "#!/usr/bin/env python3\nimport json, struct, sys\n"
        "if '--version' in sys.argv:\n    print('jansky-stackwalker 9 (rust-minidump 0.1.0)')\n"
        "    sys.exit(0)\n" + body
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


READ_ONE = (
    "data = sys.stdin.buffer.read(4)\n"
    "size = struct.unpack('<I', data)[0]\n"
    "payload = sys.stdin.buffer.read(size)\n"
    "hlen = struct.unpack('<I', payload[:4])[0]\n"
    "header = json.loads(payload[4:4 + hlen])\n"
)


@pytest.mark.parametrize(
    "answer",
    [
        "sys.stdout.buffer.write(b'\\x05\\x00\\x00\\x00garbage'); sys.stdout.flush()",
        "h = json.dumps({'id': header['id'] + 1, 'outcome': 'walked', 'exit_code': 0,"
        " 'log_len': 0}).encode(); sys.stdout.buffer.write(struct.pack('<II', 4 + len(h),"
        " len(h)) + h); sys.stdout.flush()",
        "sys.stdout.buffer.write(b'\\xff\\xff\\xff\\x7f'); sys.stdout.flush()",
        "sys.exit(3)",
    ],
    ids=["garbage", "unknown-id", "huge-frame", "exit"],
)
def test_a_broken_answer_stream_fails_the_walks_in_flight(tmp_path, answer):
    service = StackwalkerService(
        ServiceSettings(fake_service(tmp_path, READ_ONE + answer + "\n"), 1 << 20, 0)
    )
    with pytest.raises(ServiceFailure) as failure:
        service.request({"op": "walk", "dump": "/x"}, b"", 10)
    assert failure.value.suspect
    service.close()


def test_a_reaped_service_is_never_signalled(tmp_path, monkeypatch):
    # Its pid, and so its group id, may already belong to another program's session.
    service = StackwalkerService(
        ServiceSettings(fake_service(tmp_path, READ_ONE + "sys.exit(3)\n"), 1 << 20, 0)
    )
    with pytest.raises(ServiceFailure):
        service.request({"op": "walk", "dump": "/x"}, b"", 10)
    instance = service._instance
    assert instance is not None and instance.process.returncode == 3
    signalled: list[int] = []
    monkeypatch.setattr(os, "killpg", lambda pid, sig: signalled.append(pid))
    instance.kill(None, "late time limit", "timeout")
    assert signalled == []
    service.close()


def test_answers_out_of_order_reach_their_requests(tmp_path):
    body = (
        "def answer(request_id):\n"
        "    h = json.dumps({'id': request_id, 'outcome': 'walked', 'exit_code': request_id,"
        " 'log_len': 1}).encode()\n"
        "    sys.stdout.buffer.write(struct.pack('<II', 4 + len(h) + 3, len(h)) + h + b'L{}')\n"
        "    sys.stdout.flush()\n"
        "ids = []\n"
        "for _ in range(2):\n" + "".join(f"    {line}\n" for line in READ_ONE.splitlines()) + ""
        "    ids.append(header['id'])\n"
        "for request_id in reversed(ids):\n    answer(request_id)\n"
        "sys.stdin.buffer.read()\n"
    )
    service = StackwalkerService(ServiceSettings(fake_service(tmp_path, body), 1 << 20, 0))
    results: dict[int, int] = {}

    def ask(index: int) -> None:
        answer = service.request({"op": "walk", "dump": f"/{index}"}, b"", 10)
        results[index] = answer.exit_code
        assert (answer.log, answer.output) == (b"L", b"{}")

    threads = [threading.Thread(target=ask, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
        time.sleep(0.2)
    for thread in threads:
        thread.join(10)
    assert sorted(results.values()) == [1, 2]
    service.close()


def test_a_service_on_another_rust_minidump_release_is_refused(stackwalker, tmp_path):
    path = fake_service(tmp_path, "")
    walker = ServiceStackwalker(stackwalker, StackwalkerService(ServiceSettings(path, 1, 0)))
    with pytest.raises(ServiceUnavailable, match="different rust-minidump releases"):
        walker.version()


def test_a_missing_service_is_reported(stackwalker, tmp_path):
    walker = ServiceStackwalker(
        stackwalker, StackwalkerService(ServiceSettings(str(tmp_path / "nope"), 1, 0))
    )
    with pytest.raises(ServiceUnavailable, match="bin/provision stackwalker"):
        walker.version()


def test_versions_name_their_rust_minidump_release():
    assert rust_minidump_release("jansky-stackwalker 0.1.0 (rust-minidump 0.27.0)") == "0.27.0"
    assert rust_minidump_release("minidump-stackwalk 0.27.0") == "0.27.0"
    assert rust_minidump_release("minidump-stackwalk 0.27.0 (2024-05-01 01234567)") == "0.27.0"
    assert rust_minidump_release("hang 1.0") is None


def test_extra_stackwalker_flags_become_request_fields():
    assert service_flags(
        [
            "--symbols-download-timeout-secs=60",
            "--features=stable-all",
            "--recover-function-args",
            "--pretty",
            "--verbose=error",
        ]
    ) == {
        "download_timeout_secs": 60,
        "features": "stable-all",
        "recover_function_args": True,
        "pretty": True,
    }
    with pytest.raises(ValueError, match="STACKWALKER_MODE=process"):
        service_flags(["--use-local-debuginfo"])


def test_the_service_refuses_unknown_features(walkers, rust_minidump):
    _one_shot, service = walkers
    header = {"op": "walk", "dump": str(rust_minidump / "test.dmp"), "features": "everything"}
    answer = service.service.request(header, b"", 10)
    assert answer.outcome == "refused"
    assert "unknown features" in (answer.message or "")


# ---- generated dumps: real crashes of crashgen, symbolicated with its dump_syms symbols ------


@pytest.fixture(scope="session")
def crashgen_dumps(tmp_path_factory) -> tuple[list[Path], Path]:
    """One minidump of each kind of crashgen crash, and crashgen's symbol store."""
    crashgen = Path(
        provisioned(CACHED_SERVICE.parents[2] / "crashgen" / "bin" / "crashgen", "crashgen")
    )
    store = crashgen.parents[1] / "symbols"
    out = tmp_path_factory.mktemp("crashgen")
    kinds = subprocess.run(
        [str(crashgen), "kinds"], capture_output=True, text=True, check=True
    ).stdout.split()
    assert len(kinds) >= 6
    for kind in kinds:
        subprocess.run([str(crashgen), "crash", kind, "--out", str(out)], check=True, timeout=120)
    dumps = sorted(out.glob("*.dmp"))
    assert len(dumps) == len(kinds)
    return dumps, store


def without_limits_order(walked: tuple[int, bytes, bytes]) -> tuple[int, object, bytes]:
    """A walk with ``proc_limits.limits`` sorted by name: minidump-stackwalk 0.27.0 prints that
    list from a HashMap, in a different order at each run of the same dump, so only the order
    of that list may differ; everything else is compared as printed."""
    code, output, log = walked
    if not output:
        return walked
    data = json.loads(output)
    limits = (data.get("proc_limits") or {}).get("limits")
    if limits:
        limits.sort(key=lambda limit: limit["name"])
    return code, data, log


def test_minidump_stackwalk_itself_prints_the_limits_in_any_order(stackwalker, crashgen_dumps):
    dumps, _store = crashgen_dumps
    outputs = {one_shot_output(stackwalker, dumps[0], None)[1] for _ in range(6)}
    assert len(outputs) > 1  # the reason for without_limits_order
    assert len({json.dumps(without_limits_order((0, out, b""))[1]) for out in outputs}) == 1


def test_generated_dumps_walk_to_the_bytes_minidump_stackwalk_prints(
    stackwalker, service_path, crashgen_dumps
):
    dumps, store = crashgen_dumps
    one_shot = dataclasses.replace(stackwalker, symbols_paths=(str(store),))
    walker = ServiceStackwalker(
        one_shot, StackwalkerService(ServiceSettings(service_path, 1 << 30, max_memory=0))
    )
    try:
        for dump in dumps:
            raw_crash = dump.with_suffix(".json").read_bytes()
            expected = one_shot_output(one_shot, dump, raw_crash)
            assert expected[0] == 0, expected[2]
            walked = service_output(walker, dump, raw_crash)
            assert without_limits_order(walked) == without_limits_order(expected), dump.name
            frames = walker.run(dump, dump.name, raw_crash).json_dump["crashing_thread"]["frames"]
            assert any((frame.get("function") or "").startswith("crashgen::") for frame in frames)
        assert walker.service.stats()["loads"] == 1  # crashgen.sym, parsed once for every dump
    finally:
        walker.close()


# ---- settings: the service by default, one process per crash on request ----------------------


def test_the_service_is_the_default_and_process_mode_is_a_setting(tmp_path):
    settings = load_processor_settings({"DATA_DIR": str(tmp_path)})
    assert settings.stackwalker_mode == "service"
    assert (settings.service_cache_size, settings.service_max_memory) == (2 << 30, 6 << 30)
    assert isinstance(make_stackwalker(settings), ServiceStackwalker)
    settings = load_processor_settings(
        {
            "DATA_DIR": str(tmp_path),
            "STACKWALKER_MODE": "process",
            "STACKWALKER_SERVICE_CACHE_SIZE": "512mb",
        }
    )
    assert isinstance(make_stackwalker(settings), Stackwalker)
    assert settings.service_cache_size == 512 << 20


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("STACKWALKER_MODE", "threads", "STACKWALKER_MODE must be one of service, process"),
        ("STACKWALKER_SERVICE_CACHE_SIZE", "lots", "STACKWALKER_SERVICE_CACHE_SIZE"),
        ("STACKWALKER_SERVICE_MAX_MEMORY", "-1gb", "STACKWALKER_SERVICE_MAX_MEMORY"),
        ("STACKWALKER_SERVICE_THREADS", "-2", "STACKWALKER_SERVICE_THREADS must be 0 or more"),
    ],
)
def test_bad_service_settings_are_refused(tmp_path, key, value, message):
    with pytest.raises(InvalidProcessorSetting, match=message):
        load_processor_settings({"DATA_DIR": str(tmp_path), key: value})


def test_extra_args_the_service_does_not_take_are_refused_at_startup(tmp_path):
    settings = load_processor_settings(
        {"DATA_DIR": str(tmp_path), "STACKWALKER_EXTRA_ARGS": "--use-local-debuginfo"}
    )
    with pytest.raises(ValueError, match="STACKWALKER_MODE=process"):
        make_stackwalker(settings)


def test_closing_the_pipeline_stops_the_service(walkers, schema, rust_minidump, tmp_path):
    _one_shot, walker = walkers
    pipeline = Pipeline(build_rulesets(schema, MinidumpStackwalkRule(walker)))
    processed = pipeline.process(
        CRASH_ID,
        "default",
        raw_crash(),
        {"upload_file_minidump": rust_minidump / "test.dmp"},
        {},
        tmp_path,
    )
    assert processed["signature"] == "(anonymous namespace)::CrashFunction"
    pid = walker.service.pid
    assert pid is not None
    pipeline.close()
    assert walker.service.pid is None
    assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text()


# ---- symbols from a symbol server (a loopback HTTP server), downloaded and cached ------------


@pytest.fixture
def symbol_server(rust_minidump) -> Iterator[str]:
    """The test symbols served over HTTP on the loopback, as a symbol server serves them."""
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(rust_minidump / "symbols"))
    SimpleHTTPRequestHandler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_symbols_from_a_symbol_server_give_minidump_stackwalks_output(
    stackwalker, service_path, rust_minidump, symbol_server, tmp_path
):
    def walker_with_cache(name: str) -> Stackwalker:
        return dataclasses.replace(
            stackwalker,
            symbols_paths=(),
            symbols_urls=(symbol_server,),
            symbols_cache_path=tmp_path / name / "cache",
            symbols_tmp_path=tmp_path / name / "tmp",
        )

    one_shot, for_service = walker_with_cache("one-shot"), walker_with_cache("service")
    for_service.make_symbol_directories()  # as ServiceStackwalker.run does
    service = ServiceStackwalker(
        for_service, StackwalkerService(ServiceSettings(service_path, 1 << 30, max_memory=0))
    )
    try:
        for dump in (rust_minidump / "test.dmp", rust_minidump / "pipeline-inlines-macos-segv.dmp"):
            downloaded = one_shot_output(one_shot, dump, None)  # downloads into its cache
            assert b'"symbol_url":"http://127.0.0.1' in downloaded[1]
            assert service_output(service, dump, None) == downloaded, dump.name
            # Again: minidump-stackwalk reads its disk cache, the service its memory.
            assert one_shot_output(one_shot, dump, None) == downloaded
            assert service_output(service, dump, None) == downloaded
        # The service downloaded into its own disk cache as minidump-stackwalk does.
        cached = sorted(path.name for path in (tmp_path / "service" / "cache").rglob("*.sym"))
        assert cached == ["crash-client.sym", "test_app.sym"]
        assert service.service.stats()["loads"] == 2
    finally:
        service.close()
