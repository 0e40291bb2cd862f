"""Account records beyond Django's users."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class PolicyException(models.Model):
    """A user allowed protected data although the access policy would not admit them.

    The policy (who may hold view_pii) is enforced by the ``auditgroups`` cron job; an exception
    records who decided otherwise, and why.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    comment = models.TextField(help_text="Why this user may hold protected-data permissions.")
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"policy exception for {self.user}"
