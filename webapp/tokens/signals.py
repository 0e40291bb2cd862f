"""A permission its owner loses is removed from the owner's tokens at once.

Every way a user loses a permission ends here: leaving a group, a group losing a permission or
being deleted, a direct permission removed, superuser status or the account's activity taken
away. (The token middleware also intersects with the owner's current permissions on every
request, so a path missed here would still grant nothing.)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

from webapp.crashstats.permissions import user_codenames
from webapp.tokens.models import Token

LOSING_ACTIONS = {"post_remove", "post_clear"}
ACCESS_FIELDS = {"is_active", "is_superuser"}


def prune_tokens(user_ids: Iterable[int]) -> int:
    """Remove from these users' tokens every permission the user no longer holds."""
    removed = 0
    users = get_user_model().objects.filter(pk__in=set(user_ids), api_tokens__isnull=False)
    for user in users.distinct():
        held = user_codenames(user)
        for token in user.api_tokens.prefetch_related("permissions"):
            lost = [p for p in token.permissions.all() if p.codename not in held]
            if lost:
                token.permissions.remove(*lost)
                removed += len(lost)
    return removed


def _all_token_owners() -> Iterable[int]:
    return Token.objects.values_list("user_id", flat=True)


def _user_groups_changed(instance: Any, action: str, reverse: bool, pk_set: Any, **_: Any):
    if reverse and action == "pre_clear":  # group.user_set.clear(): remember who leaves
        instance._members_before_clear = list(instance.user_set.values_list("pk", flat=True))
    elif action not in LOSING_ACTIONS:
        return
    elif not reverse:  # user.groups.remove(...) or .clear()
        prune_tokens([instance.pk])
    elif action == "post_remove":  # group.user_set.remove(users)
        prune_tokens(pk_set)
    else:
        prune_tokens(getattr(instance, "_members_before_clear", ()))


def _permissions_changed(instance: Any, action: str, reverse: bool, sender: Any, **_: Any):
    """Permissions taken from a group or a user (from either side of the relation)."""
    if action not in LOSING_ACTIONS:
        return
    if reverse:  # permission.group_set/user_set changed: rare, check every token owner
        prune_tokens(_all_token_owners())
    elif isinstance(instance, Group):
        prune_tokens(instance.user_set.values_list("pk", flat=True))
    else:
        prune_tokens([instance.pk])


def _group_deleting(instance: Group, **_: Any) -> None:
    instance._members_before_delete = list(instance.user_set.values_list("pk", flat=True))


def _group_deleted(instance: Group, **_: Any) -> None:
    prune_tokens(getattr(instance, "_members_before_delete", ()))


def _user_saved(instance: Any, created: bool, update_fields: Any, **_: Any) -> None:
    if created or (update_fields is not None and not ACCESS_FIELDS & set(update_fields)):
        return
    prune_tokens([instance.pk])


def connect() -> None:
    User = get_user_model()
    m2m_changed.connect(
        _user_groups_changed, sender=User.groups.through, dispatch_uid="tokens-user-groups"
    )
    for through in (Group.permissions.through, User.user_permissions.through):
        m2m_changed.connect(
            _permissions_changed, sender=through, dispatch_uid=f"tokens-{through.__name__}"
        )
    pre_delete.connect(_group_deleting, sender=Group, dispatch_uid="tokens-group-deleting")
    post_delete.connect(_group_deleted, sender=Group, dispatch_uid="tokens-group-deleted")
    post_save.connect(_user_saved, sender=User, dispatch_uid="tokens-user-saved")
