"""Crash Stats' bookkeeping tables (crashes themselves live in storage and search).

Filled by the cron jobs (signatures' first appearance, bug associations, missing crashes,
product versions, graphics device names) and by administrators (platforms); read by the API
and the pages.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models

from webapp.crashstats.permissions import PERMISSIONS
from webapp.crashstats.versions import newest_first


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


class Bug(models.Model):
    """What Bugzilla said of a bug that names signatures, when `bugassociations` last read it.

    Bugs in a security group are not kept (their summary is not public).
    """

    bug_id = models.IntegerField(primary_key=True)
    summary = models.TextField(blank=True)
    status = models.CharField(max_length=40, blank=True)
    resolution = models.CharField(max_length=40, blank=True)
    changed = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"bug {self.bug_id} {self.status} {self.resolution}: {self.summary}"


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


class ProductVersionQuerySet(models.QuerySet):
    def products(self) -> list[str]:
        """Products with active versions, most crashes first."""
        totals = (
            self.filter(is_active=True)
            .values("product_name")
            .annotate(crashes=models.Sum("crash_count"))
            .order_by("-crashes", "product_name")
        )
        return [row["product_name"] for row in totals]

    def active_versions(self, product: str) -> list[str]:
        """The product's active version strings, newest first: what a version picker lists."""
        return newest_first(self._versions(product, is_active=True))

    def featured_versions(self, product: str) -> list[str]:
        """The newest active version of each channel, newest first: the default versions of
        pages such as top crashers."""
        return newest_first(self._versions(product, featured=True))

    def _versions(self, product: str, **flags: bool) -> list[str]:
        rows = self.filter(product_name=product, **flags)
        return list(set(rows.values_list("version_string", flat=True)))


class ProductVersion(models.Model):
    """A build of a product on a release channel, as seen in crashes (cron ``productversions``).

    Jansky has no release archive to scrape: the job derives these rows from the crashes of
    the last ``CRON_PRODUCTVERSIONS_DAYS`` days (one row per product, channel, version and
    build id) and keeps them afterwards, so VersionString still knows old builds. After each
    run:

    - ``is_active``: the version had at least ``CRON_PRODUCTVERSIONS_MIN_CRASHES`` crashes
      in the window (every row of the version, whichever its build). Version pickers list
      these: ``ProductVersion.objects.active_versions(product)``.
    - ``featured``: the version is the newest active one of its channel (nightly, beta,
      release, esr, ...). Pages default to these:
      ``ProductVersion.objects.featured_versions(product)``.
    - ``crash_count``: crashes of this build and version in the window; ``last_seen``: the
      run that last saw it.

    ``release_version`` is the version as crashes report it, as is ``version_string``;
    ``major_version`` its first number; ``archive_url`` stays empty.
    """

    product_name = models.CharField(max_length=50)
    release_channel = models.CharField(max_length=50)
    major_version = models.IntegerField()
    release_version = models.CharField(max_length=50)
    version_string = models.CharField(max_length=100)
    build_id = models.CharField(max_length=50)
    archive_url = models.TextField(blank=True, null=True)
    is_active = models.BooleanField(default=False)
    featured = models.BooleanField(default=False)
    crash_count = models.IntegerField(default=0)
    last_seen = models.DateTimeField(null=True, blank=True)

    objects = ProductVersionQuerySet.as_manager()

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
