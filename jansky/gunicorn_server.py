"""gunicorn started from inside a `jansky` command, with the app loaded in each worker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication

# What every Jansky server shares: logs on the console, and no runtime control socket (gunicorn
# 25+ opens one per user, shared by every master on the host, through which a server can be
# resized or stopped; nothing in Jansky uses it).
COMMON_OPTIONS: dict[str, Any] = {
    "accesslog": "-",
    "errorlog": "-",
    "control_socket_disable": True,
}


class GunicornServer(BaseApplication):
    """gunicorn with ``options``; ``load_app()`` runs in each worker (never preloaded)."""

    def __init__(self, options: dict[str, Any], load_app: Callable[[], Any]) -> None:
        self.options = {**COMMON_OPTIONS, **options}
        self.load_app = load_app
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self.load_app()
