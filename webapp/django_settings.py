"""Django settings built from the resolved Crash Stats options (:mod:`webapp.config`).

``webapp/settings.py`` (what ``DJANGO_SETTINGS_MODULE`` names) builds them from the process
environment; tests build them from their own environment. New apps go in ``JANSKY_APPS`` and
their URLs in ``webapp/urls.py``.
"""

from __future__ import annotations

from typing import Any

from webapp.config import WebappSettings
from webapp.crashstats.assets import DIST_DIR, IMMUTABLE_PATTERN, STATIC_PREFIX
from webapp.database import database_settings

DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
]
# Crash Stats' own apps: the shared one first, then one per page family.
JANSKY_APPS = [
    "webapp.crashstats",
    "webapp.accounts",
    "webapp.tokens",
    "webapp.api",
    "webapp.report",
    "webapp.signature",
    "webapp.topcrashers",
    "webapp.supersearch",
    "webapp.documentation",
    "webapp.profile",
]
ONE_YEAR = 365 * 24 * 3600
RATELIMIT_CACHE = "ratelimit"


def build_settings(webapp: WebappSettings) -> dict[str, Any]:
    """Every Django setting, as a mapping of names to values."""
    core = webapp.core
    settings: dict[str, Any] = {
        "JANSKY_CORE": core,
        "JANSKY_SEARCH": webapp.search,
        "JANSKY_WEBAPP": webapp,
        "SECRET_KEY": webapp.secret_key,
        "DEBUG": webapp.debug,
        "ALLOWED_HOSTS": list(webapp.allowed_hosts),
        "INSTALLED_APPS": DJANGO_APPS + JANSKY_APPS,
        "MIDDLEWARE": _middleware(),
        "ROOT_URLCONF": "webapp.urls",
        "WSGI_APPLICATION": "webapp.wsgi.application",
        "DATABASES": {"default": database_settings(core.database_url)},
        "DEFAULT_AUTO_FIELD": "django.db.models.BigAutoField",
        "TEMPLATES": [
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "DIRS": [],
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                        "webapp.crashstats.context_processors.access",
                        "webapp.crashstats.context_processors.chrome",
                    ]
                },
            }
        ],
        "CACHES": {
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
            # Shared by every worker process on the host, with atomic increments.
            RATELIMIT_CACHE: {
                "BACKEND": "webapp.crashstats.counters.SqliteCounterCache",
                "LOCATION": str(core.data_dir / "webapp-ratelimit.db"),
            },
        },
        "RATELIMIT_USE_CACHE": RATELIMIT_CACHE,
        "RATELIMIT_ENABLE": webapp.ratelimit_enabled,
        "RATELIMIT_VIEW": "webapp.crashstats.views.ratelimited",
        "SESSION_ENGINE": "django.contrib.sessions.backends.db",
        "LANGUAGE_CODE": "en-us",
        "TIME_ZONE": "UTC",
        "USE_I18N": False,
        "USE_TZ": True,
        "STATIC_URL": "/static/",
        # whitenoise serves the apps' static files where they are: no collectstatic step.
        "WHITENOISE_USE_FINDERS": True,
        # The front end built by `make assets`, with content hashes in the file names.
        "STATICFILES_DIRS": [(STATIC_PREFIX, str(DIST_DIR))],
        "WHITENOISE_IMMUTABLE_FILE_TEST": IMMUTABLE_PATTERN,
        # In debug mode, files rebuilt while the server runs are found without a restart.
        "WHITENOISE_AUTOREFRESH": webapp.debug,
        "LOGIN_URL": "/login/",
        "LOGIN_REDIRECT_URL": "/",
        "LOGOUT_REDIRECT_URL": "/",
        "AUTHENTICATION_BACKENDS": ["django.contrib.auth.backends.ModelBackend"],
        "TOKENS_DEFAULT_EXPIRATION_DAYS": webapp.token_expiration_days,
        "LOGGING": _logging(webapp.log_level),
        **_security(webapp),
        **_cors(),
    }
    if webapp.oidc.enabled:
        settings.update(_oidc(webapp))
    return settings


def _middleware() -> list[str]:
    return [
        "django.middleware.security.SecurityMiddleware",
        "webapp.crashstats.csp.ContentSecurityPolicyMiddleware",
        "whitenoise.middleware.WhiteNoiseMiddleware",
        "webapp.crashstats.middleware.ClientAddressMiddleware",
        "corsheaders.middleware.CorsMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "webapp.tokens.middleware.TokenMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
        "django_ratelimit.middleware.RatelimitMiddleware",
    ]


def _security(webapp: WebappSettings) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_USE_SESSIONS": True,
        "CSRF_COOKIE_NAME": "crashstatscsrfcookie",
        "CSRF_COOKIE_HTTPONLY": True,
        "CSRF_TRUSTED_ORIGINS": list(webapp.csrf_trusted_origins),
        "X_FRAME_OPTIONS": "DENY",
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "SECURE_CROSS_ORIGIN_OPENER_POLICY": "same-origin",
        "CLIENT_IP_HEADER": webapp.client_ip_header,
    }
    if webapp.https:
        settings.update(
            SESSION_COOKIE_SECURE=True,
            CSRF_COOKIE_SECURE=True,
            SECURE_HSTS_SECONDS=ONE_YEAR,
            SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
            SECURE_SSL_REDIRECT=True,
            # Load balancers probe over plain HTTP.
            SECURE_REDIRECT_EXEMPT=[r"^__lbheartbeat__$"],
            SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
        )
    return settings


def _cors() -> dict[str, Any]:
    """Any origin may GET the API; no credentials, so a page elsewhere never reads with cookies."""
    return {
        "CORS_URLS_REGEX": r"^/api/(?!tokens/).*$",
        "CORS_ALLOW_ALL_ORIGINS": True,
        "CORS_ALLOW_METHODS": ["GET", "OPTIONS"],
        "CORS_ALLOW_HEADERS": ["accept", "auth-token", "content-type"],
        "CORS_ALLOW_CREDENTIALS": False,
    }


def _oidc(webapp: WebappSettings) -> dict[str, Any]:
    oidc = webapp.oidc
    return {
        "INSTALLED_APPS": [*DJANGO_APPS, "mozilla_django_oidc", *JANSKY_APPS],
        "AUTHENTICATION_BACKENDS": [
            "webapp.accounts.oidc.EmailAccountBackend",
            "django.contrib.auth.backends.ModelBackend",
        ],
        "OIDC_RP_CLIENT_ID": oidc.client_id,
        "OIDC_RP_CLIENT_SECRET": oidc.client_secret,
        "OIDC_OP_AUTHORIZATION_ENDPOINT": oidc.authorization_endpoint,
        "OIDC_OP_TOKEN_ENDPOINT": oidc.token_endpoint,
        "OIDC_OP_USER_ENDPOINT": oidc.user_endpoint,
        "OIDC_OP_JWKS_ENDPOINT": oidc.jwks_endpoint or None,
        "OIDC_RP_SIGN_ALGO": oidc.sign_algo,
        "OIDC_RP_SCOPES": "openid email",
        "LOGIN_REDIRECT_URL_FAILURE": "/login/?failed=1",
    }


def _logging(level: str) -> dict[str, Any]:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "line": {"format": "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"}
        },
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "line"}},
        "loggers": {
            "webapp": {"handlers": ["stderr"], "level": level, "propagate": False},
            "django.request": {"handlers": ["stderr"], "level": "ERROR", "propagate": False},
        },
    }
