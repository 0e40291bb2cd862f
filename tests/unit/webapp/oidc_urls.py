"""Crash Stats' URLs with OpenID Connect on (webapp.urls adds them only when configured)."""

from webapp.accounts.urls import oidc_urlpatterns
from webapp.urls import urlpatterns as site_urlpatterns

urlpatterns = [*site_urlpatterns, *oidc_urlpatterns()]
