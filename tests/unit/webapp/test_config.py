"""Crash Stats options, the Django settings they make, and DATABASE_URL."""

from __future__ import annotations

import pytest

from webapp.config import SECRET_KEY_FILE, WebappConfigurationError, load_webapp_settings
from webapp.database import InvalidDatabaseUrl, database_settings
from webapp.django_settings import build_settings

POSTGRES = "postgres://jansky:p%40ss@db.example:5433/crashes"
KEY = "k" * 40


def test_embedded_default_keeps_a_generated_secret_key(tmp_path):
    env = {"DATA_DIR": str(tmp_path)}
    first = load_webapp_settings(env)
    assert first.embedded and not first.https
    assert len(first.secret_key) >= 50
    assert (tmp_path / SECRET_KEY_FILE).stat().st_mode & 0o777 == 0o600
    assert load_webapp_settings(env).secret_key == first.secret_key


def test_production_needs_a_secret_key_and_turns_https_on(tmp_path):
    env = {"DATA_DIR": str(tmp_path), "DATABASE_URL": POSTGRES}
    with pytest.raises(WebappConfigurationError, match="WEBAPP_SECRET_KEY is required"):
        load_webapp_settings(env)
    settings = load_webapp_settings({**env, "WEBAPP_SECRET_KEY": KEY})
    assert not settings.embedded and settings.https
    built = build_settings(settings)
    assert built["SESSION_COOKIE_SECURE"] and built["CSRF_COOKIE_SECURE"]
    assert built["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600 and built["SECURE_SSL_REDIRECT"]
    off = load_webapp_settings({**env, "WEBAPP_SECRET_KEY": KEY, "WEBAPP_HTTPS": "false"})
    assert "SECURE_HSTS_SECONDS" not in build_settings(off)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"WEBAPP_SECRET_KEY": "short"}, "at least 32 characters"),
        ({"WEBAPP_RATELIMIT_ANONYMOUS": "lots"}, "WEBAPP_RATELIMIT_ANONYMOUS must look like"),
        ({"WEBAPP_OIDC_CLIENT_ID": "x"}, "WEBAPP_OIDC_CLIENT_SECRET"),
        ({"WEBAPP_OIDC_CLIENT_ID": "x", "WEBAPP_OIDC_SIGN_ALGO": "none"}, "RS256 or HS256"),
        ({"WEBAPP_TOKEN_EXPIRATION_DAYS": "0"}, "at least 1"),
    ],
)
def test_bad_options_are_explained(tmp_path, env, message):
    with pytest.raises(WebappConfigurationError, match=message):
        load_webapp_settings({"DATA_DIR": str(tmp_path), **env})


def test_oidc_settings(tmp_path):
    env = {
        "DATA_DIR": str(tmp_path),
        "WEBAPP_OIDC_CLIENT_ID": "id",
        "WEBAPP_OIDC_CLIENT_SECRET": "secret",
        "WEBAPP_OIDC_AUTHORIZATION_ENDPOINT": "https://idp/authorize",
        "WEBAPP_OIDC_TOKEN_ENDPOINT": "https://idp/token",
        "WEBAPP_OIDC_USER_ENDPOINT": "https://idp/userinfo",
        "WEBAPP_OIDC_JWKS_ENDPOINT": "https://idp/jwks",
    }
    built = build_settings(load_webapp_settings(env))
    assert "mozilla_django_oidc" in built["INSTALLED_APPS"]
    assert built["AUTHENTICATION_BACKENDS"][0] == "webapp.accounts.oidc.EmailAccountBackend"
    assert built["OIDC_OP_JWKS_ENDPOINT"] == "https://idp/jwks"


def test_database_urls():
    assert database_settings("sqlite:///srv/jansky/webapp.db")["NAME"] == "/srv/jansky/webapp.db"
    assert database_settings("sqlite://var/webapp.db")["NAME"] == "var/webapp.db"
    postgres = database_settings(POSTGRES + "?sslmode=require")
    assert postgres["ENGINE"] == "django.db.backends.postgresql"
    assert (postgres["USER"], postgres["PASSWORD"]) == ("jansky", "p@ss")
    assert (postgres["HOST"], postgres["PORT"], postgres["NAME"]) == (
        "db.example",
        "5433",
        "crashes",
    )
    assert postgres["OPTIONS"] == {"sslmode": "require"}
    for bad in ("webapp.db", "mysql://x/y", "postgres:///nohost", "sqlite://"):
        with pytest.raises(InvalidDatabaseUrl, match="DATABASE_URL"):
            database_settings(bad)


def test_the_database_is_the_one_asked_for(db):
    """The PostgreSQL run (tests/integration/test_webapp_postgres.py) really uses PostgreSQL."""
    import os

    from django.db import connection

    wanted = os.environ.get("JANSKY_TEST_DATABASE_URL", "")
    assert connection.vendor == ("postgresql" if wanted.startswith("postgres") else "sqlite")
