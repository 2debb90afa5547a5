"""``{% moderation_waiting_for user as waiting %}``: the counts for a moderator, else []."""

from __future__ import annotations

from django import template

from accounts.permissions import is_moderator
from suppliers.selectors.moderation import Waiting, moderation_waiting

register = template.Library()


@register.simple_tag
def moderation_waiting_for(user) -> list[Waiting]:
    return moderation_waiting() if is_moderator(user) else []
