"""``DATABASE_URL`` -> Django's ``DATABASES["default"]``.

Jansky's URLs follow its other backends: ``sqlite://`` followed by the file's path (absolute
``sqlite:///srv/jansky/webapp.db`` or relative ``sqlite://var/webapp.db``), and
``postgres://user:password@host:port/name`` (``postgresql://`` too).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

POSTGRES_SCHEMES = ("postgres", "postgresql")
EXAMPLES = "sqlite:///srv/jansky/webapp.db or postgres://user:password@host:5432/name"


class InvalidDatabaseUrl(ValueError):
    """A ``DATABASE_URL`` that names no database Crash Stats can use."""


def database_settings(url: str) -> dict[str, Any]:
    """Django's settings for the database at ``url``."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        raise InvalidDatabaseUrl(f"DATABASE_URL {url!r} has no scheme; use {EXAMPLES}")
    if scheme == "sqlite":
        if not rest:
            raise InvalidDatabaseUrl(f"DATABASE_URL {url!r} names no file; use {EXAMPLES}")
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": rest,
            # Readers and the one writer do not block each other; waits instead of failing.
            "OPTIONS": {
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
            },
        }
    if scheme in POSTGRES_SCHEMES:
        parts = urlsplit(url)
        name = unquote(parts.path.lstrip("/"))
        if not parts.hostname or not name:
            raise InvalidDatabaseUrl(
                f"DATABASE_URL {url!r} must name a host and a database; use {EXAMPLES}"
            )
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname,
            "PORT": str(parts.port or ""),
            "OPTIONS": dict(parse_qsl(parts.query)),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    raise InvalidDatabaseUrl(f"DATABASE_URL {url!r} uses an unknown scheme {scheme!r}; {EXAMPLES}")
