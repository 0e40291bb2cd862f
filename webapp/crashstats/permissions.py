"""Who may see and do what: Crash Stats' permissions, its groups, and a request's access.

Permissions are Django permissions of the ``crashstats`` app (``crashstats.view_pii``, ...),
granted through groups. A request's :class:`Access` is what every answer is filtered by: the
user's permissions, or, with an API token, only the token's (never more than the owner still
holds, superusers included).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from jansky.schemas import ANONYMOUS
from jansky.schemas import VIEW_PII as SCHEMA_VIEW_PII

APP_LABEL = "crashstats"

VIEW_PII = "view_pii"
VIEW_RAWDUMP = "view_rawdump"
REPROCESS_CRASHES = "reprocess_crashes"
RUN_CUSTOM_QUERIES = "run_custom_queries"
RUN_LONG_QUERIES = "run_long_queries"
UPLOAD_SYMBOLS = "upload_symbols"

# codename -> display name, in the order pages list them.
PERMISSIONS = {
    VIEW_PII: "View Personal Identifiable Information",
    VIEW_RAWDUMP: "View Raw Dumps",
    REPROCESS_CRASHES: "Reprocess Crashes",
    RUN_CUSTOM_QUERIES: "Run Custom Queries in Super Search",
    RUN_LONG_QUERIES: "Run Long Queries",
    UPLOAD_SYMBOLS: "Upload Symbols",
}

HACKERS = "Hackers"
HACKERS_PLUS = "Hackers Plus"
GROUPS = {
    HACKERS: (REPROCESS_CRASHES, RUN_LONG_QUERIES, VIEW_PII, VIEW_RAWDUMP),
    HACKERS_PLUS: (REPROCESS_CRASHES, RUN_LONG_QUERIES, VIEW_PII, VIEW_RAWDUMP, RUN_CUSTOM_QUERIES),
}

# Set by webapp.tokens.middleware on requests authenticated by an API token: the codenames the
# token carries that its owner still holds.
TOKEN_PERMISSIONS_ATTRIBUTE = "token_permissions"
_CACHE_ATTRIBUTE = "_crashstats_access"


def display_name(codename: str) -> str:
    return PERMISSIONS.get(codename, codename)


@dataclass(frozen=True)
class Access:
    """What a request may see and do; the only input redaction and permission checks use."""

    user: Any  # a User or AnonymousUser
    permissions: frozenset[str]  # crashstats codenames
    via_token: bool = False

    def has(self, codename: str) -> bool:
        return codename in self.permissions

    @property
    def is_authenticated(self) -> bool:
        return bool(getattr(self.user, "is_authenticated", False))

    @property
    def schema_permissions(self) -> frozenset[str]:
        """What the crash schemas' ``permissions`` lists are checked against."""
        return SCHEMA_VIEW_PII if self.has(VIEW_PII) else ANONYMOUS

    @property
    def sees_protected_data(self) -> bool:
        return self.has(VIEW_PII)


ANONYMOUS_ACCESS = Access(user=None, permissions=frozenset())


def user_codenames(user: Any) -> frozenset[str]:
    """The crashstats permission codenames an active user holds (superusers hold them all)."""
    if user is None or not getattr(user, "is_active", False):
        return frozenset()
    prefix = f"{APP_LABEL}."
    return frozenset(
        name.removeprefix(prefix) for name in user.get_all_permissions() if name.startswith(prefix)
    )


def access_for(request: HttpRequest) -> Access:
    """The request's access, computed once per request."""
    cached = getattr(request, _CACHE_ATTRIBUTE, None)
    if cached is not None:
        return cached
    user = getattr(request, "user", None)
    token_permissions: Iterable[str] | None = getattr(request, TOKEN_PERMISSIONS_ATTRIBUTE, None)
    if token_permissions is not None:
        access = Access(user, frozenset(token_permissions) & user_codenames(user), via_token=True)
    elif user is not None and user.is_authenticated:
        access = Access(user, user_codenames(user))
    else:
        access = Access(user, frozenset())
    setattr(request, _CACHE_ATTRIBUTE, access)
    return access
