from django.apps import AppConfig


class ProfileConfig(AppConfig):
    name = "webapp.profile"
    label = "profile"
    verbose_name = "Profile"
