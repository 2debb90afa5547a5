"""Demo users for seed_demo: one of each role, with verified email addresses."""

from __future__ import annotations

import random
from collections.abc import Callable

from allauth.account.models import EmailAddress
from django.conf import settings
from django.utils import timezone

from accounts import services
from accounts.models import PublicBody, User

DEMO_USERS = [
    {
        "role": "civil servant",
        "email": "civil.servant@cabinetoffice.gov.uk",
        "full_name": "Alex Morgan",
        "civil_servant": True,
    },
    {
        "role": "supplier owner",
        "email": "owner@kestrel-ledger.example",
        "full_name": "Sam Patel",
        "civil_servant": False,
    },
    {
        "role": "moderator",
        "email": "moderator@techmap.service.gov.uk",
        "full_name": "Jo Williams",
        "civil_servant": False,
        "moderator": True,
    },
]


def seed(*, rng: random.Random, options: dict, log: Callable[[str], None]) -> None:
    body = PublicBody.objects.filter(slug="cabinet-office").first()
    for spec in DEMO_USERS:
        user, created = User.objects.get_or_create(
            email=spec["email"],
            defaults={
                "full_name": spec["full_name"],
            },
        )
        if created:
            user.set_password(settings.DEMO_PASSWORD)
        if spec["civil_servant"]:
            user.civil_servant_since = user.civil_servant_since or timezone.now()
        user.save()
        if spec.get("moderator"):
            # Staff in the Moderators group, never superuser: the demo password is published.
            services.moderator_add(user=user)
        EmailAddress.objects.update_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )
        if spec["civil_servant"] and body is not None:
            # Cabinet Office's domain proves it: the same path a real civil servant takes.
            services.public_body_request(actor=user, user=user, public_body=body)
    log(f"Demo users: {len(DEMO_USERS)}")
