from django.apps import AppConfig


class TokensConfig(AppConfig):
    name = "webapp.tokens"
    label = "tokens"
    verbose_name = "API tokens"

    def ready(self) -> None:
        from webapp.tokens import signals

        signals.connect()
