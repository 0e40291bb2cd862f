"""``auditgroups``: every criterion applies, everywhere; removals are in the admin's history."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, User
from django.utils import timezone

from tests.unit.cronrun.conftest import run_command
from webapp.accounts.models import PolicyException
from webapp.tokens.models import create_token

pytestmark = pytest.mark.django_db


def member(name: str, email: str, days_away: int = 1, group: str = "Hackers", **fields) -> User:
    user = User.objects.create_user(name, email, "password", **fields)
    user.last_login = timezone.now() - datetime.timedelta(days=days_away)
    user.save()
    user.groups.add(Group.objects.get(name=group))
    return user


def groups_of(name: str) -> set[str]:
    return set(User.objects.get(username=name).groups.values_list("name", flat=True))


def test_each_criterion_removes_members(monkeypatch):
    monkeypatch.setenv("CRON_AUDIT_EMAIL_DOMAINS", "example.com, @corp.example")
    member("fine", "fine@example.com")
    member("corp", "corp@corp.example", group="Hackers Plus")
    member("inactive", "inactive@example.com", is_active=False)
    member("outsider", "outsider@elsewhere.org")
    excepted = member("excepted", "excepted@elsewhere.org")
    PolicyException.objects.create(user=excepted, comment="contractor")
    member("away", "away@example.com", days_away=400)
    with_token = member("away-with-token", "token@example.com", days_away=400)
    create_token(with_token, [], expires=timezone.now() + datetime.timedelta(days=5))
    never = User.objects.create_user("never", "never@example.com", "password")
    never.date_joined = timezone.now() - datetime.timedelta(days=500)
    never.save()
    never.groups.add(Group.objects.get(name="Hackers"))
    other_group = member("other", "other@elsewhere.org")
    other_group.groups.set([Group.objects.create(name="Readers")])

    dry = run_command("auditgroups", "--dry-run")
    assert "would remove 4 group memberships" in dry
    assert groups_of("outsider") == {"Hackers"}

    output = run_command("auditgroups")

    assert "removed inactive from Hackers: the account is inactive" in output
    assert "removed outsider from Hackers: e-mail domain 'elsewhere.org' is not allowed" in output
    assert "removed away from Hackers: no login for 365 days and no unexpired API token" in output
    assert "removed never from Hackers" in output
    for name in ("inactive", "outsider", "away", "never"):
        assert groups_of(name) == set()
    assert groups_of("fine") == groups_of("excepted") == groups_of("away-with-token") == {"Hackers"}
    assert groups_of("corp") == {"Hackers Plus"} and groups_of("other") == {"Readers"}
    entries = LogEntry.objects.filter(user__username="auditgroups")
    assert entries.count() == 4
    assert entries.get(object_repr="inactive").change_message == (
        "Removed from group Hackers: the account is inactive (auditgroups)"
    )
    assert not User.objects.get(username="auditgroups").is_active
    assert "removed 0 group memberships" in run_command("auditgroups")


def test_without_domains_every_address_is_allowed(monkeypatch):
    monkeypatch.delenv("CRON_AUDIT_EMAIL_DOMAINS", raising=False)
    member("anyone", "anyone@anywhere.net")
    assert "removed 0 group memberships" in run_command("auditgroups")
    assert groups_of("anyone") == {"Hackers"}
