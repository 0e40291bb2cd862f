from django.contrib import admin

from cronrun.models import Job, Log


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("app_name", "last_success", "next_run", "error_count", "ongoing")
    search_fields = ("app_name",)


@admin.register(Log)
class LogAdmin(admin.ModelAdmin):
    list_display = ("app_name", "log_time", "run_time", "duration", "success", "exc_type")
    list_filter = ("app_name",)
    search_fields = ("app_name", "exc_type", "exc_value")
