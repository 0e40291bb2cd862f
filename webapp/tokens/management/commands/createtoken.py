"""Create an API token for a user and print its key (the only time it is shown)."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from webapp.crashstats.permissions import PERMISSIONS, user_codenames
from webapp.tokens.models import create_token


class Command(BaseCommand):
    help = (
        "Create an API token for USER carrying some of their permissions; prints the key. "
        "Example: jansky manage createtoken alice --permission view_pii --permission view_rawdump"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--permission",
            action="append",
            default=[],
            choices=sorted(PERMISSIONS),
            help="a permission the token carries (repeat); the user must hold it",
        )
        parser.add_argument("--days", type=int, default=None, help="days until it expires")
        parser.add_argument("--notes", default="", help="what the token is for")

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        try:
            user = User.objects.get(username=options["username"])
        except User.DoesNotExist:
            raise CommandError(f"no user called {options['username']!r}") from None
        missing = set(options["permission"]) - user_codenames(user)
        if missing:
            raise CommandError(
                f"{user} does not hold {', '.join(sorted(missing))}; a token carries only "
                "permissions its owner holds (add the user to a group first)"
            )
        days = options["days"]
        expires = timezone.now() + datetime.timedelta(days=days) if days else None
        _, key = create_token(user, options["permission"], notes=options["notes"], expires=expires)
        self.stdout.write(key)
