"""The runner's commands (cronrun, cronlist, cronreset, cronmarksuccess) and `jansky cron`."""

from __future__ import annotations

import datetime

import pytest
from django.core.management.base import CommandError
from django.utils import timezone

from cronrun.command import command_name
from cronrun.jobs import JobSpec
from cronrun.models import Job, Log
from jansky.cli import main
from tests.unit.cronrun.conftest import run_command

pytestmark = pytest.mark.django_db
JOBS = [
    JobSpec("crontest", "1h", backfill=True, last_success=True, summary="a test"),
    # Midnight: a job never run is due once its time of day has come, which midnight always has
    # (another hour would make the tests depend on when they run).
    JobSpec("cleanse_cronlog", "7d", time="00:00", summary="old rows"),
]


@pytest.fixture(autouse=True)
def jobs(settings):
    settings.CRON_JOBS = JOBS


def test_cronrun_runs_due_jobs_and_lists_outcomes():
    output = run_command("cronrun")
    assert "crontest: succeeded (1 run)" in output
    assert "cleanse_cronlog: " in output
    assert "crontest: not due" in run_command("cronrun", "--job", "crontest")


def test_cronrun_fails_when_a_job_fails():
    with pytest.raises(CommandError, match=r"failed: crontest \(`jansky cron list` shows why\)"):
        run_command("cronrun", "--job", "crontest", "--job-arg", "crash")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--force"], "--force and --job-arg need --job NAME"),
        (["--job-arg", "print"], "--force and --job-arg need --job NAME"),
        (["--job", "nope"], "no job called 'nope'; the jobs are: crontest, cleanse_cronlog"),
        (["--job", "crontest", "--job-arg", "=x"], "names no option"),
    ],
)
def test_cronrun_bad_arguments(args, message):
    with pytest.raises(CommandError, match=message):
        run_command("cronrun", *args)


def test_cronlist_shows_the_state():
    listing = run_command("cronlist")
    assert "crontest: a test" in listing and "every 1h (backfill, last-success)" in listing
    assert listing.count("Never run.") == 2
    run_command("cronrun", "--job", "crontest")
    with pytest.raises(CommandError):
        run_command("cronrun", "--job", "cleanse_cronlog", "--job-arg", "days=-1")
    listing = run_command("cronlist")
    assert "last success:" in listing and listing.count("Never run.") == 0
    assert "every 7d at 00:00 UTC" in listing
    assert "failing:      1 error(s) in a row, last CommandError: --days must be" in listing


def test_cronreset_forgets_jobs():
    run_command("cronrun")
    assert "crontest: reset" in run_command("cronreset", "crontest")
    assert set(Job.objects.values_list("app_name", flat=True)) == {"cleanse_cronlog"}
    assert "crontest: had no state" in run_command("cronreset", "all")
    assert not Job.objects.exists()
    with pytest.raises(CommandError, match="unknown job"):
        run_command("cronreset", "nope")


def test_cronmarksuccess_sets_the_last_success():
    before = timezone.now()
    run_command("cronmarksuccess", "crontest")
    job = Job.objects.get(app_name="crontest")
    assert before <= job.last_success == job.next_run and job.first_run is not None
    # A backfill job marked as succeeded waits for its next interval.
    assert "crontest: waiting" in run_command("cronrun", "--job", "crontest")
    assert not Log.objects.filter(app_name="crontest").exists()
    waiting = Job.objects.get(app_name="crontest")
    assert waiting.next_run == job.last_success + datetime.timedelta(hours=1)
    run_command("cronmarksuccess")
    midnight = Job.objects.get(app_name="cleanse_cronlog").last_success
    assert (midnight.hour, midnight.minute) == (0, 0)


def test_jansky_cron_words():
    assert command_name("run") == "cronrun" and command_name("list") == "cronlist"
    assert command_name("retention") == "retention" and command_name("cronreset") == "cronreset"
    assert command_name("migrate") is None


def test_jansky_cron_refuses_other_commands(capsys):
    assert main(["cron", "migrate"]) == 2
    assert "unknown command 'migrate'; use one of: run, list" in capsys.readouterr().err


def test_jansky_cron_help_has_examples(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["cron", "--help"])
    assert exit.value.code == 0
    assert "jansky cron run --job verifyprocessed --force" in capsys.readouterr().out
