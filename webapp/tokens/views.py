"""Token pages: list, create (the key is shown once, on the answer to the form) and delete."""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from webapp.crashstats.permissions import display_name, user_codenames
from webapp.tokens.forms import TokenForm
from webapp.tokens.models import Token, create_token


@login_required
@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    held = user_codenames(request.user)
    new_key = None
    if request.method == "POST":
        asked = set(request.POST.getlist("permissions"))
        if asked - held:
            names = ", ".join(sorted(display_name(name) for name in asked - held))
            return HttpResponseForbidden(
                f"A token can only carry permissions you hold; you do not hold: {names}",
                content_type="text/plain",
            )
        form = TokenForm(request.POST, held=held)
        if form.is_valid():
            expires = timezone.now() + datetime.timedelta(days=form.cleaned_data["expires_in_days"])
            _, new_key = create_token(
                request.user,
                form.cleaned_data["permissions"],
                notes=form.cleaned_data["notes"],
                expires=expires,
            )
            form = TokenForm(held=held)
    else:
        form = TokenForm(held=held)
    tokens = Token.objects.filter(user=request.user).prefetch_related("permissions")
    context = {"form": form, "tokens": tokens, "new_key": new_key, "now": timezone.now()}
    response = render(request, "tokens/home.html", context, status=201 if new_key else 200)
    if new_key:
        response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(Token, pk=pk, user=request.user)
    token.delete()
    return redirect("tokens:home")
