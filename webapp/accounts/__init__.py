"""Accounts: Django's login on the embedded default, OpenID Connect when configured."""
