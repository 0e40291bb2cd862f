from django.apps import AppConfig


class SupersearchConfig(AppConfig):
    name = "webapp.supersearch"
    label = "supersearch"
    verbose_name = "Super Search pages"
