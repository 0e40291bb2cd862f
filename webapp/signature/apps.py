from django.apps import AppConfig


class SignatureConfig(AppConfig):
    name = "webapp.signature"
    label = "signature"
    verbose_name = "Signature report"
