"""The gunicorn worker class of the collector: an event loop per process.

uvicorn's worker runs the ASGI app on uvloop; the connection protocol is
:class:`antenna.protocol.GuardedHttpProtocol`, bounded by the collector's settings, so that a
slow or idle client costs a little memory and no thread.
"""

from __future__ import annotations

from typing import Any

from uvicorn_worker import UvicornWorker

from antenna.config import load_collector_settings
from antenna.protocol import guarded_protocol


class CollectorWorker(UvicornWorker):
    """``worker_class`` for `jansky collector` (``antenna.worker.CollectorWorker``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        settings = load_collector_settings()
        # Read by UvicornWorker.__init__ into uvicorn's Config.
        self.CONFIG_KWARGS = {
            "loop": "uvloop",
            "http": guarded_protocol(settings.header_timeout_seconds, settings.max_header_bytes),
            "lifespan": "off",
            "server_header": False,
        }
        super().__init__(*args, **kwargs)
