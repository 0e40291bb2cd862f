"""Report unhandled errors to Sentry without request bodies, cookies or client addresses."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import sentry_sdk
from fillmore.scrubber import SCRUB_RULES_DEFAULT, Rule, Scrubber
from sentry_sdk.integrations.atexit import AtexitIntegration
from sentry_sdk.integrations.dedupe import DedupeIntegration
from sentry_sdk.integrations.excepthook import ExcepthookIntegration
from sentry_sdk.integrations.logging import LoggingIntegration
from sentry_sdk.integrations.modules import ModulesIntegration
from sentry_sdk.integrations.threading import ThreadingIntegration

from antenna.metrics import METRICS

logger = logging.getLogger(__name__)

# Proxies put the client address in these headers; it is personal data.
SCRUB_RULES = [
    *SCRUB_RULES_DEFAULT,
    Rule(
        path="request.headers",
        keys=["X-Forwarded-For", "X-Real-Ip", "Authorization"],
        scrub="scrub",
    ),
]


def release_from_version_file(path: Path) -> str:
    """``<version>:<commit[:8]>`` from version.json, or ``none:unknown``."""
    try:
        info = json.loads(path.read_text())
    except (OSError, ValueError):
        return "none:unknown"
    if not isinstance(info, dict):
        return "none:unknown"
    return f"{info.get('version') or 'none'}:{str(info.get('commit') or 'unknown')[:8]}"


def _count_scrub_error(*_args: Any) -> None:
    METRICS.incr("sentry_scrub_error", tags=["service:collector"])
    logger.error("the Sentry scrubber failed; the event was sent without that rule")


def configure_sentry(dsn: str, release: str, server_name: str) -> bool:
    """Set up sentry-sdk if ``dsn`` is set; returns whether Sentry is on."""
    if not dsn:
        return False
    sentry_sdk.init(
        dsn=dsn,
        release=release,
        server_name=server_name,
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        default_integrations=False,
        integrations=[
            AtexitIntegration(),
            ExcepthookIntegration(),
            DedupeIntegration(),
            LoggingIntegration(),
            ModulesIntegration(),
            ThreadingIntegration(),
        ],
        before_send=Scrubber(rules=SCRUB_RULES, error_handler=_count_scrub_error),
    )
    return True
