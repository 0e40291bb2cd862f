"""Where the built front-end files are: ``webapp/frontend/dist`` and its manifest.

``make assets`` (npm ci, then esbuild) bundles each app's ``assets/*.js`` and ``*.css`` into
files named by their content hash and writes ``manifest.json``, mapping ``<app>/<name>`` to
the built path. Templates ask for assets by their source name (``{% script "report/report.js"
%}``); the hashed names let browsers cache them for a year.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

DIST_DIR = Path(__file__).resolve().parent.parent / "frontend" / "dist"
STATIC_PREFIX = "build"  # URL folder of DIST_DIR under STATIC_URL
# Built files carry an 8-character content hash: WhiteNoise may let browsers keep them forever.
IMMUTABLE_PATTERN = rf"^/static/{STATIC_PREFIX}/.+-[A-Z0-9]{{8}}\.(js|css|map)$"

_lock = threading.Lock()
_loaded: dict[str, object] = {"mtime": None, "manifest": {}}


class AssetsNotBuilt(ImproperlyConfigured):
    """The manifest is missing or lacks an asset: the front end was not built."""


def manifest(path: Path = DIST_DIR / "manifest.json") -> dict[str, str]:
    """The manifest, read again whenever the file changes (a rebuild while serving)."""
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        raise AssetsNotBuilt(
            f"the front end is not built ({path} is missing): run `make assets`"
        ) from None
    with _lock:
        if _loaded["mtime"] != mtime:
            _loaded["manifest"] = json.loads(path.read_text())
            _loaded["mtime"] = mtime
        return _loaded["manifest"]  # type: ignore[return-value]


def asset_url(name: str) -> str:
    """The URL of the built file for the source asset ``<app>/<file>``."""
    built = manifest().get(name)
    if built is None:
        source = "webapp/" + name.replace("/", "/assets/", 1)
        raise AssetsNotBuilt(
            f"no built asset {name!r} in the front-end manifest: is {source} there? "
            "run `make assets`"
        )
    from django.templatetags.static import static

    return static(f"{STATIC_PREFIX}/{built}")
