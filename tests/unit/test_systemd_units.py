"""deploy/systemd: the bare-metal units run real `jansky` commands with settings Jansky reads,
start after setup, stop after their own grace periods, and pass `systemd-analyze verify`."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from antenna.config import load_collector_settings
from cronrun.config import load_cron_jobs_settings, load_cron_settings
from jansky.config import load_core_settings
from processor.config import load_processor_settings
from tests.deployment import (
    SYSTEMD_DIR,
    bind_port,
    duration_seconds,
    environment_file,
    load_compose,
    parse_jansky_executable,
    unit_sections,
    variable_problems,
)
from tests.servers import unavailable
from webapp.config import load_webapp_settings

INSTALLED_JANSKY = "/opt/jansky/.venv/bin/jansky"
ENV_FILE = "/etc/jansky/jansky.env"
SERVICES = sorted(SYSTEMD_DIR.glob("jansky-*.service"))
LONG_RUNNING = {"collector", "processor", "webapp", "cron"}


def role(unit: Path) -> str:
    return unit.name.removeprefix("jansky-").removesuffix(".service")


def service_section(unit: Path) -> dict[str, list[str]]:
    return unit_sections(unit)["Service"]


def test_there_is_a_unit_for_setup_and_for_every_long_running_role():
    assert {role(unit) for unit in SERVICES} == LONG_RUNNING | {"setup"}


def test_the_target_starts_every_unit():
    target = unit_sections(SYSTEMD_DIR / "jansky.target")
    wanted = {name for line in target["Unit"]["Wants"] for name in line.split()}
    assert wanted == {unit.name for unit in SERVICES}
    assert target["Install"]["WantedBy"] == ["multi-user.target"]


@pytest.mark.parametrize("unit", SERVICES, ids=lambda unit: unit.name)
def test_each_unit_runs_its_jansky_command(unit: Path):
    service = service_section(unit)
    [command] = service["ExecStart"]
    argv = shlex.split(command)
    assert argv[0] == INSTALLED_JANSKY
    namespace = parse_jansky_executable(argv)
    assert namespace.command == role(unit)
    port = bind_port(namespace)
    if port is not None:
        assert namespace.bind.startswith("127.0.0.1:"), "servers sit behind a proxy"
    assert service["EnvironmentFile"] == [ENV_FILE]
    assert service["User"] == ["jansky"] and service["StateDirectory"] == ["jansky"]


def test_the_environment_file_holds_settings_jansky_accepts():
    env = environment_file(SYSTEMD_DIR / "jansky.env")
    assert variable_problems(env) == []
    assert load_core_settings(env).data_dir == Path("/var/lib/jansky")  # the StateDirectory
    load_webapp_settings(env)
    load_collector_settings(env)
    load_processor_settings(env)
    load_cron_settings(env)
    load_cron_jobs_settings(env)


@pytest.mark.parametrize("unit", SERVICES, ids=lambda unit: unit.name)
def test_servers_start_after_setup_and_belong_to_the_target(unit: Path):
    sections = unit_sections(unit)
    assert sections["Install"]["WantedBy"] == ["jansky.target"]
    assert sections["Unit"]["PartOf"] == ["jansky.target"]
    if role(unit) == "setup":
        assert sections["Service"]["Type"] == ["oneshot"]
        assert sections["Service"]["RemainAfterExit"] == ["yes"]
        return
    assert sections["Unit"]["Requires"] == ["jansky-setup.service"]
    assert "jansky-setup.service" in sections["Unit"]["After"][0].split()
    assert sections["Service"]["Restart"] == ["on-failure"]


def test_servers_are_given_time_to_finish_what_they_hold():
    env = environment_file(SYSTEMD_DIR / "jansky.env")
    grace = {
        "collector": load_collector_settings(env).worker_timeout,
        "processor": load_processor_settings(env).shutdown_seconds,
        "webapp": load_webapp_settings(env).timeout,
    }
    for unit in SERVICES:
        if role(unit) in grace:
            [stop] = service_section(unit)["TimeoutStopSec"]
            assert float(stop) > grace[role(unit)], unit.name


def test_cron_has_the_grace_period_compose_gives_it():
    [stop] = service_section(SYSTEMD_DIR / "jansky-cron.service")["TimeoutStopSec"]
    grace = load_compose()["services"]["cron"]["stop_grace_period"]
    assert float(stop) == duration_seconds(grace)


def test_systemd_accepts_the_units(tmp_path: Path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        unavailable("systemd-analyze is not installed (Debian's systemd package ships it)")
    # The units name the installed virtualenv; verify them against this one.
    jansky = str(Path(sys.executable).with_name("jansky"))
    copies = []
    for unit in [*SERVICES, SYSTEMD_DIR / "jansky.target"]:
        copy = tmp_path / unit.name
        copy.write_text(unit.read_text().replace(INSTALLED_JANSKY, jansky))
        copies.append(str(copy))
    result = subprocess.run(
        [analyze, "verify", *copies], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0 and result.stderr == "", result.stderr
