from django.apps import AppConfig


class DocumentationConfig(AppConfig):
    name = "webapp.documentation"
    label = "documentation"
    verbose_name = "Documentation"
