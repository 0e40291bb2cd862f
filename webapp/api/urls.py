from django.urls import path

from webapp.api import views

app_name = "api"

urlpatterns = [
    path("", views.documentation, name="documentation"),
    path("<str:name>/", views.endpoint, name="endpoint"),
]
