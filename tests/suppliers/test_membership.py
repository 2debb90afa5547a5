"""Invitations (single use, expiring, hashed), leaving, and the last-owner rule."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accounts.models import OutboundEmail
from core.errors import DomainError
from suppliers import services
from suppliers.models import SupplierInvitation, SupplierMembership
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("owner", True),
        ("member", False),
        ("other_owner", False),
        ("civil_servant", False),
        ("anonymous", False),
        ("moderator", True),
    ],
)
def test_invite_permission(request, supplier, owner, member, who, allowed):
    actor = request.getfixturevalue(who)
    if allowed:
        invitation, token = services.invitation_create(
            actor=actor, supplier=supplier, email="New.Person@example.co.uk", role="member"
        )
        assert invitation.token_hash != token and len(invitation.token_hash) == 64
        assert token not in str(SupplierInvitation.objects.values().get())
        email = OutboundEmail.objects.get(to="New.Person@example.co.uk")
        assert token in email.body
    else:
        with pytest.raises(PermissionDenied):
            services.invitation_create(
                actor=actor, supplier=supplier, email="new.person@example.co.uk"
            )
        assert not SupplierInvitation.objects.exists()


def test_accepting_needs_the_invited_address_and_works_once(supplier, owner):
    invited = factories.UserFactory(email="colleague@example.co.uk")
    stranger = factories.UserFactory()
    _, token = services.invitation_create(
        actor=owner, supplier=supplier, email="Colleague@Example.co.uk", role="owner"
    )
    with pytest.raises(PermissionDenied):
        services.invitation_accept(actor=stranger, token=token)
    membership = services.invitation_accept(actor=invited, token=token)
    assert (membership.user, membership.role) == (invited, "owner")
    with pytest.raises(DomainError):
        services.invitation_accept(actor=invited, token=token)
    with pytest.raises(DomainError):
        services.invitation_accept(actor=invited, token="not-a-token")


def test_an_expired_invitation_is_refused(supplier, owner):
    invited = factories.UserFactory(email="late@example.co.uk")
    invitation, token = services.invitation_create(
        actor=owner, supplier=supplier, email=invited.email
    )
    SupplierInvitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(DomainError, match="expired"):
        services.invitation_accept(actor=invited, token=token)
    assert not SupplierMembership.objects.filter(user=invited).exists()


def test_inviting_again_revokes_the_earlier_link(supplier, owner):
    invited = factories.UserFactory(email="twice@example.co.uk")
    _, first = services.invitation_create(actor=owner, supplier=supplier, email=invited.email)
    _, second = services.invitation_create(actor=owner, supplier=supplier, email=invited.email)
    with pytest.raises(DomainError):
        services.invitation_accept(actor=invited, token=first)
    services.invitation_accept(actor=invited, token=second)


def test_revoke_permission(supplier, owner, member):
    invitation, token = services.invitation_create(
        actor=owner, supplier=supplier, email="x@example.co.uk"
    )
    with pytest.raises(PermissionDenied):
        services.invitation_revoke(actor=member, invitation=invitation)
    services.invitation_revoke(actor=owner, invitation=invitation)
    assert SupplierInvitation.objects.get().revoked_at is not None


def test_the_last_owner_cannot_leave_or_be_removed_or_demoted(supplier, owner, member):
    membership = SupplierMembership.objects.get(user=owner)
    with pytest.raises(DomainError):
        services.supplier_leave(actor=owner, supplier=supplier)
    with pytest.raises(DomainError):
        services.supplier_member_remove(actor=owner, membership=membership)
    with pytest.raises(DomainError):
        services.supplier_member_add(actor=owner, supplier=supplier, user=owner, role="member")
    # With a second owner the first may leave.
    services.supplier_member_add(actor=owner, supplier=supplier, user=member, role="owner")
    services.supplier_leave(actor=owner, supplier=supplier)
    assert not SupplierMembership.objects.filter(user=owner).exists()


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("owner", True),
        ("member", False),
        ("other_owner", False),
        ("civil_servant", False),
        ("anonymous", False),
        ("moderator", True),
    ],
)
def test_remove_member_permission(request, supplier, owner, member, who, allowed):
    actor = request.getfixturevalue(who)
    membership = SupplierMembership.objects.get(user=member)
    if allowed:
        services.supplier_member_remove(actor=actor, membership=membership)
        assert not SupplierMembership.objects.filter(pk=membership.pk).exists()
    else:
        with pytest.raises(PermissionDenied):
            services.supplier_member_remove(actor=actor, membership=membership)


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("owner", False),  # the last owner: a DomainError, tested above
        ("member", True),
        ("other_owner", False),
        ("civil_servant", False),
        ("anonymous", False),
        ("moderator", False),
    ],
)
def test_leave_permission(request, supplier, owner, member, who, allowed):
    actor = request.getfixturevalue(who)
    if allowed:
        services.supplier_leave(actor=actor, supplier=supplier)
        assert not SupplierMembership.objects.filter(user=actor, supplier=supplier).exists()
    elif who == "owner":
        with pytest.raises(DomainError):
            services.supplier_leave(actor=actor, supplier=supplier)
    else:
        with pytest.raises(PermissionDenied):
            services.supplier_leave(actor=actor, supplier=supplier)
