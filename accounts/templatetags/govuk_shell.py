"""Small helpers for the site shell (templates/base.html)."""

from __future__ import annotations

from django import template

register = template.Library()

SUFFIX = "Techmap – GOV.UK"


@register.filter(is_safe=True)
def full_title(page_title: str) -> str:
    """``"Sign in"`` → ``"Sign in – Techmap – GOV.UK"``; an empty title → the service's own.

    base.html wraps its ``page_title`` block in ``{% filter full_title %}``, so a page
    sets just its own title and every <title> ends the same way (GOV.UK pattern).
    """
    title = " ".join(str(page_title).split())
    return f"{title} – {SUFFIX}" if title else SUFFIX
