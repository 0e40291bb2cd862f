"""Read the deployment files (docker-compose.yml, docker/Dockerfile, the systemd units) the way
their tools do, and tell whether a command line or an environment variable is one Jansky accepts.

No Docker engine runs here: docker-compose.yml is interpolated as compose does and checked against
the Compose Specification's JSON schema (provisioned by `bin/provision compose-spec`); commands are
parsed with `jansky`'s own argument parser and variables checked against every declared option.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import re
import shlex
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from everett.manager import Option, get_config_for_class

from jansky.cli import build_parser
from jansky.config import DOCUMENTED_COMPONENTS
from jansky.services.paths import cache_dir
from tests.servers import ROOT, provisioned

COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "docker" / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
SYSTEMD_DIR = ROOT / "deploy" / "systemd"
PROVISION = ROOT / "bin" / "provision"

# Variables Jansky's processes are given that are not Jansky options, and who reads them.
EXTERNAL_VARIABLES = {
    "AWS_REGION": "jansky.storage.s3 and jansky.queue.sqs (botocore reads AWS_DEFAULT_REGION)",
    "AWS_EC2_METADATA_DISABLED": "botocore.utils: no instance-metadata credential lookups",
    "AWS_ACCESS_KEY_ID": "botocore.credentials.EnvProvider",
    "AWS_SECRET_ACCESS_KEY": "botocore.credentials.EnvProvider",
    "AWS_SESSION_TOKEN": "botocore.credentials.EnvProvider",
    "AWS_ENDPOINT_URL_S3": "botocore: the endpoint of the S3 client",
    "AWS_ENDPOINT_URL_SQS": "botocore: the endpoint of the SQS client",
    "PYTHONUNBUFFERED": "Python: logs reach the container's output at once",
    "PYTHONDONTWRITEBYTECODE": "Python: no .pyc files in the read-only code",
    "DJANGO_SUPERUSER_PASSWORD": "Django's createsuperuser and `jansky manage ensuresuperuser`",
}


def declared_options() -> dict[str, Option]:
    """Every everett option Jansky declares, by environment variable name."""
    options = {}
    for path in DOCUMENTED_COMPONENTS:
        module_name, class_name = path.split(":")
        component = getattr(importlib.import_module(module_name), class_name)
        for name, (option, _cls) in get_config_for_class(component).items():
            options[name.upper()] = option
    return options


def botocore_variables() -> set[str]:
    """The environment variables botocore itself reads for its session settings."""
    from botocore.configprovider import BOTOCORE_DEFAUT_SESSION_VARIABLES

    names: set[str] = set()
    for _name, env_names, _default, _conversion in BOTOCORE_DEFAUT_SESSION_VARIABLES.values():
        if isinstance(env_names, str):
            names.add(env_names)
        elif env_names:
            names.update(env_names)
    return names


def variable_problems(env: Mapping[str, str]) -> list[str]:
    """What is wrong with an environment given to a Jansky process: unknown names, and values
    the declared option's parser refuses."""
    options = declared_options()
    known_aws = botocore_variables()
    problems = []
    for name, value in env.items():
        option = options.get(name)
        if option is not None:
            try:
                option.parser(value)
            except (ValueError, TypeError) as exc:
                problems.append(f"{name}={value!r}: {exc}")
        elif name not in EXTERNAL_VARIABLES and name not in known_aws:
            problems.append(f"{name} is neither a Jansky option (`jansky config`) nor known")
    return problems


class CommandLineError(AssertionError):
    """A command line `jansky` refuses; the message is argparse's."""


def parse_jansky(args: Sequence[str]) -> argparse.Namespace:
    """Parse ``jansky ARGS`` with the real parser; raises CommandLineError with its message."""
    errors = io.StringIO()
    try:
        with contextlib.redirect_stderr(errors):
            namespace = build_parser().parse_args(list(args))
    except SystemExit as exc:
        raise CommandLineError(f"jansky {shlex.join(args)}: {errors.getvalue().strip()}") from exc
    if not getattr(namespace, "handler", None):
        raise CommandLineError(f"jansky {shlex.join(args)}: no command")
    return namespace


def parse_jansky_executable(argv: Sequence[str], executable: str = "jansky") -> argparse.Namespace:
    """``argv`` must run `jansky` (by name or by a path ending in /jansky) with valid arguments."""
    if not argv or (argv[0] != executable and not argv[0].endswith("/jansky")):
        raise CommandLineError(f"{shlex.join(argv)} does not run jansky")
    return parse_jansky(argv[1:])


# ---- docker-compose.yml --------------------------------------------------------------------

INTERPOLATION = re.compile(
    r"\$(?:(?P<escaped>\$)|(?P<bare>[A-Za-z_][A-Za-z0-9_]*)|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"(?:(?P<operator>:?[-?+])(?P<argument>[^}]*))?\})"
)


class InterpolationError(ValueError):
    """A `${VAR:?message}` whose variable is unset, or a form compose would refuse."""


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """Compose's variable interpolation: ``$$``, ``$VAR``, ``${VAR}``, and ``${VAR:-default}``,
    ``${VAR:?error}``, ``${VAR:+replacement}`` (without the colon: only when unset)."""

    def replace(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        if match["bare"]:
            return env.get(match["bare"], "")
        name, operator, argument = match["name"], match["operator"], match["argument"]
        value = env.get(name)
        unset = value is None or (operator is not None and operator.startswith(":") and not value)
        if operator is None:
            return value or ""
        if operator.endswith("+"):
            return "" if unset else argument
        if not unset:
            return value or ""
        if operator.endswith("-"):
            return argument
        raise InterpolationError(f"{name} must be set: {argument}")

    if re.search(r"\$(?!\$)", INTERPOLATION.sub("", text)):
        raise InterpolationError(f"invalid interpolation format in {text!r}")
    return INTERPOLATION.sub(replace, text)


def _interpolated(node: Any, env: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [_interpolated(item, env) for item in node]
    if isinstance(node, dict):
        return {key: _interpolated(value, env) for key, value in node.items()}
    return node


def load_compose(env: Mapping[str, str] | None = None, path: Path = COMPOSE_FILE) -> dict:
    """docker-compose.yml as compose sees it: YAML anchors and merges resolved, interpolated
    with ``env`` (empty by default: every default applies)."""
    return _interpolated(yaml.safe_load(path.read_text()), env or {})


def compose_schema() -> dict:
    """The Compose Specification's JSON schema from the compose-go module (bin/provision)."""
    path = Path(provisioned(cache_dir() / "compose-spec" / "compose-spec.json", "compose-spec"))
    return json.loads(path.read_text())


def is_jansky_service(service: Mapping[str, Any]) -> bool:
    build = service.get("build") or {}
    return isinstance(build, dict) and build.get("dockerfile") == "docker/Dockerfile"


def jansky_services(compose: Mapping[str, Any]) -> dict[str, dict]:
    """The services running the Jansky image, by name."""
    return {
        name: service for name, service in compose["services"].items() if is_jansky_service(service)
    }


def environment_of(service: Mapping[str, Any]) -> dict[str, str]:
    """A service's environment as a mapping (compose allows a list of KEY=VALUE too)."""
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        return dict(item.partition("=")[::2] for item in environment)
    return {key: "" if value is None else str(value) for key, value in environment.items()}


def duration_seconds(duration: str) -> float:
    """A compose duration such as ``40s`` or ``2m`` (one unit), in seconds."""
    units = {"s": 1, "m": 60, "h": 3600}
    return float(duration[:-1]) * units[duration[-1]]


def bind_port(namespace: argparse.Namespace) -> int | None:
    """The port of a server command's ``--bind HOST:PORT``, if it has one."""
    bind = getattr(namespace, "bind", None)
    return int(bind.rpartition(":")[2]) if bind else None


# ---- docker/Dockerfile ---------------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction, with its stage (the ``AS`` name, or its index)."""

    keyword: str
    arguments: str
    stage: str

    def exec_form(self) -> list[str] | None:
        """The JSON array of an exec-form CMD/ENTRYPOINT/RUN, or None for the shell form."""
        text = self.arguments
        if self.keyword == "HEALTHCHECK":
            text = text.partition(" CMD ")[2].strip() or text
        try:
            value = json.loads(text)
        except ValueError:
            return None
        return value if isinstance(value, list) else None


def dockerfile_instructions(path: Path = DOCKERFILE) -> list[Instruction]:
    """The instructions, with line continuations joined and comments dropped."""
    instructions: list[Instruction] = []
    stage = ""
    pending = ""
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1].rstrip() + " "
            continue
        text = pending + stripped
        pending = ""
        keyword, _, arguments = text.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            words = arguments.split()
            stage = (
                words[2]
                if len(words) >= 3 and words[1].upper() == "AS"
                else str(sum(1 for item in instructions if item.keyword == "FROM"))
            )
        instructions.append(Instruction(keyword, arguments.strip(), stage))
    return instructions


def final_stage(instructions: Sequence[Instruction]) -> list[Instruction]:
    """The instructions of the last stage (the image that is shipped)."""
    last_from = max(index for index, item in enumerate(instructions) if item.keyword == "FROM")
    return list(instructions[last_from:])


def env_assignments(arguments: str) -> Iterator[tuple[str, str]]:
    """``ENV A=1 B=2`` (and the legacy ``ENV A 1``) as (name, value) pairs."""
    words = shlex.split(arguments)
    if words and "=" not in words[0]:
        yield words[0], " ".join(words[1:])
        return
    for word in words:
        name, _, value = word.partition("=")
        yield name, value


def provision_pins(path: Path = PROVISION) -> dict[str, str]:
    """The ``NAME=value`` version pins at the top level of bin/provision."""
    pins = {}
    for line in path.read_text().splitlines():
        match = re.fullmatch(r"([A-Z_]+_VERSION)=(\S+)", line.strip())
        if match:
            pins[match[1]] = match[2]
    return pins


# ---- systemd units -------------------------------------------------------------------------


def unit_sections(path: Path) -> dict[str, dict[str, list[str]]]:
    """A unit file's sections, each key with every value it is given (systemd allows several)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        if current is None:
            raise ValueError(f"{path.name}: {line!r} is outside any section")
        key, separator, value = line.partition("=")
        if not separator:
            raise ValueError(f"{path.name}: {line!r} is not KEY=VALUE")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def environment_file(path: Path) -> dict[str, str]:
    """The KEY=VALUE lines of a systemd EnvironmentFile (comments and blank lines skipped)."""
    env = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith(("#", ";")):
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip().strip('"')
    return env
