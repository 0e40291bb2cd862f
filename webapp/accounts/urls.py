from django.urls import include, path

from webapp.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
]


def oidc_urlpatterns() -> list:
    """mozilla-django-oidc's views under /oidc/ (only when a provider is configured)."""
    return [path("oidc/", include("mozilla_django_oidc.urls"))]
