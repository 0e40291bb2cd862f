"""Production security headers and cookies, and the client address behind a proxy."""

from __future__ import annotations

import dataclasses

from django.test import Client

from tests.unit.webapp.conftest import make_user


def test_https_settings_redirect_and_send_hsts(db, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SESSION_COOKIE_SECURE = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_REDIRECT_EXEMPT = [r"^__lbheartbeat__$"]
    plain = Client().get("/api/whoami/")
    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    assert Client().get("/__lbheartbeat__").status_code == 200
    secure = Client(headers={"X-Forwarded-Proto": "https"})
    response = secure.get("/api/whoami/")
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    make_user("alice")
    login = secure.post("/login/", {"username": "alice", "password": "password"})
    assert login.cookies["sessionid"]["secure"] is True


def test_pages_are_not_framed_and_cookies_are_http_only(db):
    make_user("alice")
    client = Client()
    response = client.post("/login/", {"username": "alice", "password": "password"})
    assert response.cookies["sessionid"]["httponly"] is True
    page = client.get("/api/tokens/")
    assert page["X-Frame-Options"] == "DENY"
    assert page["X-Content-Type-Options"] == "nosniff"
    assert "crashstatscsrfcookie" not in page.cookies  # the CSRF token lives in the session


def test_client_address_header_only_when_configured(db, settings):
    settings.RATELIMIT_ENABLE = True
    settings.JANSKY_WEBAPP = dataclasses.replace(settings.JANSKY_WEBAPP, ratelimit_anonymous="1/m")
    spoofed = Client(headers={"X-Real-IP": "10.9.9.9"})
    assert spoofed.get("/api/NoOp/", {"product": "x"}).status_code == 200
    # The header is ignored without WEBAPP_CLIENT_IP_HEADER: same address, over the limit.
    assert (
        Client(headers={"X-Real-IP": "10.9.9.8"}).get("/api/NoOp/", {"product": "x"}).status_code
        == 429
    )
    settings.CLIENT_IP_HEADER = "X-Forwarded-For"
    for address in ("10.0.0.1", "10.0.0.2"):
        client = Client(headers={"X-Forwarded-For": f"1.1.1.1, {address}"})
        assert client.get("/api/NoOp/", {"product": "x"}).status_code == 200
