"""Schedules as pure functions: frequencies, times of day, the due check, backfill run times."""

from __future__ import annotations

import datetime

import pytest

from cronrun.jobs import JOBS, JobSpec
from cronrun.schedule import (
    InvalidSchedule,
    format_run_time,
    is_due,
    next_run_after,
    parse_frequency,
    parse_run_time,
    parse_time,
    run_times,
    snap,
)

UTC = datetime.UTC
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    "text, expected",
    [("5m", datetime.timedelta(minutes=5)), ("1h", HOUR), ("7d", 7 * DAY), ("90m", 1.5 * HOUR)],
)
def test_frequencies(text, expected):
    assert parse_frequency(text) == expected


@pytest.mark.parametrize("text", ["", "0h", "1w", "h", "1.5h", "-1d", "1 h", "1H"])
def test_bad_frequencies(text):
    with pytest.raises(InvalidSchedule, match="must look like 5m, 1h or 7d"):
        parse_frequency(text)


@pytest.mark.parametrize("text", ["24:00", "4:00", "04:60", "0400", "", "04:00:00"])
def test_bad_times(text):
    with pytest.raises(InvalidSchedule, match="HH:MM"):
        parse_time(text)


def test_a_bad_declaration_fails_when_made():
    with pytest.raises(InvalidSchedule):
        JobSpec("x", frequency="1w")
    with pytest.raises(InvalidSchedule):
        JobSpec("x", time="25:00")


def test_declared_jobs_are_unique_and_valid():
    names = [spec.cmd for spec in JOBS]
    assert len(names) == len(set(names))
    assert {"verifyprocessed", "retention", "updatesignatures", "clearsessions"} <= set(names)


def test_snap_and_next_run():
    four = parse_time("04:00")
    assert snap(at("2024-03-09T17:23:45.5"), four) == at("2024-03-09T04:00")
    assert snap(at("2024-03-09T17:23:45"), None) == at("2024-03-09T17:23:45")
    assert next_run_after(at("2024-03-09T04:02:10"), DAY, four) == at("2024-03-10T04:00")
    assert next_run_after(at("2024-03-09T10:30"), HOUR, None) == at("2024-03-09T11:30")


def test_due():
    four = parse_time("04:00")
    assert is_due(None, None, at("2024-03-09T00:00"))
    assert not is_due(None, four, at("2024-03-09T03:59"))
    assert is_due(None, four, at("2024-03-09T04:00"))
    assert not is_due(at("2024-03-09T10:00"), None, at("2024-03-09T10:00"))
    assert is_due(at("2024-03-09T10:00"), None, at("2024-03-09T10:00:01"))


def test_a_job_runs_once_at_now_without_backfill():
    now = at("2024-03-09T10:05")
    assert list(run_times(at("2024-03-01T00:00"), HOUR, None, False, now)) == [now]
    assert list(run_times(None, HOUR, None, True, now)) == [now]


def test_backfill_runs_every_missed_interval_in_order():
    times = list(run_times(at("2024-03-09T05:00"), HOUR, None, True, at("2024-03-09T10:05")))
    assert times == [at(f"2024-03-09T{hour:02d}:00") for hour in range(6, 11)]


def test_backfill_snaps_to_the_time_of_day():
    four = parse_time("04:00")
    times = list(run_times(at("2024-03-06T04:03:10"), DAY, four, True, at("2024-03-09T04:01")))
    assert times == [at("2024-03-07T04:00"), at("2024-03-08T04:00"), at("2024-03-09T04:00")]


def test_backfill_waits_for_its_next_interval():
    assert list(run_times(at("2024-03-09T10:00"), HOUR, None, True, at("2024-03-09T10:30"))) == []


def test_run_time_format_round_trips():
    moment = at("2024-03-09T04:00")
    assert format_run_time(moment) == "2024-03-09T04:00"
    assert parse_run_time("2024-03-09T04:00") == moment
    assert parse_run_time("2024-03-09T04:00:00") == moment
    assert parse_run_time("2024-03-09") == at("2024-03-09T00:00")
    with pytest.raises(InvalidSchedule, match="YYYY-MM-DDTHH:MM"):
        parse_run_time("yesterday")
