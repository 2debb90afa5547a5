"""Account reads: which public bodies an address belongs to, and what a user has asked for."""

from __future__ import annotations

from allauth.account.models import EmailAddress

from accounts.models import PublicBody, PublicBodyMembership, User


def email_domain(email: str) -> str:
    """The lower-case domain of an address (``""`` when it has none)."""
    if not email or "@" not in email:
        return ""
    return email.rsplit("@", 1)[-1].strip().lower().rstrip(".")


def _suffixes(domain: str) -> list[str]:
    """``x.dwp.gov.uk`` → ``x.dwp.gov.uk``, ``dwp.gov.uk``, ``gov.uk``, ``uk``."""
    parts = domain.split(".")
    return [".".join(parts[i:]) for i in range(len(parts))] if domain else []


def bodies_on_domain_of(email: str) -> list[tuple[PublicBody, str]]:
    """The bodies listing the address's domain or a parent of it, most specific first.

    Each comes with the domain of its that matched: ``x@digital.cabinetoffice.gov.uk``
    gives the bodies on ``digital.cabinetoffice.gov.uk`` before Cabinet Office's
    ``cabinetoffice.gov.uk``. ``x@evildwp.gov.uk`` is not on ``dwp.gov.uk``.
    """
    suffixes = _suffixes(email_domain(email))
    if not suffixes:
        return []
    found = []
    for body in PublicBody.objects.filter(email_domains__overlap=suffixes):
        matched = max((d for d in body.email_domains if d in suffixes), key=len)
        found.append((body, matched))
    return sorted(found, key=lambda pair: (-len(pair[1]), pair[0].name))


def public_body_verified_by(email: str) -> PublicBody | None:
    """The one body a verified ``email`` proves membership of, or None.

    That is the body whose domain is the most specific match for the address, when no
    other body lists that same domain. A domain several bodies list is shared
    (``justice.gov.uk``: the ministry, the courts service, the prison service), so it
    proves none of them: a moderator approves each such request.
    """
    found = bodies_on_domain_of(email)
    if not found:
        return None
    most_specific = [body for body, domain in found if len(domain) == len(found[0][1])]
    return most_specific[0] if len(most_specific) == 1 else None


def verified_addresses(user: User):
    """The user's verified ``EmailAddress`` rows, as a queryset (for a subquery)."""
    return EmailAddress.objects.filter(user_id=user.pk, verified=True)


def verified_emails(user: User) -> list[str]:
    return list(
        verified_addresses(user).order_by("-primary", "email").values_list("email", flat=True)
    )


def verifying_email(user: User, public_body: PublicBody) -> str | None:
    """The user's verified address that proves membership of ``public_body``, if any."""
    return next(
        (e for e in verified_emails(user) if public_body_verified_by(e) == public_body), None
    )


def public_bodies_on_domains_of(user: User) -> list[PublicBody]:
    """The bodies on the domains of the user's verified addresses, most specific first.

    The public-body question offers these before the rest of the list.
    """
    first: list[PublicBody] = []
    for email in verified_emails(user):
        for body, _domain in bodies_on_domain_of(email):
            if body not in first:
                first.append(body)
    return first


def public_body_suggested_for(user: User) -> PublicBody | None:
    """The body one of the user's verified addresses proves they belong to, if any."""
    for email in verified_emails(user):
        body = public_body_verified_by(email)
        if body is not None:
            return body
    return None


def open_membership_of(user: User) -> PublicBodyMembership | None:
    """The user's PENDING or ACTIVE membership (there is at most one)."""
    return (
        PublicBodyMembership.objects.filter(
            user=user, status__in=PublicBodyMembership.OPEN_STATUSES
        )
        .select_related("public_body")
        .first()
    )
