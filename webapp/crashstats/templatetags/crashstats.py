"""Template tags of every Crash Stats page: built assets, dates, numbers and safe linking.

Crash data is escaped like everything else; the filters here that return HTML escape their
input first and only add markup around digits they matched themselves.
"""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from webapp.crashstats.assets import asset_url

register = template.Library()

BUG_URL = "https://bugzilla.mozilla.org/show_bug.cgi?id={}"
_BUG = re.compile(r"\bbug\s*#?\s*(\d{1,9})\b", re.IGNORECASE)


@register.simple_tag
def script(name: str) -> SafeString:
    """``<script>`` for a built page script (deferred: it runs once the page is parsed)."""
    return format_html('<script src="{}" defer></script>', asset_url(name))


@register.simple_tag
def stylesheet(name: str) -> SafeString:
    return format_html('<link rel="stylesheet" href="{}">', asset_url(name))


def _as_datetime(value: Any) -> datetime.datetime | None:
    if isinstance(value, datetime.datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


@register.filter
def crashdate(value: Any) -> str:
    """An ISO 8601 date or datetime as ``YYYY-MM-DD HH:MM:SS`` UTC; other values as they are."""
    moment = _as_datetime(value)
    if moment is None:
        return "" if value is None else str(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


@register.filter
def isodate(value: Any) -> str:
    """Machine-readable form for ``<time datetime>``."""
    moment = _as_datetime(value)
    return moment.isoformat() if moment else ""


@register.filter
def percent(part: Any, whole: Any) -> str:
    try:
        return f"{100 * float(part) / float(whole):.2f} %" if float(whole) else "0.00 %"
    except (TypeError, ValueError):
        return ""


@register.filter
def thousands(value: Any) -> str:
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return "" if value is None else str(value)


@register.filter
def label(name: str) -> str:
    """A field name as people read it: ``build_id`` -> ``build id``."""
    return str(name).replace("_", " ")


@register.filter
def pretty_json(value: Any) -> str:
    """Indented JSON for a ``<pre>`` (escaped by the template like any text)."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


@register.filter
def linkify_bugs(text: Any) -> SafeString:
    """Escaped text with "bug 1234" turned into links to the bug."""
    escaped = escape("" if text is None else str(text))
    return mark_safe(
        _BUG.sub(lambda m: f'<a href="{BUG_URL.format(m.group(1))}">{m.group(0)}</a>', escaped)
    )


@register.filter
def bug_url(bug_id: Any) -> str:
    return BUG_URL.format(int(bug_id))


@register.filter
def bug_link(bug: Any, prefix: str = "") -> SafeString:
    """A link to the bug, titled with its state and summary when known, struck through when
    resolved (see :mod:`webapp.crashstats.bugs`)."""
    title = getattr(bug, "title", "")
    resolved = getattr(bug, "resolved", False)
    return format_html(
        '<a href="{}"{}{}>{}{}</a>',
        bug_url(bug),
        format_html(' title="{}"', title) if title else "",
        mark_safe(' class="bug-resolved"') if resolved else "",
        prefix,
        int(bug),
    )


@register.filter
def get(mapping: Any, key: Any) -> Any:
    """``mapping|get:key`` for keys templates cannot spell (spaces, leading underscores)."""
    try:
        return mapping[key]
    except (KeyError, IndexError, TypeError):
        return None
