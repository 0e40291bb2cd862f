"""Crash Stats' bookkeeping tables (crashes themselves live in storage and search).

Filled by the cron jobs (signatures' first appearance, bug associations, missing crashes,
product versions, graphics device names) and by administrators (platforms); read by the API
and the pages.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models

from webapp.crashstats.permissions import PERMISSIONS


class ProtectedDataAccess(models.Model):
    """Holds Crash Stats' site-wide permissions (``crashstats.view_pii``, ...); has no table."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = list(PERMISSIONS.items())


class Signature(models.Model):
    """When and in which build a signature was first seen (cron job ``updatesignatures``)."""

    signature = models.TextField(unique=True)
    first_build = models.BigIntegerField(null=True, blank=True)
    first_date = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.signature


class BugAssociationQuerySet(models.QuerySet):
    def get_bugs_and_related_bugs(self, signatures: Iterable[str]) -> models.QuerySet:
        """Every association of every bug that mentions one of ``signatures``."""
        bug_ids = self.filter(signature__in=list(signatures)).values("bug_id")
        return self.filter(bug_id__in=bug_ids)


class BugAssociation(models.Model):
    """A Bugzilla bug that names a signature in its crash-signature field."""

    bug_id = models.IntegerField()
    signature = models.TextField()

    objects = BugAssociationQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bug_id", "signature"], name="unique_bug_signature")
        ]
        indexes = [models.Index(fields=["signature"], name="bugassociation_signature")]

    def __str__(self) -> str:
        return f"bug {self.bug_id}: {self.signature}"


class MissingProcessedCrash(models.Model):
    """A stored raw crash found without a processed crash or index entry (``verifyprocessed``)."""

    crash_id = models.CharField(max_length=36, unique=True)
    is_processed = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.crash_id


class GraphicsDevice(models.Model):
    """Names of a PCI vendor and adapter, shown next to their hex ids."""

    vendor_hex = models.CharField(max_length=100)
    adapter_hex = models.CharField(max_length=100)
    vendor_name = models.TextField(blank=True, null=True)
    adapter_name = models.TextField(blank=True, null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["vendor_hex", "adapter_hex"], name="unique_vendor_adapter"
            )
        ]

    def __str__(self) -> str:
        return f"{self.vendor_hex} {self.adapter_hex}"


class Platform(models.Model):
    """An operating system family: its name in crashes and a short name for table columns."""

    name = models.CharField(max_length=20, unique=True)
    short_name = models.CharField(max_length=20)

    def __str__(self) -> str:
        return self.name


class ProductVersion(models.Model):
    """A released build of a product (cron job ``archivescraper``); feeds VersionString."""

    product_name = models.CharField(max_length=50)
    release_channel = models.CharField(max_length=50)
    major_version = models.IntegerField()
    release_version = models.CharField(max_length=50)
    version_string = models.CharField(max_length=100)
    build_id = models.CharField(max_length=50)
    archive_url = models.TextField(blank=True, null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["product_name", "release_channel", "build_id", "version_string"],
                name="unique_product_version",
            )
        ]

    def __str__(self) -> str:
        return f"{self.product_name} {self.version_string} ({self.release_channel})"


class StatusMessage(models.Model):
    """A banner every page shows while enabled (an outage, a migration, a known problem)."""

    SEVERITIES = [("info", "Info"), ("warning", "Warning"), ("critical", "Critical")]

    message = models.TextField(help_text='Plain text; "bug 1234567" becomes a link.')
    severity = models.CharField(max_length=20, choices=SEVERITIES, default="info")
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.severity}: {self.message[:60]}"
