"""The "generate a new token" form: permissions from the user's own, a note and an expiry."""

from __future__ import annotations

from django import forms
from django.conf import settings

from webapp.crashstats.permissions import PERMISSIONS
from webapp.tokens.models import MAX_NOTES

MAX_DAYS = 365


class TokenForm(forms.Form):
    permissions = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, choices=()
    )
    notes = forms.CharField(
        required=False,
        max_length=MAX_NOTES,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the token is for, so you can tell your tokens apart.",
    )
    expires_in_days = forms.IntegerField(min_value=1, max_value=MAX_DAYS)

    def __init__(self, *args, held: frozenset[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["permissions"].choices = [
            (codename, name) for codename, name in PERMISSIONS.items() if codename in held
        ]
        self.fields["expires_in_days"].initial = settings.TOKENS_DEFAULT_EXPIRATION_DAYS
