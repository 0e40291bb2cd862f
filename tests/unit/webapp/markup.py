"""What a page's HTML really contains, read with an HTML parser (not by searching text)."""

from __future__ import annotations

from html.parser import HTMLParser


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector.tags


def unsafe_markup(html: str) -> list[str]:
    """Inline scripts, event handler attributes, style attributes, javascript: links, forms
    posting without a CSRF token: what the CSP or the rules forbid."""
    found = []
    parsed = tags(html)
    for tag, attrs in parsed:
        if tag == "script" and "src" not in attrs and attrs.get("type") != "application/json":
            found.append(f"inline <script> {attrs}")
        found += [f"<{tag} {name}=...>" for name in attrs if name.startswith("on")]
        if "style" in attrs:
            found.append(f"<{tag} style=...>")
        for name in ("href", "src", "action"):
            if (attrs.get(name) or "").strip().lower().startswith("javascript:"):
                found.append(f"<{tag} {name}=javascript:...>")
    return found


def forms_without_csrf(html: str) -> list[dict[str, str | None]]:
    """POST forms that carry no CSRF token field."""
    missing = []
    current: dict[str, str | None] | None = None
    has_token = False
    for tag, attrs in [*tags(html), ("form", {"method": "end"})]:
        if tag == "form":
            posts = current is not None and (current.get("method") or "").lower() == "post"
            if posts and not has_token:
                missing.append(current)
            current, has_token = attrs, False
        elif tag == "input" and attrs.get("name") == "csrfmiddlewaretoken":
            has_token = True
    return missing
