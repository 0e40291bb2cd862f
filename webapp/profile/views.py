"""``/profile/``: the account, its groups, each permission held or not, and its tokens."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from webapp.crashstats.permissions import PERMISSIONS, access_for


@login_required
@require_GET
def profile(request: HttpRequest) -> HttpResponse:
    access = access_for(request)
    user = request.user
    context = {
        "permissions": [
            {"codename": codename, "name": name, "held": access.has(codename)}
            for codename, name in PERMISSIONS.items()
        ],
        "groups": list(user.groups.order_by("name").values_list("name", flat=True)),
        "active_tokens": user.api_tokens.filter(expires__gt=timezone.now()).count(),
    }
    return render(request, "profile/profile.html", context)
