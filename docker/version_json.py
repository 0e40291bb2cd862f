"""Write the Dockerflow ``version.json`` that the collector serves at ``/__version__``.

Run by ``docker/Dockerfile`` with the image's build arguments; an empty version falls back to the
installed package's. Prints the JSON object with exactly Dockerflow's keys: source, version,
commit, build.

    python docker/version_json.py --source URL --version V --commit SHA --build URL > version.json
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import sys
from collections.abc import Sequence

DOCKERFLOW_KEYS = ("source", "version", "commit", "build")


def version_info(source: str, version: str, commit: str, build: str) -> dict[str, str]:
    """The version object; the package's version when ``version`` is empty."""
    if not version:
        try:
            version = importlib.metadata.version("jansky")
        except importlib.metadata.PackageNotFoundError:
            version = ""
    return {"source": source, "version": version, "commit": commit, "build": build}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for key in DOCKERFLOW_KEYS:
        parser.add_argument(f"--{key}", default="", help=f"the {key} field (default empty)")
    args = parser.parse_args(argv)
    info = version_info(args.source, args.version, args.commit, args.build)
    sys.stdout.write(json.dumps(info, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
