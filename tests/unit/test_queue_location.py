"""Choosing and configuring the queue backend from QUEUE_URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from jansky.queue import open_queue, open_queue_from_settings
from jansky.queue.base import UnknownQueue, check_queue_name
from jansky.queue.location import (
    InvalidQueueUrl,
    SqliteLocation,
    SqsLocation,
    parse_queue_url,
)
from jansky.queue.sqlite import SqliteCrashQueue
from jansky.queue.sqs import SqsCrashQueue


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///srv/jansky/queue.db", SqliteLocation("/srv/jansky/queue.db")),
        ("sqlite://var/queue.db", SqliteLocation("var/queue.db")),
        ("sqlite://queue.db", SqliteLocation("queue.db")),
        ("sqs://?prefix=jansky-", SqsLocation("jansky-")),
        ("sqs://?prefix=prod_crash-", SqsLocation("prod_crash-")),
        ("sqs://?prefix=", SqsLocation("")),
        ("sqs://", SqsLocation("jansky-")),
        ("sqs:///", SqsLocation("jansky-")),
    ],
)
def test_parse_queue_url(url: str, expected: object) -> None:
    assert parse_queue_url(url) == expected


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("", "expected <scheme>://"),
        ("/srv/queue.db", "expected <scheme>://"),
        ("sqlite://", "no path"),
        ("redis://localhost/0", "unknown scheme 'redis'"),
        ("SQS://?prefix=x", "unknown scheme 'SQS'"),
        ("sqs://localhost:9324?prefix=x", "AWS_ENDPOINT_URL_SQS"),
        ("sqs://?queue=standard", "unknown parameter"),
        ("sqs://?prefix=a&prefix=b", "prefix once"),
    ],
)
def test_invalid_urls_say_what_is_wrong_and_what_is_supported(url: str, reason: str) -> None:
    with pytest.raises(InvalidQueueUrl) as excinfo:
        parse_queue_url(url)
    message = str(excinfo.value)
    assert reason in message
    assert "sqlite:///" in message and "sqs://?prefix=" in message


def test_open_queue_sqlite_takes_lease_and_max_receives_from_env(tmp_path: Path) -> None:
    env = {"QUEUE_LEASE_SECONDS": "12.5", "QUEUE_MAX_RECEIVES": "2"}
    queue = open_queue(f"sqlite://{tmp_path}/sub/queue.db", env)
    assert isinstance(queue, SqliteCrashQueue)
    assert queue.path == tmp_path / "sub" / "queue.db"
    assert queue.path.exists()
    assert (queue.lease_seconds, queue.max_receives) == (12.5, 2)


def test_open_queue_sqs_builds_a_client_with_the_configured_timeouts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:1")
    env = {
        "QUEUE_LEASE_SECONDS": "60",
        "QUEUE_MAX_RECEIVES": "7",
        "QUEUE_SQS_CONNECT_TIMEOUT": "2",
        "QUEUE_SQS_READ_TIMEOUT": "9",
        "QUEUE_SQS_MAX_ATTEMPTS": "4",
    }
    queue = open_queue("sqs://?prefix=test-", env)
    assert isinstance(queue, SqsCrashQueue)
    assert queue.queue_name("dead-letter") == "test-dead-letter"
    assert (queue.lease_seconds, queue.max_receives, queue.max_attempts) == (60, 7, 4)
    config = queue._client.meta.config
    assert (config.connect_timeout, config.read_timeout) == (2, 9)
    assert queue._client.meta.endpoint_url == "http://127.0.0.1:1"


def test_open_queue_from_settings_defaults_to_sqlite_under_data_dir(tmp_path: Path) -> None:
    queue = open_queue_from_settings({"DATA_DIR": str(tmp_path)})
    assert isinstance(queue, SqliteCrashQueue)
    assert queue.path == tmp_path / "queue.db"


def test_open_queue_from_settings_follows_queue_url(tmp_path: Path) -> None:
    env = {"DATA_DIR": str(tmp_path), "QUEUE_URL": f"sqlite://{tmp_path}/elsewhere.db"}
    queue = open_queue_from_settings(env)
    assert isinstance(queue, SqliteCrashQueue)
    assert queue.path == tmp_path / "elsewhere.db"


@pytest.mark.parametrize("prefix", ["a" * 69, "jansky.", "jan/sky-", "jänsky-", "jansky-\n"])
def test_sqs_prefix_must_make_valid_queue_names(prefix: str) -> None:
    with pytest.raises(ValueError, match="invalid SQS queue prefix"):
        SqsCrashQueue(prefix=prefix, client=object())


def test_check_queue_name() -> None:
    assert check_queue_name("standard") == "standard"
    assert check_queue_name("dead-letter", allow_dead_letter=True) == "dead-letter"
    with pytest.raises(UnknownQueue, match=r"'dead-letter'.*priority, standard, reprocessing$"):
        check_queue_name("dead-letter")
    with pytest.raises(UnknownQueue, match=r"'\.\./standard'"):
        check_queue_name("../standard", allow_dead_letter=True)
