"""OpenID Connect login (mozilla-django-oidc): one account per e-mail address."""

from __future__ import annotations

from typing import Any

from mozilla_django_oidc.auth import OIDCAuthenticationBackend


class EmailAccountBackend(OIDCAuthenticationBackend):
    """Accounts are created on first login, with the verified e-mail as the user name."""

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return bool(claims.get("email")) and claims.get("email_verified", True) is not False

    def create_user(self, claims: dict[str, Any]) -> Any:
        email = claims["email"]
        return self.UserModel.objects.create_user(username=email[:150], email=email)
