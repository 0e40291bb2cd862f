from django.contrib import admin

from webapp.accounts.models import PolicyException


@admin.register(PolicyException)
class PolicyExceptionAdmin(admin.ModelAdmin):
    list_display = ("user", "comment", "created")
    search_fields = ("user__username", "user__email", "comment")
    raw_id_fields = ("user",)
