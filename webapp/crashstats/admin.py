from django.contrib import admin

from webapp.crashstats.models import (
    Bug,
    BugAssociation,
    GraphicsDevice,
    MissingProcessedCrash,
    Platform,
    ProductVersion,
    Signature,
    StatusMessage,
)

admin.site.site_header = "Crash Stats administration"
admin.site.site_title = "Crash Stats admin"


@admin.register(Signature)
class SignatureAdmin(admin.ModelAdmin):
    list_display = ("signature", "first_build", "first_date")
    search_fields = ("signature",)


@admin.register(BugAssociation)
class BugAssociationAdmin(admin.ModelAdmin):
    list_display = ("bug_id", "signature")
    search_fields = ("signature", "bug_id")


@admin.register(Bug)
class BugAdmin(admin.ModelAdmin):
    list_display = ("bug_id", "status", "resolution", "summary", "changed")
    list_filter = ("status", "resolution")
    search_fields = ("bug_id", "summary")


@admin.register(MissingProcessedCrash)
class MissingProcessedCrashAdmin(admin.ModelAdmin):
    list_display = ("crash_id", "is_processed", "created")
    list_filter = ("is_processed",)
    search_fields = ("crash_id",)


@admin.register(GraphicsDevice)
class GraphicsDeviceAdmin(admin.ModelAdmin):
    list_display = ("vendor_hex", "adapter_hex", "vendor_name", "adapter_name")
    search_fields = ("vendor_hex", "adapter_hex", "vendor_name", "adapter_name")


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    list_display = ("name", "short_name")


@admin.register(ProductVersion)
class ProductVersionAdmin(admin.ModelAdmin):
    list_display = (
        "product_name",
        "release_channel",
        "version_string",
        "build_id",
        "is_active",
        "featured",
        "crash_count",
    )
    list_filter = ("product_name", "release_channel", "is_active", "featured")
    search_fields = ("version_string", "build_id")


@admin.register(StatusMessage)
class StatusMessageAdmin(admin.ModelAdmin):
    list_display = ("message", "severity", "enabled", "created_at")
    list_filter = ("severity", "enabled")
