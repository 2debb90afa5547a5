"""Template filters over suppliers.permissions, so pages ask the same rules as the views."""

from __future__ import annotations

from django import template

from suppliers import permissions

register = template.Library()


@register.filter
def can_edit_supplier(user, supplier) -> bool:
    """``{% if user|can_edit_supplier:supplier %}``: its owners, members and moderators.

    No query for anonymous visitors or moderators; one for any other signed-in user.
    """
    return permissions.can_edit_supplier(user, supplier)
