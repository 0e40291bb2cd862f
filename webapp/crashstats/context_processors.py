"""Template context every page gets: the request's access (permissions, data scope)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from webapp.crashstats.permissions import access_for


def access(request: HttpRequest) -> dict[str, Any]:
    return {"access": access_for(request)}
