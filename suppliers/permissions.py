"""Who may do what with suppliers, as yes/no functions.

Views, the API, admin and tasks call these; a check is never written twice.
Every function accepts any user object, including ``AnonymousUser`` and ``None``.
"""

from __future__ import annotations

from accounts.permissions import is_civil_servant, is_moderator, is_ordinary_user
from accounts.selectors import verified_emails
from suppliers.models import Supplier, SupplierMembership


def _role(user, supplier: Supplier) -> str | None:
    """The user's membership role at the supplier, or None (one query, no caching)."""
    if not (user and user.is_authenticated and user.is_active) or supplier.pk is None:
        return None
    return (
        SupplierMembership.objects.filter(supplier_id=supplier.pk, user_id=user.pk)
        .values_list("role", flat=True)
        .first()
    )


def can_moderate(user) -> bool:
    """Moderators (active staff) approve, reject, suspend and edit any supplier."""
    return is_moderator(user)


def can_create_supplier(user) -> bool:
    """Who may create a supplier directly (published or not) through the moderation tools.

    Self-registration by supplier users has its own rule (``can_register_supplier``).
    """
    return is_moderator(user)


def can_edit_supplier(user, supplier: Supplier) -> bool:
    """Owners and members of the supplier, and moderators."""
    if is_moderator(user):
        return True
    return _role(user, supplier) in (SupplierMembership.Role.OWNER, SupplierMembership.Role.MEMBER)


def can_manage_members(user, supplier: Supplier) -> bool:
    """Owners of the supplier, and moderators."""
    if is_moderator(user):
        return True
    return _role(user, supplier) == SupplierMembership.Role.OWNER


# Statuses in which the supplier's public profile is (or was) live: its people's edits
# wait as a pending revision there, and apply directly in every other status.
LIVE_STATUSES = (Supplier.Status.PUBLISHED, Supplier.Status.SUSPENDED)


def can_register_supplier(user) -> bool:
    """Self-registration: signed-in users who are neither civil servants nor moderators."""
    return is_ordinary_user(user)


def edit_goes_live(user, supplier: Supplier) -> bool:
    """Whether an edit by ``user`` (who may edit the supplier) changes the profile at once.

    The one rule, for the web pages, the API and admin alike (they all reach it through
    ``suppliers.services.supplier_profile_update`` and the case-study services): a
    moderator's edit, system code's (``user`` None) and any edit of a profile that is not
    live go live; anyone else's edit of a live profile waits for review as its pending
    revision.
    """
    return user is None or is_moderator(user) or supplier.status not in LIVE_STATUSES


def can_change_case_studies(user, supplier: Supplier) -> bool:
    """Change case-study rows directly: those whose edits go live (``edit_goes_live``)."""
    return can_edit_supplier(user, supplier) and edit_goes_live(user, supplier)


def can_submit_supplier(user, supplier: Supplier) -> bool:
    """Send a draft or rejected profile for review: its owners and members."""
    return _role(user, supplier) is not None


def can_view_moderation(user, supplier: Supplier) -> bool:
    """The moderation history (decisions and reasons): the supplier's owners and moderators."""
    return can_manage_members(user, supplier)


def can_leave_supplier(user, supplier: Supplier) -> bool:
    """Anyone who belongs to the supplier may leave it (unless they are the last owner)."""
    return _role(user, supplier) is not None


def can_accept_invitation(user, invitation) -> bool:
    """Only the signed-in account with the invited email address."""
    return bool(
        user
        and user.is_authenticated
        and user.is_active
        and (user.email or "").strip().lower() == invitation.email.strip().lower()
    )


def can_answer_invitation(user, invitation) -> bool:
    """Accept or decline an invitation without its emailed link (from the user's home).

    The account it is for (``can_accept_invitation``), once that address is verified: a
    confirmed address is the same proof as the link sent to it.
    """
    if not can_accept_invitation(user, invitation):
        return False
    invited = invitation.email.strip().lower()
    return any(email.strip().lower() == invited for email in verified_emails(user))


def can_view_supplier(user, supplier: Supplier) -> bool:
    """Published suppliers are public; any other status only to its people and moderators."""
    if supplier.status == Supplier.Status.PUBLISHED:
        return True
    return can_edit_supplier(user, supplier)


def can_use_shortlists(user) -> bool:
    """Shortlists are for civil servants (a verified government email address)."""
    return is_civil_servant(user)


# --- Claims to suppliers from public records ------------------------------------------


def can_claim_supplier(user, supplier: Supplier) -> bool:
    """Claim a published supplier from public records ("this organisation is mine"): anyone
    who may register an organisation (signed in, not a civil servant or moderator)."""
    return (
        can_register_supplier(user)
        and supplier.from_public_records
        and supplier.status == Supplier.Status.PUBLISHED
    )


def can_decide_claim(user) -> bool:
    """Approve or reject a claim, against the Companies House number: moderators."""
    return is_moderator(user)


def can_view_claim(user, claim) -> bool:
    """A claim and its outcome: the claimant and moderators."""
    if is_moderator(user):
        return True
    return bool(user and user.is_authenticated and user.pk == claim.claimant_id)
