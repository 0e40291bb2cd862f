from django.apps import AppConfig


class ReportConfig(AppConfig):
    name = "webapp.report"
    label = "report"
    verbose_name = "Crash report pages"
