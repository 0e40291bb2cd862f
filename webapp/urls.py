"""Crash Stats' root URLs: each app's URLs under its prefix.

A new page family adds one line to ``APP_URLS`` (and its app to
``webapp.django_settings.JANSKY_APPS``).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from webapp.accounts.urls import oidc_urlpatterns

APP_URLS = [
    ("api/tokens/", "webapp.tokens.urls"),
    ("api/", "webapp.api.urls"),
    ("report/", "webapp.report.urls"),
    ("signature/", "webapp.signature.urls"),
    ("topcrashers/", "webapp.topcrashers.urls"),
    ("search/", "webapp.supersearch.urls"),
    ("documentation/", "webapp.documentation.urls"),
    ("profile/", "webapp.profile.urls"),
    ("", "webapp.accounts.urls"),
    ("", "webapp.crashstats.urls"),
]

urlpatterns = [
    path("siteadmin/", admin.site.urls),
    *(path(prefix, include(module)) for prefix, module in APP_URLS),
]
handler400 = "webapp.crashstats.views.bad_request"
handler404 = "webapp.crashstats.views.not_found"
handler500 = "webapp.crashstats.views.server_error"

if settings.JANSKY_WEBAPP.oidc.enabled:
    urlpatterns += oidc_urlpatterns()
