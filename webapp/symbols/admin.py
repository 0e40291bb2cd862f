"""The symbol store's index, the upload history, healing and upstream probes in the admin.

Rows are made by uploads, healing and the `upstreamsymbols` job, not by hand: the admin shows
them and lets a superuser delete one (a healing job, to stop it), never add one.
"""

from django.contrib import admin
from django.http import HttpRequest

from webapp.symbols.models import (
    HealingJob,
    SymbolFile,
    SymbolUpload,
    UploadedSymbol,
    UpstreamProbe,
)


class ShownOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(SymbolFile)
class SymbolFileAdmin(ShownOnly):
    list_display = ("debug_file", "debug_id", "code_file", "code_id", "size", "updated")
    search_fields = ("debug_file", "debug_id", "code_file", "code_id")


class UploadedSymbolInline(admin.TabularInline):
    model = UploadedSymbol
    fields = ("debug_file", "debug_id", "code_file", "code_id", "size", "outcome")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(SymbolUpload)
class SymbolUploadAdmin(ShownOnly):
    list_display = ("id", "created", "user", "file_name", "size", "status")
    list_filter = ("status",)
    search_fields = ("file_name", "user__username")
    inlines = [UploadedSymbolInline]


@admin.register(HealingJob)
class HealingJobAdmin(ShownOnly):
    list_display = ("id", "debug_file", "debug_id", "state", "crashes", "queued", "upload")
    list_filter = ("state",)
    search_fields = ("debug_file", "debug_id")


@admin.register(UpstreamProbe)
class UpstreamProbeAdmin(ShownOnly):
    list_display = ("debug_file", "debug_id", "checked", "found_url")
    search_fields = ("debug_file", "debug_id", "found_url")
