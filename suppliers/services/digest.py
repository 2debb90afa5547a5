"""The moderators' daily digest: what waits for them, by email through the outbox."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import OutboundEmail, User
from accounts.permissions import MODERATORS_GROUP
from accounts.services import email_queue
from suppliers.selectors.moderation import moderation_waiting


def moderators_to_email():
    """Active staff in the Moderators group (operators who want the digest join it)."""
    return User.objects.filter(
        is_active=True, is_staff=True, groups__name=MODERATORS_GROUP
    ).order_by("pk")


def moderation_digest_send(*, day: datetime.date | None = None) -> int:
    """Email each moderator what waits for them, once per day.

    Before: nothing. After: when anything waits, each moderator has one outbox email for
    ``day`` (today, in the site's time zone, by default), keyed
    ``moderation-digest:<day>:<user id>``, so a second run the same day (a second beat, a
    retry) queues nothing new. When nothing waits, nothing is sent. Returns the number of
    emails queued by this call.
    """
    day = day or timezone.localdate()
    waiting = [item for item in moderation_waiting() if item.count]
    if not waiting:
        return 0
    total = sum(item.count for item in waiting)
    lines = [f"- {item.count} {item.label}: {settings.SITE_URL}{item.url}" for item in waiting]
    home = settings.SITE_URL + reverse("moderation")
    body = "\n".join(
        [
            "Hello,",
            "",
            f"On {day:%A %-d %B %Y}, this is waiting for a moderator:",
            "",
            *lines,
            "",
            f"Everything in one place: {home}",
            "",
            "You get this email because you are in the Techmap moderators group.",
        ]
    )
    moderators = {
        f"moderation-digest:{day.isoformat()}:{moderator.pk}": moderator
        for moderator in moderators_to_email()
    }
    already = set(
        OutboundEmail.objects.filter(dedupe_key__in=moderators).values_list("dedupe_key", flat=True)
    )
    queued = 0
    with transaction.atomic():
        for key, moderator in moderators.items():
            if key in already:
                continue
            email_queue(
                to=moderator.email,
                subject=f"{total} waiting for a Techmap moderator",
                body=body,
                dedupe_key=key,  # a concurrent run that got here first wins; no second email
            )
            queued += 1
    return queued
