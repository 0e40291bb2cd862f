"""Login and logout pages.

The password form serves the embedded default; with OpenID Connect configured the page only
links to the provider. Either way ``next`` is followed only within this site (Django and
mozilla-django-oidc check it against ``ALLOWED_HOSTS``), so login cannot be used to redirect
elsewhere.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django_ratelimit.decorators import ratelimit

LOGIN_ATTEMPTS = "10/m"


def oidc_enabled() -> bool:
    return settings.JANSKY_WEBAPP.oidc.enabled


@method_decorator(ratelimit(key="ip", rate=LOGIN_ATTEMPTS, method="POST"), name="post")
class LoginView(auth_views.LoginView):
    """Django's login, or a link to the OpenID Connect provider when one is configured."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if oidc_enabled():
            return HttpResponseNotAllowed(["GET"], "Log in through the identity provider.")
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["oidc_enabled"] = oidc_enabled()
        context["failed"] = "failed" in self.request.GET
        if oidc_enabled():
            query = urlencode({"next": safe_next(self.request)})
            context["oidc_url"] = f"{reverse('oidc_authentication_init')}?{query}"
        return context


def safe_next(request: HttpRequest) -> str:
    """The ``next`` parameter if it stays on this site, else the home page."""
    target = request.GET.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return settings.LOGIN_REDIRECT_URL


class LogoutView(auth_views.LogoutView):
    """Logout is a POST (a link could log people out from another site)."""
