"""``var/services.env``: the environment that points Jansky at the running servers.

One KEY=VALUE per line, readable by ``tests/servers.py``, ``set -a; . var/services.env`` and
Docker's ``--env-file`` alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from jansky.services.definitions import ACCESS_KEY, REGION, SECRET_KEY, Service

HEADER = "# Written by `jansky services start`: the environment for the local real servers.\n"

AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": ACCESS_KEY,
    "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
    "AWS_REGION": REGION,
    # boto3 reads only this one; AWS_REGION is what the other SDKs (and Jansky's config) read.
    "AWS_DEFAULT_REGION": REGION,
    "AWS_EC2_METADATA_DISABLED": "true",
}


def services_environment(services: Iterable[Service]) -> dict[str, str]:
    """The backend URLs of ``services`` (those that are up), then the AWS settings."""
    env: dict[str, str] = {}
    for service in services:
        env.update(service.environment())
    env.update(AWS_ENVIRONMENT)
    # Backend URLs first, AWS_* after, whatever order the servers came in.
    return dict(sorted(env.items(), key=lambda item: item[0].startswith("AWS_")))


def render(env: Mapping[str, str]) -> str:
    for key, value in env.items():
        if not key.isidentifier() or "\n" in value:
            raise ValueError(f"cannot write {key}={value!r} as one KEY=VALUE line")
    return HEADER + "".join(f"{key}={value}\n" for key, value in env.items())


def write(path: Path, env: Mapping[str, str]) -> None:
    """Replace ``path`` in one step, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(render(env))
    partial.replace(path)
