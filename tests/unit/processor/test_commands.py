"""`jansky reprocess` and `jansky processor` argument handling and settings."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest

from jansky.crashid import create_crash_id
from jansky.queue import REPROCESSING
from jansky.queue.sqlite import SqliteCrashQueue
from processor import command, reprocess_command
from processor.config import InvalidProcessorSetting, load_processor_settings


def parse(module, argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    module.configure(parser)
    return parser.parse_args(argv)


@pytest.fixture
def queue_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "queue.db"
    monkeypatch.setenv("QUEUE_URL", f"sqlite://{path}")
    return path


def received(path: Path) -> list[str]:
    return [message.body for message in SqliteCrashQueue(path).receive(REPROCESSING, 100)]


def test_reprocess_ids_from_arguments_with_ruleset(queue_env):
    ids = [create_crash_id() for _ in range(3)]
    args = parse(
        reprocess_command,
        ["--quiet", "--ruleset", "regenerate_signature", f"bp-{ids[0]}", *ids[1:]],
    )
    assert reprocess_command.run(args) == 0
    assert sorted(received(queue_env)) == sorted(f"{i}:regenerate_signature" for i in ids)


def test_reprocess_ids_from_stdin(queue_env, monkeypatch):
    ids = [create_crash_id() for _ in range(250)]
    monkeypatch.setattr("sys.stdin", io.StringIO("# ids\n\n" + "\n".join(ids) + "\n"))
    assert reprocess_command.run(parse(reprocess_command, ["--quiet"])) == 0
    assert len(received(queue_env)) == 100  # one receive; all 250 are there
    assert SqliteCrashQueue(queue_env).counts()[REPROCESSING].visible == 150


def test_reprocess_refuses_a_bad_id_and_queues_nothing(queue_env, capsys):
    args = parse(reprocess_command, ["--quiet", create_crash_id(), "../../etc/passwd"])
    assert reprocess_command.run(args) == 2
    assert "nothing was queued" in capsys.readouterr().err
    assert not queue_env.exists() or received(queue_env) == []


def test_reprocess_rejects_unknown_rulesets():
    with pytest.raises(SystemExit):
        parse(reprocess_command, ["--ruleset", "nope", create_crash_id()])


def test_processor_settings_defaults_and_checks(tmp_path):
    settings = load_processor_settings({"DATA_DIR": str(tmp_path)})
    assert settings.max_attempts == 5  # QUEUE_MAX_RECEIVES
    assert settings.symbols_cache_path == tmp_path.resolve() / "symbols-cache"
    assert settings.mozilla_rules is False
    assert settings.ack_batch_seconds == 0.5
    with pytest.raises(InvalidProcessorSetting, match="PROCESSOR_THREADS"):
        load_processor_settings({"PROCESSOR_THREADS": "0"})
    for bad in ({"PROCESSOR_ACK_BATCH_SECONDS": "-1"}, {"QUEUE_LEASE_SECONDS": "1"}):
        with pytest.raises(InvalidProcessorSetting, match="PROCESSOR_ACK_BATCH_SECONDS"):
            load_processor_settings(bad)
    assert load_processor_settings({"QUEUE_LEASE_SECONDS": "1.1"}).ack_batch_seconds == 0.5


def test_processor_refuses_to_start_without_a_stackwalker(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("STACKWALKER_PATH", str(tmp_path / "missing"))
    assert command.run(parse(command, ["--until-idle"])) == 1
    assert "STACKWALKER_PATH" in capsys.readouterr().err


def test_processor_refuses_to_start_without_the_stackwalker_service(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("STACKWALKER_SERVICE_PATH", str(tmp_path / "missing"))
    assert command.run(parse(command, ["--until-idle"])) == 1
    error = capsys.readouterr().err
    assert "bin/provision stackwalker" in error and "STACKWALKER_MODE=process" in error


def test_processor_refuses_extra_args_the_service_does_not_take(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("STACKWALKER_EXTRA_ARGS", "--use-local-debuginfo")
    assert command.run(parse(command, ["--until-idle"])) == 1
    assert "STACKWALKER_MODE=process" in capsys.readouterr().err
