from django.apps import AppConfig


class CrashstatsConfig(AppConfig):
    name = "webapp.crashstats"
    label = "crashstats"
    verbose_name = "Crash Stats"

    def ready(self) -> None:
        from webapp.crashstats import backends

        backends.connect_signals()
