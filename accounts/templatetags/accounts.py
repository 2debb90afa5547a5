"""Role checks for templates: ``{% load accounts %}{% if user|is_civil_servant %}``.

They call accounts.permissions, so a template never restates a rule.
"""

from __future__ import annotations

from django import template

from accounts import permissions

register = template.Library()


@register.filter
def is_civil_servant(user) -> bool:
    return permissions.is_civil_servant(user)


@register.filter
def is_moderator(user) -> bool:
    return permissions.is_moderator(user)


@register.filter
def is_ordinary_user(user) -> bool:
    return permissions.is_ordinary_user(user)


@register.filter
def needs_public_body(user) -> bool:
    return permissions.needs_public_body(user)
