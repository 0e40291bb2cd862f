"""API tokens. Only a SHA-256 hash of each key is stored; the key is shown once, at creation.

A key is 128 random bits written as 32 hex characters (the shape crashstats-tools and scripts
written for Socorro send in ``Auth-Token``), so a fast hash is enough: there is nothing to
guess from it.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import models, transaction
from django.utils import timezone

from webapp.crashstats.permissions import APP_LABEL

KEY_BYTES = 16
PREFIX_LENGTH = 6
MAX_NOTES = 2000


def hash_key(key: str) -> str:
    return hashlib.sha256(key.strip().encode("utf-8", "surrogatepass")).hexdigest()


class Token(models.Model):
    """One API token of a user: its hashed key, permission subset, expiry and a note."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_prefix = models.CharField(
        max_length=PREFIX_LENGTH, editable=False, help_text="First characters of the key."
    )
    permissions = models.ManyToManyField(Permission, blank=True)
    notes = models.TextField(max_length=MAX_NOTES, blank=True)
    expires = models.DateTimeField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.key_prefix}… ({self.user})"

    @property
    def is_expired(self) -> bool:
        return self.expires <= timezone.now()

    def codenames(self) -> frozenset[str]:
        """The crashstats permission codenames the token carries."""
        return frozenset(
            self.permissions.filter(content_type__app_label=APP_LABEL).values_list(
                "codename", flat=True
            )
        )


def crashstats_permissions(codenames: Iterable[str]) -> list[Permission]:
    """The Permission rows of these crashstats codenames (unknown codenames are ignored)."""
    return list(
        Permission.objects.filter(
            content_type__app_label=APP_LABEL, codename__in=list(codenames)
        ).select_related("content_type")
    )


def default_expiry() -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=settings.TOKENS_DEFAULT_EXPIRATION_DAYS)


@transaction.atomic
def create_token(
    user: models.Model,
    codenames: Iterable[str] = (),
    notes: str = "",
    expires: datetime.datetime | None = None,
) -> tuple[Token, str]:
    """A new token of ``user`` and its key (the only time the key exists in clear)."""
    key = secrets.token_hex(KEY_BYTES)
    token = Token.objects.create(
        user=user,
        key_hash=hash_key(key),
        key_prefix=key[:PREFIX_LENGTH],
        notes=notes,
        expires=expires or default_expiry(),
    )
    token.permissions.set(crashstats_permissions(codenames))
    return token, key


def find_token(key: str) -> Token | None:
    """The token whose key is ``key``, with its user, or None."""
    return Token.objects.select_related("user").filter(key_hash=hash_key(key)).first()
