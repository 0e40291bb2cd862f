"""What the symbol store holds, who uploaded what, and the healing of crashes per module.

The store itself is the crash storage (``jansky.symbols.store``); these rows are its index
(checksums for idempotent uploads, code file and code id for lookups by code), the upload
history, and the healing jobs that reprocess crashes which lacked an uploaded module.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from jansky.symbols.layout import SymbolKey


class SymbolFileFields(models.Model):
    """What names and identifies a symbol file."""

    debug_file = models.CharField(max_length=255)
    debug_id = models.CharField(max_length=40)
    code_file = models.CharField(max_length=255, blank=True)
    code_id = models.CharField(max_length=80, blank=True)  # upper case
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        abstract = True

    @property
    def key(self) -> SymbolKey:
        return SymbolKey(self.debug_file, self.debug_id)

    def __str__(self) -> str:
        return str(self.key)


class SymbolFile(SymbolFileFields):
    """A symbol file in the store, as last uploaded."""

    os = models.CharField(max_length=40, blank=True)
    arch = models.CharField(max_length=40, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["debug_file", "debug_id"], name="symbol_file_key")
        ]
        indexes = [models.Index(fields=["code_file", "code_id"], name="symbol_file_code")]


class SymbolUpload(models.Model):
    """One upload, stored or rejected."""

    STORED = "stored"
    REJECTED = "rejected"
    FAILED = "failed"
    UPSTREAM = "upstream"  # not an upload: symbols found on an upstream symbol server
    STATUSES = [
        (STORED, "stored"),
        (REJECTED, "rejected"),
        (FAILED, "failed"),
        (UPSTREAM, "found upstream"),
    ]

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    file_name = models.CharField(max_length=255, blank=True)
    size = models.BigIntegerField(default=0)
    status = models.CharField(max_length=10, choices=STATUSES)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"upload {self.pk} ({self.status})"


class UploadedSymbol(SymbolFileFields):
    """One file of an upload and what became of it."""

    NEW = "new"
    REPLACED = "replaced"
    UNCHANGED = "unchanged"
    OUTCOMES = [(NEW, "new"), (REPLACED, "replaced"), (UNCHANGED, "unchanged")]

    upload = models.ForeignKey(SymbolUpload, related_name="files", on_delete=models.CASCADE)
    outcome = models.CharField(max_length=10, choices=OUTCOMES)

    class Meta:
        ordering = ["debug_file", "debug_id"]


class HealingJob(models.Model):
    """Reprocessing the crashes that lacked one module, after an upload brought it."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    STATES = [(PENDING, "pending"), (RUNNING, "running"), (DONE, "done")]

    upload = models.ForeignKey(SymbolUpload, related_name="healing", on_delete=models.CASCADE)
    debug_file = models.CharField(max_length=255)
    debug_id = models.CharField(max_length=40)
    state = models.CharField(max_length=10, choices=STATES, default=PENDING, db_index=True)
    since = models.DateTimeField()  # crashes dated from here...
    until = models.DateTimeField()  # ...to here are healed
    crashes = models.IntegerField(default=0)  # crashes lacking the module when healing began
    queued = models.IntegerField(default=0)
    cursor_before = models.CharField(max_length=64, blank=True)
    cursor_seen = models.JSONField(default=list)
    started = models.DateTimeField(null=True)
    finished = models.DateTimeField(null=True)

    class Meta:
        ordering = ["id"]

    @property
    def key(self) -> SymbolKey:
        return SymbolKey(self.debug_file, self.debug_id)


class UpstreamProbe(models.Model):
    """When a missing module was last looked for on the upstream symbol servers, and where it
    was found (then its crashes are being healed, and it is not looked for again)."""

    debug_file = models.CharField(max_length=255)
    debug_id = models.CharField(max_length=40)
    checked = models.DateTimeField()
    found_url = models.CharField(max_length=2000, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["debug_file", "debug_id"], name="upstream_probe_key")
        ]

    @property
    def key(self) -> SymbolKey:
        return SymbolKey(self.debug_file, self.debug_id)


class HealerLease(models.Model):
    """Which process heals now: one at a time, so the reprocessing rate is the configured one."""

    name = models.CharField(max_length=20, primary_key=True)
    holder = models.CharField(max_length=100)
    expires = models.DateTimeField()
