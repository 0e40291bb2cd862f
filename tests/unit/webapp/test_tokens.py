"""API tokens: hashed keys shown once, permission subsets, expiry, and permission loss."""

from __future__ import annotations

import datetime
import hashlib
import io
import re

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from tests.unit.webapp.conftest import grant, make_user
from webapp.tokens.models import Token

HACKERS = "Hackers"


def carried(key: str) -> set[str]:
    token = Token.objects.get(key_hash=hashlib.sha256(key.encode()).hexdigest())
    return set(token.codenames())


def effective(client: Client) -> set[str]:
    return {p["codename"] for p in client.get("/api/whoami/").json()["permissions"]}


@pytest.fixture
def member(db) -> User:
    user = make_user("member")
    user.groups.add(Group.objects.get(name=HACKERS))
    return User.objects.get(pk=user.pk)


def test_only_a_hash_is_stored(member, token_for):
    key = token_for(member, "view_pii")
    assert re.fullmatch(r"[0-9a-f]{32}", key)
    token = Token.objects.get()
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert token.key_prefix == key[:6]
    stored = [str(value) for value in Token.objects.values_list().get()]
    assert not any(key in value for value in stored)


def test_token_errors(member, token_for, make_client):
    response = make_client(token="0" * 32).get("/api/whoami/")
    assert response.status_code == 403
    assert response.json() == {"error": "API Token not matched"}
    expired = token_for(member, expires=timezone.now() - datetime.timedelta(minutes=1))
    assert make_client(token=expired).get("/api/whoami/").json() == {
        "error": "API Token found but expired"
    }
    key = token_for(member)
    member.is_active = False
    member.save()
    assert make_client(token=key).get("/api/whoami/").json() == {
        "error": "User of API token not active"
    }


def test_a_token_never_reaches_pages_or_the_admin(make_client, token_for):
    boss = User.objects.create_superuser("boss", "boss@example.com", "password")
    client = make_client(token=token_for(boss))
    assert client.get("/siteadmin/").status_code == 302  # to the admin's login
    assert client.get("/api/tokens/").status_code == 302  # to the login page
    assert effective(client) == set()


def test_a_token_overrides_a_session(member, token_for, make_client):
    other = make_user("other")
    client = make_client(user=other, token=token_for(member, "view_pii"))
    assert client.get("/api/whoami/").json()["user"] == "member"


def _leave_group(user: User, group: Group) -> None:
    user.groups.remove(group)


def _removed_from_group(user: User, group: Group) -> None:
    group.user_set.remove(user)


def _group_cleared(user: User, group: Group) -> None:
    group.user_set.clear()


def _user_groups_cleared(user: User, group: Group) -> None:
    user.groups.clear()


def _group_loses_permission(user: User, group: Group) -> None:
    group.permissions.remove(Permission.objects.get(codename="view_pii"))


def _permission_leaves_group(user: User, group: Group) -> None:
    Permission.objects.get(codename="view_pii").group_set.remove(group)


def _group_deleted(user: User, group: Group) -> None:
    group.delete()


@pytest.mark.parametrize(
    "lose",
    [
        _leave_group,
        _removed_from_group,
        _group_cleared,
        _user_groups_cleared,
        _group_loses_permission,
        _permission_leaves_group,
        _group_deleted,
    ],
)
def test_losing_a_group_permission_removes_it_from_tokens(member, token_for, make_client, lose):
    key = token_for(member, "view_pii", "view_rawdump")
    lose(member, Group.objects.get(name=HACKERS))
    assert "view_pii" not in carried(key)
    assert "view_pii" not in effective(make_client(token=key))
    if lose is _group_loses_permission or lose is _permission_leaves_group:
        assert carried(key) == {"view_rawdump"}  # what the owner still holds stays


def test_losing_a_direct_permission_or_superuser_status(token_for, make_client):
    alice = make_user("alice", "view_pii", "reprocess_crashes")
    key = token_for(alice, "view_pii", "reprocess_crashes")
    alice.user_permissions.remove(Permission.objects.get(codename="view_pii"))
    assert carried(key) == {"reprocess_crashes"}
    boss = User.objects.create_superuser("boss", "boss@example.com", "password")
    boss_key = token_for(boss, "view_rawdump")
    assert effective(make_client(token=boss_key)) == {"view_rawdump"}
    boss.is_superuser = False
    boss.save()
    assert carried(boss_key) == set()


def test_regaining_a_permission_does_not_restore_it_on_tokens(member, token_for):
    key = token_for(member, "view_pii")
    member.groups.clear()
    grant(member, "view_pii")
    assert carried(key) == set()


def test_permissions_are_checked_again_on_every_request(member, token_for, make_client):
    """Even a change that fires no signal (a bulk delete) takes effect at once."""
    key = token_for(member, "view_pii")
    User.groups.through.objects.filter(user=member).delete()
    assert carried(key) == {"view_pii"}
    assert effective(make_client(token=key)) == set()


def test_token_page_needs_login(anonymous):
    response = anonymous.get("/api/tokens/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/api/tokens/"


def test_create_shows_the_key_once(member, make_client):
    client = make_client(member)
    page = client.get("/api/tokens/")
    assert page.status_code == 200
    offered = set(re.findall(r'name="permissions" value="(\w+)"', page.content.decode()))
    assert offered == {"view_pii", "view_rawdump", "reprocess_crashes", "run_long_queries"}
    response = client.post(
        "/api/tokens/",
        {"permissions": ["view_pii"], "notes": "nightly script", "expires_in_days": "7"},
    )
    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    key = re.search(r'id="new-token-key">([0-9a-f]{32})<', response.content.decode()).group(1)
    token = Token.objects.get()
    assert carried(key) == {"view_pii"} and token.notes == "nightly script"
    assert timezone.now() + datetime.timedelta(days=6) < token.expires
    assert key not in client.get("/api/tokens/").content.decode()
    assert effective(Client(headers={"Auth-Token": key})) == {"view_pii"}


def test_cannot_create_a_token_with_a_permission_not_held(make_client):
    client = make_client(make_user("plain", "view_rawdump"))
    response = client.post("/api/tokens/", {"permissions": ["view_pii"], "expires_in_days": "7"})
    assert response.status_code == 403
    assert "View Personal Identifiable Information" in response.content.decode()
    assert not Token.objects.exists()


def test_form_errors(member, make_client):
    client = make_client(member)
    response = client.post("/api/tokens/", {"notes": "x" * 2001, "expires_in_days": "400"})
    assert response.status_code == 200
    assert not Token.objects.exists()
    content = response.content.decode()
    assert "at most 2000 characters" in content and "less than or equal to 365" in content


def test_delete_own_tokens_only(member, token_for, make_client):
    token_for(member)
    token = Token.objects.get()
    other = make_client(make_user("other"))
    assert other.post(f"/api/tokens/delete/{token.pk}/").status_code == 404
    assert make_client(member).get(f"/api/tokens/delete/{token.pk}/").status_code == 405
    response = make_client(member).post(f"/api/tokens/delete/{token.pk}/")
    assert response.status_code == 302
    assert not Token.objects.exists()


def test_token_forms_need_csrf(member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    response = client.post("/api/tokens/", {"expires_in_days": "7"})
    assert response.status_code == 403
    assert not Token.objects.exists()


def test_createtoken_command(member):
    out = io.StringIO()
    call_command("createtoken", "member", "--permission", "view_pii", "--days", "3", stdout=out)
    key = out.getvalue().strip()
    assert carried(key) == {"view_pii"}
    with pytest.raises(CommandError, match="does not hold run_custom_queries"):
        call_command("createtoken", "member", "--permission", "run_custom_queries")
    with pytest.raises(CommandError, match="no user called 'nobody'"):
        call_command("createtoken", "nobody")
