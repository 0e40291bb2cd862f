"""Who may keep protected-data access: the ``auditgroups`` criteria, applied everywhere.

A member of a group granting view_pii loses that group when any of these holds:

- the account is inactive;
- ``CRON_AUDIT_EMAIL_DOMAINS`` is set, the address is in none of them, and no
  ``PolicyException`` admits the user;
- the user has not logged in for ``CRON_AUDIT_INACTIVE_DAYS`` days (counted from joining if
  never) and holds no unexpired API token.

Each removal is written to the admin's history as the system user ``auditgroups``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from webapp.accounts.models import PolicyException
from webapp.crashstats.permissions import APP_LABEL, VIEW_PII
from webapp.tokens.models import Token

SYSTEM_USER = "auditgroups"


@dataclass(frozen=True)
class AuditRules:
    email_domains: tuple[str, ...]
    inactive_days: int


@dataclass(frozen=True)
class Removal:
    username: str
    group: str
    reason: str


def protected_groups() -> list[Group]:
    """The groups whose members see protected data."""
    return list(
        Group.objects.filter(
            permissions__codename=VIEW_PII, permissions__content_type__app_label=APP_LABEL
        )
        .distinct()
        .order_by("name")
    )


def disqualification(user: User, rules: AuditRules, now: datetime.datetime) -> str | None:
    """Why ``user`` may not keep protected-data groups, or None when they may."""
    if not user.is_active:
        return "the account is inactive"
    domain = user.email.rpartition("@")[2].lower()
    if (
        rules.email_domains
        and domain not in rules.email_domains
        and not PolicyException.objects.filter(user=user).exists()
    ):
        return f"e-mail domain {domain or '(none)'!r} is not allowed and no policy exception"
    seen = user.last_login or user.date_joined
    cutoff = now - datetime.timedelta(days=rules.inactive_days)
    if seen < cutoff and not Token.objects.filter(user=user, expires__gt=now).exists():
        return f"no login for {rules.inactive_days} days and no unexpired API token"
    return None


def audit_groups(rules: AuditRules, now: datetime.datetime, dry_run: bool) -> list[Removal]:
    removals = []
    for group in protected_groups():
        for user in group.user_set.order_by("username"):
            reason = disqualification(user, rules, now)
            if reason is None:
                continue
            removals.append(Removal(user.username, group.name, reason))
            if not dry_run:
                _remove(user, group, reason)
    return removals


@transaction.atomic
def _remove(user: User, group: Group, reason: str) -> None:
    user.groups.remove(group)
    LogEntry.objects.create(
        user=system_user(),
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(user.pk),
        object_repr=str(user)[:200],
        action_flag=CHANGE,
        change_message=f"Removed from group {group.name}: {reason} (auditgroups)",
    )


def system_user() -> User:
    """The inactive account the audit acts as in the admin's history."""
    user, created = User.objects.get_or_create(username=SYSTEM_USER, defaults={"is_active": False})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user
