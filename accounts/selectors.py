"""Account reads."""

from __future__ import annotations

from accounts.models import PublicBody, User


def public_body_suggested_for(user: User) -> PublicBody | None:
    """The public body whose email domain best matches the user's address, if any.

    The longest matching domain wins, so ``x@digital.cabinetoffice.gov.uk``
    suggests the body on ``digital.cabinetoffice.gov.uk`` before ``cabinetoffice.gov.uk``.
    When several bodies share that domain none is suggested: the user must choose.
    """
    domain = user.email.rsplit("@", 1)[-1].lower()
    candidates = [
        body
        for body in PublicBody.objects.exclude(email_domain="").only("id", "name", "email_domain")
        if domain == body.email_domain.lower() or domain.endswith("." + body.email_domain.lower())
    ]
    if not candidates:
        return None
    longest = max(len(body.email_domain) for body in candidates)
    best = [body for body in candidates if len(body.email_domain) == longest]
    return best[0] if len(best) == 1 else None
