"""Accounts: Django's login, OpenID Connect, groups and permissions from the migrations."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from django.contrib.auth.models import Group, Permission, User
from django.test import Client

from tests.unit.webapp.conftest import make_user
from webapp.config import OidcSettings
from webapp.crashstats.permissions import GROUPS, PERMISSIONS

CLIENT_ID = "crash-stats"
CLIENT_SECRET = "a-client-secret-shared-with-the-provider"


def test_migrations_create_permissions_and_groups(db):
    for codename, name in PERMISSIONS.items():
        permission = Permission.objects.get(codename=codename)
        assert permission.name == name
        assert permission.content_type.app_label == "crashstats"
    for group_name, codenames in GROUPS.items():
        granted = Group.objects.get(name=group_name).permissions.values_list("codename", flat=True)
        assert set(granted) == set(codenames)
    assert "upload_symbols" in PERMISSIONS
    assert User.objects.create_superuser("root", "r@example.com", "pw").has_perm(
        "crashstats.view_pii"
    )


def test_password_login_follows_next_on_this_site_only(db):
    make_user("alice")
    client = Client()
    response = client.post(
        "/login/?next=/api/tokens/", {"username": "alice", "password": "password"}
    )
    assert response.status_code == 302 and response["Location"] == "/api/tokens/"
    for target in ("https://evil.example/", "//evil.example/x", "http://testserver.evil/"):
        client = Client()
        response = client.post(
            "/login/", {"username": "alice", "password": "password", "next": target}
        )
        assert response.status_code == 302
        assert response["Location"] == "/", target


def test_login_form_needs_csrf_and_rejects_bad_passwords(db):
    make_user("alice")
    client = Client(enforce_csrf_checks=True)
    assert client.post("/login/", {"username": "alice", "password": "password"}).status_code == 403
    response = Client().post("/login/", {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert "_auth_user_id" not in Client().session


def test_logout_is_a_post(make_client):
    client = make_client(make_user("alice"))
    assert client.get("/logout/").status_code == 405
    assert client.get("/api/whoami/").json()["user"] == "alice"
    assert client.post("/logout/").status_code == 302
    assert client.get("/api/whoami/").json()["user"] is None


class FakeProvider(BaseHTTPRequestHandler):
    """Token and userinfo endpoints of an OpenID Connect provider, signing with HS256."""

    nonce = ""
    email = "new.person@example.com"

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        form = parse_qs(self.rfile.read(length).decode())
        assert form["code"] == ["the-code"] and form["client_id"] == [CLIENT_ID]
        claims = {
            "iss": "fake",
            "aud": CLIENT_ID,
            "nonce": FakeProvider.nonce,
            "exp": int(time.time()) + 60,
            "email": FakeProvider.email,
        }
        token = jwt.encode(claims, CLIENT_SECRET, algorithm="HS256")
        self._json({"id_token": token, "access_token": "access", "token_type": "Bearer"})

    def do_GET(self) -> None:
        assert self.headers["Authorization"] == "Bearer access"
        self._json({"email": FakeProvider.email, "email_verified": True})

    def _json(self, data: dict[str, Any]) -> None:
        body = json.dumps(data).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def provider() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeProvider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def oidc(settings, provider) -> str:
    oidc = OidcSettings(
        CLIENT_ID,
        CLIENT_SECRET,
        f"{provider}/authorize",
        f"{provider}/token",
        f"{provider}/userinfo",
        "",
        "HS256",
    )
    settings.JANSKY_WEBAPP = dataclasses.replace(settings.JANSKY_WEBAPP, oidc=oidc)
    settings.ROOT_URLCONF = "tests.unit.webapp.oidc_urls"
    settings.AUTHENTICATION_BACKENDS = [
        "webapp.accounts.oidc.EmailAccountBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = oidc.authorization_endpoint
    settings.OIDC_OP_TOKEN_ENDPOINT = oidc.token_endpoint
    settings.OIDC_OP_USER_ENDPOINT = oidc.user_endpoint
    settings.OIDC_RP_SIGN_ALGO = "HS256"
    return provider


def test_openid_connect_login_creates_the_account(db, oidc):
    client = Client()
    page = client.get("/login/?next=/api/tokens/")
    assert "/oidc/authenticate/?next=%2Fapi%2Ftokens%2F" in page.content.decode()
    assert client.post("/login/", {"username": "x", "password": "y"}).status_code == 405
    start = client.get("/oidc/authenticate/?next=/api/tokens/")
    assert start.status_code == 302
    location = urlsplit(start["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{oidc}/authorize"
    query = parse_qs(location.query)
    assert query["client_id"] == [CLIENT_ID]
    FakeProvider.nonce = query["nonce"][0]
    done = client.get("/oidc/callback/", {"code": "the-code", "state": query["state"][0]})
    assert done.status_code == 302 and done["Location"] == "/api/tokens/"
    user = User.objects.get(email=FakeProvider.email)
    assert user.username == FakeProvider.email
    assert client.get("/api/whoami/").json()["user"] == FakeProvider.email


def test_openid_connect_refuses_foreign_next_and_bad_state(db, oidc):
    client = Client()
    start = client.get("/oidc/authenticate/?next=https://evil.example/")
    assert "oidc_login_next" not in client.session or client.session["oidc_login_next"] is None
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    FakeProvider.nonce = parse_qs(urlsplit(start["Location"]).query)["nonce"][0]
    done = client.get("/oidc/callback/", {"code": "the-code", "state": state})
    assert done["Location"] == "/"
    forged = Client().get("/oidc/callback/", {"code": "the-code", "state": "forged"})
    assert forged.status_code in {302, 400}
    assert forged.get("Location", "") != "/api/tokens/"
