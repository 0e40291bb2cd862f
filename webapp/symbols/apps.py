from django.apps import AppConfig


class SymbolsConfig(AppConfig):
    name = "webapp.symbols"
    label = "symbols"
    verbose_name = "Symbols"
