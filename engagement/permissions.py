"""Who may do what with engagement requests, as yes/no functions.

Views, the API, admin and services all call these; none of these checks is
written anywhere else.
"""

from __future__ import annotations

from django.db.models import Q

from accounts.permissions import is_civil_servant, is_moderator
from engagement.models import EngagementRequest
from suppliers.models import Supplier, SupplierMembership


def can_create_request(user) -> bool:
    """A civil servant who acts for a public body (a verified or approved membership)."""
    return is_civil_servant(user) and user.public_body_id is not None


def is_request_owner(user, engagement_request) -> bool:
    """The author or a co-owner, while still a civil servant of the request's public body."""
    if not is_civil_servant(user) or user.public_body_id != engagement_request.public_body_id:
        return False
    if engagement_request.author_id == user.pk:
        return True
    if engagement_request.pk is None:
        return False
    # Uses the prefetch cache when the caller loaded co_owners.
    return any(co.pk == user.pk for co in engagement_request.co_owners.all())


def is_request_author(user, engagement_request) -> bool:
    return (
        is_civil_servant(user)
        and engagement_request.author_id == user.pk
        and user.public_body_id == engagement_request.public_body_id
    )


def can_view_request(user, engagement_request) -> bool:
    """Published (or no longer open) requests are public; drafts only to owners and moderators."""
    if not engagement_request.is_draft:
        return True
    return is_request_owner(user, engagement_request) or is_moderator(user)


def can_edit_draft(user, engagement_request) -> bool:
    return engagement_request.is_draft and is_request_owner(user, engagement_request)


def can_manage_request(user, engagement_request) -> bool:
    """Publish, withdraw, close, answer questions, mark and download responses."""
    return is_request_owner(user, engagement_request)


def can_manage_co_owners(user, engagement_request) -> bool:
    return is_request_author(user, engagement_request)


def can_moderate_request(user, engagement_request) -> bool:
    """Correct a request's wording or details in admin, whoever owns it."""
    return is_moderator(user)


def can_view_matches(user, engagement_request) -> bool:
    return is_request_owner(user, engagement_request) or is_moderator(user)


def can_view_responses(user, engagement_request) -> bool:
    """All responses are for the request's owners only (commercial content)."""
    return is_request_owner(user, engagement_request)


def can_view_participants(user, engagement_request) -> bool:
    """The participants register: the owners and moderators (Procurement Act 2023, s.16)."""
    return is_request_owner(user, engagement_request) or is_moderator(user)


def supplier_ids_for(user) -> list[int]:
    """Published suppliers the user acts for (owner or member)."""
    if not (user and user.is_authenticated and user.is_active):
        return []
    return list(
        SupplierMembership.objects.filter(
            user=user, supplier__status=Supplier.Status.PUBLISHED
        ).values_list("supplier_id", flat=True)
    )


def acts_for_supplier(user, supplier: Supplier) -> bool:
    if not (user and user.is_authenticated and user.is_active):
        return False
    return SupplierMembership.objects.filter(user=user, supplier=supplier).exists()


def can_take_part(user, engagement_request, supplier: Supplier) -> bool:
    """Respond or ask a question on behalf of a published supplier, while the request is open."""
    return (
        engagement_request.accepting_responses
        and supplier.is_published
        and acts_for_supplier(user, supplier)
    )


def can_view_response(user, response) -> bool:
    """A response: the request's owners and the responding organisation's people."""
    return can_view_responses(user, response.engagement_request) or acts_for_supplier(
        user, response.supplier
    )


def can_edit_alert_preferences(user, supplier: Supplier) -> bool:
    return acts_for_supplier(user, supplier)


def visible_requests_q(user) -> Q:
    """A filter for the requests this user may see (for querysets)."""
    public = ~Q(status="draft")
    if is_moderator(user):
        return Q()
    if is_civil_servant(user):
        co_owned = EngagementRequest.co_owners.through.objects.filter(user=user).values(
            "engagementrequest_id"
        )
        # A subquery rather than a join, so no request is listed twice.
        return public | Q(author=user) | Q(pk__in=co_owned)
    return public


def owned_requests_q(user) -> Q:
    """The queryset form of :func:`is_request_owner`: the author or a co-owner, while
    a civil servant of the request's public body (nothing for anyone else)."""
    if not is_civil_servant(user) or user.public_body_id is None:
        return Q(pk__in=[])
    co_owned = EngagementRequest.co_owners.through.objects.filter(user=user).values(
        "engagementrequest_id"
    )
    return Q(public_body_id=user.public_body_id) & (Q(author=user) | Q(pk__in=co_owned))
