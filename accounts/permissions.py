"""Who may do what, as yes/no functions. Views, the API, admin and tasks call these."""

from __future__ import annotations

from django.conf import settings


def is_gov_email(email: str) -> bool:
    """True for an address on an allowed government domain or one of its sub-domains."""
    domain = email.rsplit("@", 1)[-1].strip().lower().rstrip(".")
    return any(
        domain == allowed or domain.endswith("." + allowed)
        for allowed in (d.lower().lstrip(".") for d in settings.GOV_EMAIL_DOMAINS)
    )


def is_moderator(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_staff)


def is_civil_servant(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_civil_servant)


def can_choose_public_body(user) -> bool:
    return is_civil_servant(user)
