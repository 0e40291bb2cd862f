from django.urls import path
from django.views.generic import RedirectView

from webapp.documentation import views

app_name = "documentation"

urlpatterns = [
    path("", views.home, name="home"),
    path("supersearch/", views.supersearch_guide, name="supersearch"),
    path("supersearch/examples/", views.supersearch_examples, name="supersearch_examples"),
    path("supersearch/api/", views.supersearch_fields, name="supersearch_api"),
    path("datadictionary/", views.datadictionary, name="datadictionary"),
    path(
        "datadictionary/dataset/<str:dataset>/field/<path:field_path>",
        views.datadictionary_field,
        name="datadictionary_field",
    ),
    path("protected_data_access/", views.protected_data_access, name="protected_data_access"),
    path(
        "memory_dump_access/",
        RedirectView.as_view(pattern_name="documentation:protected_data_access", permanent=True),
    ),
]
