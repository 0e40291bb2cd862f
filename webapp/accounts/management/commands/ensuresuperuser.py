"""Create Crash Stats' first superuser unless one exists (what `jansky run` does on first start)."""

from __future__ import annotations

import os
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

PASSWORD_VARIABLE = "DJANGO_SUPERUSER_PASSWORD"


class Command(BaseCommand):
    help = (
        "Create a superuser when the database has none and print how to log in; the password "
        f"comes from {PASSWORD_VARIABLE}, else a random one is printed (only this once). "
        "Prints the existing superusers' names otherwise. "
        "Example: jansky manage ensuresuperuser --username admin"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin", help="name of the new superuser")
        parser.add_argument("--email", default="", help="e-mail address of the new superuser")

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        existing = list(
            User.objects.filter(is_superuser=True).order_by("pk").values_list("username", flat=True)
        )
        if existing:
            self.stdout.write(f"Crash Stats superusers: {', '.join(existing)}")
            return
        username = options["username"]
        given = os.environ.get(PASSWORD_VARIABLE, "")
        password = given or secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email=options["email"], password=password)
        if given:
            self.stdout.write(f"Crash Stats superuser {username} created, with the password given")
        else:
            self.stdout.write(
                f"Crash Stats superuser {username} created with password {password} (shown only "
                f"this once; change it with `jansky manage changepassword {username}`)"
            )
