"""docker/Dockerfile, checked without a Docker engine: the stages build what bin/provision builds,
the image runs as a non-root user, its commands are ones `jansky` accepts, its variables are
settings Jansky reads, and the version.json it writes is Dockerflow's."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from fnmatch import fnmatch

import pytest

from antenna.config import REPO_ROOT as COLLECTOR_ROOT
from antenna.config import load_collector_settings
from antenna.health import build_version_info
from tests.deployment import (
    DOCKERIGNORE,
    Instruction,
    dockerfile_instructions,
    env_assignments,
    final_stage,
    parse_jansky,
    parse_jansky_executable,
    provision_pins,
    variable_problems,
)
from tests.servers import ROOT

VERSION_SCRIPT = ROOT / "docker" / "version_json.py"
DOCKERFLOW_KEYS = {"source", "version", "commit", "build"}


@pytest.fixture(scope="module")
def instructions() -> list[Instruction]:
    return dockerfile_instructions()


@pytest.fixture(scope="module")
def image(instructions) -> list[Instruction]:
    return final_stage(instructions)


def only(instructions: list[Instruction], keyword: str) -> Instruction:
    found = [item for item in instructions if item.keyword == keyword]
    assert len(found) == 1, f"expected one {keyword}, found {len(found)}"
    return found[0]


def build_args(instructions: list[Instruction]) -> dict[str, str]:
    return {
        name: value.strip('"')
        for item in instructions
        if item.keyword == "ARG"
        for name, _, value in [item.arguments.partition("=")]
    }


def test_the_stackwalkers_are_the_ones_bin_provision_builds(instructions):
    stage = [item for item in instructions if item.stage == "stackwalker"]
    runs = [item.arguments for item in stage if item.keyword == "RUN"]
    pinned = build_args(stage)["MINIDUMP_STACKWALK_VERSION"]
    assert pinned == provision_pins()["MINIDUMP_STACKWALK_VERSION"]
    assert any(
        "cargo install minidump-stackwalk" in run
        and "${MINIDUMP_STACKWALK_VERSION}" in run
        and "--locked" in run
        for run in runs
    )
    assert any("cargo install --path /src/stackwalker --locked" in run for run in runs)


def test_the_image_holds_both_stackwalkers_on_the_path(image):
    copied = [
        item.arguments for item in image if item.keyword == "COPY" and "--from=" in item.arguments
    ]
    for binary in ("minidump-stackwalk", "jansky-stackwalker"):
        assert any(line.endswith(f"/usr/local/bin/{binary}") for line in copied), binary


def test_the_front_end_stage_feeds_the_image(instructions, image):
    stage = [item for item in instructions if item.stage == "assets"]
    assert stage and any("npm ci" in item.arguments for item in stage if item.keyword == "RUN")
    assert any(
        item.keyword == "COPY"
        and item.arguments.startswith("--from=assets ")
        and item.arguments.endswith("./webapp/frontend/dist")
        for item in image
    )


def test_the_image_runs_as_a_user_that_is_not_root(image):
    user = only(image, "USER").arguments.split(":")[0]
    assert user not in {"root", "0"}
    created = " ".join(item.arguments for item in image if item.keyword == "RUN")
    assert f"useradd --uid 10001 --gid {user}" in created or f"useradd {user}" in created


def test_the_entrypoint_is_jansky_and_every_command_parses(image):
    assert only(image, "ENTRYPOINT").exec_form() == ["jansky"]
    command = only(image, "CMD").exec_form()
    assert command is not None and parse_jansky(command).command == "collector"
    health = only(image, "HEALTHCHECK").exec_form()
    assert health is not None and parse_jansky_executable(health).command == "healthcheck"


def test_every_variable_set_in_the_image_is_read_by_jansky(image):
    env = {
        name: value
        for item in image
        if item.keyword == "ENV"
        for name, value in env_assignments(item.arguments)
    }
    assert env["DATA_DIR"] == "/app/var"
    assert variable_problems(env) == []


def test_copied_sources_exist_and_reach_the_build_context(instructions):
    ignored = [
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for item in instructions:
        if item.keyword != "COPY" or item.arguments.startswith("--from="):
            continue
        for source in shlex.split(item.arguments)[:-1]:
            assert (ROOT / source).exists(), f"COPY {source}: no such file in the repository"
            excluded = [
                pattern
                for pattern in ignored
                if fnmatch(source, pattern) or source.startswith(pattern + "/")
            ]
            assert excluded == [], f"COPY {source}, but .dockerignore excludes it"


def test_the_build_context_leaves_out_local_state():
    ignored = set(DOCKERIGNORE.read_text().split())
    assert {".git", ".venv", "var", "**/node_modules", "**/target"} <= ignored


def test_version_json_is_written_where_the_collector_reads_it(image):
    workdir = only(image, "WORKDIR").arguments
    writes = [
        item.arguments
        for item in image
        if item.keyword == "RUN" and "docker/version_json.py" in item.arguments
    ]
    assert len(writes) == 1 and f"> {workdir}/version.json" in writes[0]
    # The collector's default version file is version.json beside its package, which the
    # image copies to WORKDIR/antenna.
    assert load_collector_settings({}).version_file == COLLECTOR_ROOT / "version.json"
    assert any(item.arguments == "antenna ./antenna" for item in image if item.keyword == "COPY")
    arguments = writes[0].split("version_json.py", 1)[1].split(">")[0]
    flags = {word.lstrip("-") for word in shlex.split(arguments) if word.startswith("--")}
    assert flags == DOCKERFLOW_KEYS
    assert {key.upper() for key in DOCKERFLOW_KEYS} <= set(build_args(image))


def test_version_json_has_dockerflows_keys_and_the_collector_serves_it(tmp_path):
    result = subprocess.run(
        [sys.executable, str(VERSION_SCRIPT), "--commit", "c0ffee", "--source", "https://x/j"],
        capture_output=True,
        text=True,
        check=True,
    )
    info = json.loads(result.stdout)
    assert set(info) == DOCKERFLOW_KEYS
    assert info["commit"] == "c0ffee" and info["build"] == ""
    assert info["version"]  # the package's version when none is given
    (tmp_path / "version.json").write_text(result.stdout)
    assert build_version_info(tmp_path / "version.json", tmp_path, "local") == info
