"""`jansky demo`'s checks before it does anything, and the annotations it sends with a crash."""

from __future__ import annotations

import datetime
import os

from jansky.cli import main
from jansky.crashgen import Crashgen
from tests.live import free_port


def test_the_demo_says_to_start_jansky_run_when_nothing_answers(capsys):
    port = free_port()  # nothing listens there
    code = main(["demo", "--collector", f"http://127.0.0.1:{port}", "--webapp", "http://x:1"])
    assert code == 1
    error = capsys.readouterr().err
    assert error.startswith("jansky demo: the collector does not answer (cannot reach ")
    assert "start `jansky run` first" in error


def test_the_demo_follows_jansky_runs_ports(monkeypatch, capsys):
    port = free_port()
    monkeypatch.setenv("RUN_COLLECTOR_PORT", str(port))
    assert main(["demo"]) == 1
    assert f"http://127.0.0.1:{port}/__lbheartbeat__" in capsys.readouterr().err


def test_crashes_carry_what_firefoxs_crash_reporter_adds(tmp_path):
    binary = tmp_path / "crashgen"
    binary.write_bytes(b"")
    built = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC).timestamp()
    os.utime(binary, (built, built))
    dump = tmp_path / "panic.dmp"
    dump.write_bytes(b"MDMP")
    os.utime(dump, (built + 100, built + 100))
    own = {"ProductName": "crashgen", "Version": "0.1.0", "MozCrashReason": "boom"}
    annotations = Crashgen(binary, tmp_path).reporter_annotations(own, int(built) + 90, dump)
    assert annotations == {
        **own,
        "BuildID": "20260102030405",
        "InstallTime": str(int(built)),
        "StartupTime": str(int(built) + 90),
        "CrashTime": str(int(built) + 100),
        "ReleaseChannel": "nightly",
        "Vendor": "Jansky",
        "SubmittedFrom": "Auto",
    }
