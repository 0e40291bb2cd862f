from django.apps import AppConfig


class TopcrashersConfig(AppConfig):
    name = "webapp.topcrashers"
    label = "topcrashers"
    verbose_name = "Top crashers"
