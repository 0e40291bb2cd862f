"""Paths and loaders shared by the signature tests (vectors, Socorro lists, stackwalker output)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tests.servers import missing, shared_testdata

REPO = Path(__file__).resolve().parents[2]
VECTORS = Path(__file__).parent / "signature_vectors"


def vectors(name: str, key: str = "vectors") -> list[dict[str, Any]]:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))[key]


def vector_id(vector: dict[str, Any]) -> str:
    for key in ("name", "function", "rule", "file", "input"):
        if key in vector:
            return str(vector[key])[:60]
    return repr(vector)[:60]


def _shared(env: str, default: Path, what: str) -> Path:
    path = Path(os.environ.get(env, default))
    if not path.is_dir():
        missing(f"{what} not found at {path} (set {env})")
    return path


def testdata_dir() -> Path:
    return shared_testdata()


def socorro_lists_dir() -> Path:
    """Socorro's signature lists, pinned as data for parity tests (never copied into Jansky)."""
    default = REPO.parent / "shared" / "data" / "socorro-siglists"
    return _shared("JANSKY_SOCORRO_SIGLISTS_DIR", default, "Socorro's signature lists")


def stackwalk_output(name: str) -> dict[str, Any]:
    """A rust-minidump snapshot: an insta header, then the stackwalker's JSON."""
    text = (testdata_dir() / "rust-minidump" / "stackwalk-json" / name).read_text(encoding="utf-8")
    return json.loads(text[text.index("{") :])
