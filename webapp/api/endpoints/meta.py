"""Endpoints about the API itself and the products: whoami, NoOp and VersionString."""

from __future__ import annotations

from typing import Any

from webapp.api.declarations import Call, Endpoint, Param
from webapp.api.errors import ApiError
from webapp.crashstats.models import ProductVersion
from webapp.crashstats.permissions import display_name

PRERELEASE_CHANNELS = {"beta", "aurora"}


class Whoami(Endpoint):
    """Who the API takes you for: the user, the permissions in effect and the token used.

    Use it to check a token: the permissions listed are exactly what your requests may use.
    """

    name = "whoami"
    summary = "The caller's user, effective permissions and token."
    returns = (
        '{"user": name or null, "permissions": [{"codename", "name"}], "token": {...} or null}'
    )
    example = {
        "user": "alice@example.com",
        "permissions": [{"codename": "view_pii", "name": display_name("view_pii")}],
        "token": {"key_prefix": "3f2a9c", "expires": "2025-01-01T00:00:00+00:00", "notes": ""},
    }

    def handle(self, call: Call) -> Any:
        access = call.access
        token = getattr(call.request, "auth_token", None)
        return {
            "user": access.user.get_username() if access.is_authenticated else None,
            "permissions": [
                {"codename": codename, "name": display_name(codename)}
                for codename in sorted(access.permissions)
            ],
            "token": None
            if token is None
            else {"key_prefix": token.key_prefix, "expires": token.expires, "notes": token.notes},
        }


class NoOp(Endpoint):
    """Does nothing; exists to test clients and the API's own plumbing."""

    name = "NoOp"
    summary = "Answers an empty result (product=bad answers 400)."
    parameters = (Param("product", required=True, doc="Any product name except `bad`."),)
    returns = '{"hits": [], "total": 0}'
    example = {"hits": [], "total": 0}

    def handle(self, call: Call) -> Any:
        if call.params["product"] == "bad":
            raise ApiError("Bad request: BadArgumentError: product=bad is refused on purpose")
        return {"hits": [], "total": 0}


class VersionString(Endpoint):
    """The version string of a product's build on a channel (the processor's beta lookup)."""

    name = "VersionString"
    summary = "Version strings of a build, from the product versions table."
    parameters = (
        Param("product", required=True, doc="Product name, e.g. Firefox."),
        Param("channel", required=True, doc="Release channel, e.g. beta."),
        Param("build_id", required=True, doc="Build id, e.g. 20240901093012."),
    )
    returns = '{"hits": [{"version_string"}], "total"}'
    example = {"hits": [{"version_string": "134.0b5"}], "total": 1}
    cache_seconds = 300

    def handle(self, call: Call) -> Any:
        params = call.params
        versions = list(
            ProductVersion.objects.filter(
                product_name=params["product"],
                release_channel=params["channel"],
                build_id=params["build_id"],
            )
            .order_by("version_string")
            .values_list("version_string", flat=True)
        )
        if params["channel"].lower() in PRERELEASE_CHANNELS and versions:
            # A beta build is also a release candidate: prefer the "b" name when there is one.
            if "b" in versions[0]:
                versions = [version for version in versions if "rc" not in version]
            else:
                versions = [version for version in versions if "rc" in version]
        hits = [{"version_string": version} for version in versions]
        return {"hits": hits, "total": len(hits)}
