from django.contrib import admin

from webapp.tokens.models import Token


@admin.register(Token)
class TokenAdmin(admin.ModelAdmin):
    """Inspect and revoke tokens; new ones are made by their owner (or `createtoken`)."""

    list_display = ("key_prefix", "user", "expires", "created", "notes")
    list_filter = ("permissions",)
    search_fields = ("user__username", "user__email", "notes", "key_prefix")
    readonly_fields = ("key_prefix", "user", "created")
    filter_horizontal = ("permissions",)

    def has_add_permission(self, request) -> bool:
        return False
