"""`jansky run`'s settings, components and ready banner; `jansky manage ensuresuperuser`."""

from __future__ import annotations

import argparse
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from jansky.commands.run import (
    RunSettings,
    _with_arguments,
    components,
    load_run_settings,
    ready_banner,
)
from jansky.config import load_core_settings
from tests.deployment import parse_jansky


def test_defaults_serve_on_the_documented_ports():
    settings = load_run_settings({})
    assert (settings.host, settings.collector_port, settings.webapp_port) == (
        "127.0.0.1",
        8800,
        8000,
    )
    assert settings.admin_username == "admin" and settings.admin_password == ""


def test_the_environment_and_then_the_command_line_choose_the_ports():
    settings = load_run_settings({"RUN_COLLECTOR_PORT": "9800", "RUN_WEBAPP_PORT": "9000"})
    assert settings.collector_url == "http://127.0.0.1:9800"
    args = argparse.Namespace(host=None, collector_port=None, webapp_port=9100)
    chosen = _with_arguments(settings, args)
    assert (chosen.collector_port, chosen.webapp_port) == (9800, 9100)


def test_components_are_jansky_commands_on_the_chosen_ports():
    settings = RunSettings("127.0.0.1", 9800, 9000, "admin", "", "")
    parts = {part.name: part for part in components(settings)}
    assert set(parts) == {"collector", "processor", "webapp", "cron"}
    for part in parts.values():
        assert parse_jansky(part.args).command == part.name
    assert parts["collector"].args[-1] == "127.0.0.1:9800"
    assert parts["collector"].ready_url == "http://127.0.0.1:9800/__lbheartbeat__"
    assert parts["webapp"].ready_url == "http://127.0.0.1:9000/__lbheartbeat__"
    # The processor and cron serve no HTTP: a log line says when each has started its work.
    assert parts["processor"].ready_line == "processor started"
    assert parts["cron"].ready_line == "cron loop started"


def test_the_banner_says_where_everything_is_and_what_to_try(tmp_path):
    settings = RunSettings("127.0.0.1", 9800, 9000, "admin", "", "")
    login = "Crash Stats superusers: admin"
    banner = ready_banner(components(settings), settings, login, 2.5, tmp_path / "my data")
    assert "Jansky is ready (2.5 s):" in banner
    assert "http://127.0.0.1:9800/submit" in banner and "http://127.0.0.1:9000" in banner
    assert "Crash Stats superusers: admin" in banner
    # The demo, from another terminal, reaches this run's database and servers.
    demo = next(line for line in banner.splitlines() if "Try," in line)
    assert f"DATA_DIR='{tmp_path / 'my data'}' " in demo
    assert demo.endswith(" demo --collector http://127.0.0.1:9800 --webapp http://127.0.0.1:9000")


def test_the_banner_tries_the_demo_with_no_options_by_default():
    settings = load_run_settings({})
    data_dir = load_core_settings({}).data_dir
    banner = ready_banner(components(settings), settings, "superusers: admin", 1.0, data_dir)
    demo = next(line for line in banner.splitlines() if "Try," in line)
    assert demo.endswith(" demo") and "DATA_DIR" not in demo
    assert parse_jansky(["demo"]).command == "demo"


@pytest.mark.django_db
def test_the_first_superuser_is_created_once_with_a_password_shown_once(monkeypatch):
    monkeypatch.delenv("DJANGO_SUPERUSER_PASSWORD", raising=False)
    out = StringIO()
    call_command("ensuresuperuser", "--username", "boss", stdout=out)
    message = out.getvalue()
    assert message.startswith("Crash Stats superuser boss created with password ")
    password = message.split("password ")[1].split(" ")[0]
    user = get_user_model().objects.get(username="boss")
    assert user.is_superuser and user.check_password(password)
    again = StringIO()
    call_command("ensuresuperuser", "--username", "other", stdout=again)
    assert again.getvalue().strip() == "Crash Stats superusers: boss"
    assert not get_user_model().objects.filter(username="other").exists()


@pytest.mark.django_db
def test_the_first_superusers_password_can_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-chosen-password")
    out = StringIO()
    call_command("ensuresuperuser", stdout=out)
    assert "a-chosen-password" not in out.getvalue()
    assert get_user_model().objects.get(username="admin").check_password("a-chosen-password")
