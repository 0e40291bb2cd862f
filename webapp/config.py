"""Crash Stats options: serving, secrets, HTTPS, accounts (OpenID Connect), tokens, rate limits.

Every option is an environment variable (the option name upper-cased); ``jansky config`` and
``docs/configuration.md`` list them from these declarations. ``webapp/settings.py`` turns the
resolved values into Django settings.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from everett.manager import ListOf, Option, parse_bool

from jansky.config import CoreSettings, config_manager, load_core_settings
from jansky.search.settings import SearchSettings, load_search_settings
from jansky.symbols.settings import SymbolsSettings, load_symbols_settings

SECRET_KEY_FILE = "webapp-secret-key"
RATE = re.compile(r"^\d+/\d*[smhd]$")


def default_workers() -> int:
    """One worker per core plus one, so a worker waiting on search does not idle a core."""
    return (os.cpu_count() or 1) + 1


def parse_https(value: str) -> bool | None:
    """``auto`` (None: decided by the deployment shape), ``true`` or ``false``."""
    if value.strip().lower() == "auto":
        return None
    return parse_bool(value)


class WebappConfig:
    """Crash Stats (`jansky webapp`): serving, security, accounts, API tokens and rate limits."""

    class Config:
        webapp_secret_key = Option(
            default="",
            doc=(
                "Django's secret key (signs sessions and CSRF tokens). Required with a "
                "PostgreSQL `DATABASE_URL`; on the embedded default an empty value means a random "
                "key kept in `DATA_DIR/webapp-secret-key`."
            ),
        )
        webapp_allowed_hosts = Option(
            default="127.0.0.1,localhost,[::1]",
            parser=ListOf(str),
            doc="Comma-separated host names Crash Stats answers to (Django's ALLOWED_HOSTS).",
        )
        webapp_https = Option(
            default="auto",
            parser=parse_https,
            doc=(
                "Served over HTTPS: secure cookies, HSTS (one year) and a redirect of plain HTTP. "
                "`auto` means on with a PostgreSQL `DATABASE_URL` and off on the embedded "
                "default. Behind a proxy, the proxy must set `X-Forwarded-Proto`."
            ),
        )
        webapp_csrf_trusted_origins = Option(
            default="",
            parser=ListOf(str),
            doc="Comma-separated origins (`https://crash-stats.example.com`) trusted for forms.",
        )
        webapp_client_ip_header = Option(
            default="",
            doc=(
                "Request header holding the client's address when behind a proxy: `X-Real-IP`, "
                "or `X-Forwarded-For` (its last address, the one your proxy added). Empty uses "
                "the connection's address. Rate limits key anonymous callers on it: set it only "
                "behind a proxy that sets it."
            ),
        )
        webapp_ratelimit_anonymous = Option(
            default="100/m",
            doc="API requests allowed per client address without login or token (`N/s|m|h|d`).",
        )
        webapp_ratelimit_authenticated = Option(
            default="1000/m",
            doc="API requests allowed per active user, logged in or with a token (`N/s|m|h|d`).",
        )
        webapp_ratelimit_enabled = Option(
            default="true",
            parser=parse_bool,
            doc="Apply the API rate limits (turn off only for benchmarks).",
        )
        webapp_token_expiration_days = Option(
            default="90",
            parser=int,
            doc="Days a new API token stays valid unless its owner picks a shorter expiry.",
        )
        webapp_oidc_client_id = Option(
            default="",
            doc=(
                "OpenID Connect client id; when set, login goes through the provider below "
                "(accounts are created on first login) instead of Django's password form."
            ),
        )
        webapp_oidc_client_secret = Option(default="", doc="OpenID Connect client secret.")
        webapp_oidc_authorization_endpoint = Option(
            default="", doc="The provider's authorization endpoint URL."
        )
        webapp_oidc_token_endpoint = Option(default="", doc="The provider's token endpoint URL.")
        webapp_oidc_user_endpoint = Option(default="", doc="The provider's userinfo endpoint URL.")
        webapp_oidc_jwks_endpoint = Option(
            default="", doc="The provider's JWKS URL (needed with RS256 signing)."
        )
        webapp_oidc_sign_algo = Option(
            default="RS256", doc="Signing algorithm of the provider's ID tokens (RS256 or HS256)."
        )
        webapp_workers = Option(
            default=str(default_workers()),
            parser=int,
            doc="gunicorn worker processes of `jansky webapp` (default: cores + 1).",
        )
        webapp_threads = Option(
            default="4", parser=int, doc="Threads per gunicorn worker of `jansky webapp`."
        )
        webapp_timeout = Option(
            default="60",
            parser=int,
            doc="Seconds gunicorn lets one Crash Stats request run before restarting the worker.",
        )
        webapp_debug = Option(
            default="false",
            parser=parse_bool,
            doc="Django debug mode (tracebacks in pages): development only, never in production.",
        )
        webapp_log_level = Option(default="INFO", doc="Log level of Crash Stats' loggers.")


@dataclass(frozen=True)
class OidcSettings:
    """Where the OpenID Connect provider is; ``enabled`` once a client id is set."""

    client_id: str
    client_secret: str
    authorization_endpoint: str
    token_endpoint: str
    user_endpoint: str
    jwks_endpoint: str
    sign_algo: str

    @property
    def enabled(self) -> bool:
        return bool(self.client_id)


@dataclass(frozen=True)
class WebappSettings:
    """The resolved Crash Stats options, with the core settings they depend on."""

    core: CoreSettings
    search: SearchSettings
    symbols: SymbolsSettings
    embedded: bool  # SQLite database: the one-machine deployment
    secret_key: str
    allowed_hosts: tuple[str, ...]
    https: bool
    csrf_trusted_origins: tuple[str, ...]
    client_ip_header: str
    ratelimit_anonymous: str
    ratelimit_authenticated: str
    ratelimit_enabled: bool
    token_expiration_days: int
    oidc: OidcSettings
    workers: int
    threads: int
    timeout: int
    debug: bool
    log_level: str


class WebappConfigurationError(ValueError):
    """Crash Stats options that cannot work; the message says what to set."""


def load_webapp_settings(env: Mapping[str, str] | None = None) -> WebappSettings:
    """Read and check the Crash Stats options from ``env`` or the process environment."""
    config = config_manager(env).with_options(WebappConfig)
    core = load_core_settings(env)
    embedded = core.database_url.startswith("sqlite://")
    https = config("webapp_https")
    settings = WebappSettings(
        core=core,
        search=load_search_settings(env),
        symbols=load_symbols_settings(env),
        embedded=embedded,
        secret_key=config("webapp_secret_key") or _embedded_secret_key(core, embedded),
        allowed_hosts=tuple(host for host in config("webapp_allowed_hosts") if host),
        https=(not embedded) if https is None else https,
        csrf_trusted_origins=tuple(o for o in config("webapp_csrf_trusted_origins") if o),
        client_ip_header=config("webapp_client_ip_header").strip(),
        ratelimit_anonymous=config("webapp_ratelimit_anonymous").strip(),
        ratelimit_authenticated=config("webapp_ratelimit_authenticated").strip(),
        ratelimit_enabled=config("webapp_ratelimit_enabled"),
        token_expiration_days=config("webapp_token_expiration_days"),
        oidc=OidcSettings(
            client_id=config("webapp_oidc_client_id"),
            client_secret=config("webapp_oidc_client_secret"),
            authorization_endpoint=config("webapp_oidc_authorization_endpoint"),
            token_endpoint=config("webapp_oidc_token_endpoint"),
            user_endpoint=config("webapp_oidc_user_endpoint"),
            jwks_endpoint=config("webapp_oidc_jwks_endpoint"),
            sign_algo=config("webapp_oidc_sign_algo").strip().upper(),
        ),
        workers=config("webapp_workers"),
        threads=config("webapp_threads"),
        timeout=config("webapp_timeout"),
        debug=config("webapp_debug"),
        log_level=config("webapp_log_level").upper(),
    )
    _check(settings)
    return settings


def _embedded_secret_key(core: CoreSettings, embedded: bool) -> str:
    """A random key kept under DATA_DIR, so sessions survive restarts of the embedded default."""
    if not embedded:
        raise WebappConfigurationError(
            "WEBAPP_SECRET_KEY is required with a PostgreSQL DATABASE_URL: set it to a long "
            'random string, e.g. the output of `python -c "import secrets; '
            'print(secrets.token_urlsafe(50))"`, and keep it the same on every web server'
        )
    path = Path(core.data_dir) / SECRET_KEY_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key + "\n")
    return key


def _check(settings: WebappSettings) -> None:
    problems = []
    for name, rate in (
        ("WEBAPP_RATELIMIT_ANONYMOUS", settings.ratelimit_anonymous),
        ("WEBAPP_RATELIMIT_AUTHENTICATED", settings.ratelimit_authenticated),
    ):
        if not RATE.match(rate):
            problems.append(f"{name} must look like 100/m (count/s, m, h or d), got {rate!r}")
    if len(settings.secret_key) < 32:
        problems.append("WEBAPP_SECRET_KEY must be at least 32 characters long")
    if settings.token_expiration_days < 1:
        problems.append("WEBAPP_TOKEN_EXPIRATION_DAYS must be at least 1")
    oidc = settings.oidc
    if oidc.enabled:
        missing = [
            name
            for name, value in (
                ("WEBAPP_OIDC_CLIENT_SECRET", oidc.client_secret),
                ("WEBAPP_OIDC_AUTHORIZATION_ENDPOINT", oidc.authorization_endpoint),
                ("WEBAPP_OIDC_TOKEN_ENDPOINT", oidc.token_endpoint),
                ("WEBAPP_OIDC_USER_ENDPOINT", oidc.user_endpoint),
            )
            if not value
        ]
        if oidc.sign_algo == "RS256" and not oidc.jwks_endpoint:
            missing.append("WEBAPP_OIDC_JWKS_ENDPOINT")
        if missing:
            problems.append(f"WEBAPP_OIDC_CLIENT_ID is set, so set {', '.join(missing)} too")
        if oidc.sign_algo not in {"RS256", "HS256"}:
            problems.append(f"WEBAPP_OIDC_SIGN_ALGO must be RS256 or HS256, got {oidc.sign_algo!r}")
    if settings.workers < 1 or settings.threads < 1:
        problems.append("WEBAPP_WORKERS and WEBAPP_THREADS must be at least 1")
    if problems:
        raise WebappConfigurationError("; ".join(problems))
