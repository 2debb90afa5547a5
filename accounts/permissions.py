"""Who may do what, as yes/no functions. Views, the API, admin and tasks call these.

The roles:

- a **civil servant** has confirmed an address on a government domain
  (``settings.GOV_EMAIL_DOMAINS``, sub-domains included), still has one, and is active;
- a civil servant **acts for a public body** (its buyer) only while ``user.public_body``
  is set, which accounts.services does only for an ACTIVE membership: a verified address
  on the body's own domain, or a moderator's approval (``PublicBodyMembership``);
- a **moderator** is an active staff user in the "Moderators" group (``MODERATORS_GROUP``,
  created by a data migration with exactly the admin permissions moderation needs); making
  someone a moderator is adding them to it. A superuser (an operator) counts as one too;
- anyone else signed in is an **ordinary user**, who may register a supplier;
- everyone else is the public.
"""

from __future__ import annotations

from django.conf import settings


def is_gov_email(email: str) -> bool:
    """True for an address on an allowed government domain or one of its sub-domains.

    ``x@cabinetoffice.gov.uk`` is on ``gov.uk``; ``x@evilgov.uk`` and
    ``x@gov.uk.example.com`` are not.
    """
    if not email or "@" not in email:
        return False
    domain = email.rsplit("@", 1)[-1].strip().lower().rstrip(".")
    if not domain:
        return False
    return any(
        domain == allowed or domain.endswith("." + allowed)
        for allowed in (d.strip().lower().strip(".") for d in settings.GOV_EMAIL_DOMAINS)
        if allowed
    )


def is_signed_in(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


#: The group whose members are moderators; its permissions are what admin lets them do.
MODERATORS_GROUP = "Moderators"


def is_moderator(user) -> bool:
    """Active staff in the Moderators group, or an active superuser (an operator).

    Staff without the group are not moderators: ``is_staff`` alone lets a user sign in to
    admin, where they see only what their own permissions allow. The answer is kept on
    the user object, so a page asking many times costs one query.
    """
    if not is_signed_in(user):
        return False
    if user.is_superuser:
        return True
    if not user.is_staff:
        return False
    cached = getattr(user, "_is_moderator", None)
    if cached is None:
        cached = user.groups.filter(name=MODERATORS_GROUP).exists()
        user._is_moderator = cached
    return cached


def is_civil_servant(user) -> bool:
    return is_signed_in(user) and bool(user.is_civil_servant)


def is_ordinary_user(user) -> bool:
    """Signed in, neither a civil servant nor a moderator: a (would-be) supplier user."""
    return is_signed_in(user) and not is_civil_servant(user) and not is_moderator(user)


def can_choose_public_body(user) -> bool:
    return is_civil_servant(user)


def needs_public_body(user) -> bool:
    """A civil servant who has not yet said which public body they work for."""
    return is_civil_servant(user) and user.public_body_id is None


def can_request_public_body_for(actor, user) -> bool:
    """Civil servants ask to join a public body for themselves only; nobody asks for another."""
    return is_signed_in(actor) and actor.pk == user.pk


def can_decide_memberships(user) -> bool:
    """Approve, reject or revoke a public-body membership, with a reason: moderators."""
    return is_moderator(user)


def can_revoke_civil_servant(user) -> bool:
    """Take civil-servant status (and every membership) away, or give it back: moderators."""
    return is_moderator(user)


def can_manage_public_bodies(user) -> bool:
    """Add or correct public bodies (the seeded list): moderators."""
    return is_moderator(user)


def can_manage_outbox(user) -> bool:
    """Moderators may look at the email outbox and push an email out again."""
    return is_moderator(user)


def can_manage_api_tokens(actor, user) -> bool:
    """Create and list API tokens: only your own, and only when signed in."""
    return is_signed_in(actor) and actor.pk == user.pk


def can_revoke_api_token(actor, token) -> bool:
    """Revoke a token: its user, or a moderator (for example after a leak)."""
    return can_manage_api_tokens(actor, token.user) or is_moderator(actor)


def can_send_feedback(user) -> bool:
    """Anyone, signed in or not, may tell us what they think of the service (beta banner)."""
    return True
