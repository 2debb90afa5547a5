"""Invitations on the invited person's home: listed there, accepted or declined there.

The emailed link carries the token; from the home the proof is the account's own verified
address matching the invitation (``permissions.can_answer_invitation``), never less.
"""

from __future__ import annotations

from datetime import timedelta
from html import escape

import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from accounts.models import OutboundEmail
from core.errors import DomainError
from suppliers import services
from suppliers.models import SupplierInvitation, SupplierMembership
from suppliers.selectors.home import invitations
from tests import factories

pytestmark = pytest.mark.django_db

HOME = "/home/"


@pytest.fixture
def invited(db):
    return factories.UserFactory(email="new.colleague@example.co.uk")


@pytest.fixture
def invitation(supplier, owner, invited):
    found, _token = services.invitation_create(
        actor=owner, supplier=supplier, email="New.Colleague@Example.co.uk", role="member"
    )
    return found


def accept_url(invitation) -> str:
    return reverse("suppliers:invitation_accept_signed_in", args=[invitation.pk])


def decline_url(invitation) -> str:
    return reverse("suppliers:invitation_decline", args=[invitation.pk])


# --- Who sees it ------------------------------------------------------------------------


def test_the_invited_person_sees_it_and_no_one_else(
    invitation, invited, owner, member, other_owner, moderator
):
    assert invitations(invited) == [invitation]
    for someone in (owner, member, other_owner, moderator):
        assert invitations(someone) == []


@pytest.mark.parametrize(
    "closed",
    [
        {"accepted_at": timezone.now()},
        {"revoked_at": timezone.now()},
        {"expires_at": timezone.now() - timedelta(minutes=1)},
    ],
    ids=["accepted", "withdrawn", "expired"],
)
def test_closed_invitations_are_not_listed(invitation, invited, closed):
    SupplierInvitation.objects.filter(pk=invitation.pk).update(**closed)
    assert invitations(invited) == []


def test_an_unverified_address_sees_nothing(invitation, invited):
    EmailAddress.objects.filter(user=invited).update(verified=False)
    assert invitations(invited) == []


def test_the_home_shows_the_invitation_with_accept_and_decline(client, invitation, invited):
    client.force_login(invited)
    html = client.get(HOME).content.decode()
    card = html[html.index(f'data-invitation="{invitation.pk}"') :]
    assert invitation.supplier.name in card[:400]
    assert "as a member" in card
    assert f'action="{accept_url(invitation)}"' in card
    assert f'action="{decline_url(invitation)}"' in card
    assert "1 thing needs your attention." in html


# --- Accepting and declining: the services ----------------------------------------------


@pytest.mark.parametrize("who", ["owner", "member", "other_owner", "moderator", "anonymous"])
@pytest.mark.parametrize(
    "answer", [services.invitation_accept_signed_in, services.invitation_decline]
)
def test_only_the_invited_person_may_answer(request, invitation, invited, who, answer):
    actor = request.getfixturevalue(who)
    roles_before = set(SupplierMembership.objects.values_list("user_id", "role"))
    with pytest.raises(PermissionDenied):
        answer(actor=actor, invitation=invitation)
    invitation.refresh_from_db()
    assert invitation.is_open
    assert set(SupplierMembership.objects.values_list("user_id", "role")) == roles_before


@pytest.mark.parametrize(
    "answer", [services.invitation_accept_signed_in, services.invitation_decline]
)
def test_an_unverified_address_may_not_answer_without_the_link(invitation, invited, answer):
    EmailAddress.objects.filter(user=invited).update(verified=False)
    with pytest.raises(PermissionDenied):
        answer(actor=invited, invitation=invitation)
    invitation.refresh_from_db()
    assert invitation.is_open


def test_accepting_joins_with_the_invited_role_once(invitation, invited):
    membership = services.invitation_accept_signed_in(actor=invited, invitation=invitation)
    assert (membership.supplier, membership.user, membership.role) == (
        invitation.supplier,
        invited,
        "member",
    )
    invitation.refresh_from_db()
    assert invitation.accepted_by == invited and not invitation.is_open
    with pytest.raises(DomainError, match="already been used"):
        services.invitation_accept_signed_in(actor=invited, invitation=invitation)


def test_declining_closes_it_and_tells_the_sender(invitation, invited, owner):
    services.invitation_decline(actor=invited, invitation=invitation)
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None and invitation.accepted_at is None
    assert invitation.history.first().history_user == invited
    email = OutboundEmail.objects.get(to=owner.email)
    assert email.subject == (
        f"New.Colleague@Example.co.uk declined your invitation to {invitation.supplier.name}"
    )
    assert not SupplierMembership.objects.filter(user=invited).exists()
    with pytest.raises(DomainError, match="not valid"):
        services.invitation_accept_signed_in(actor=invited, invitation=invitation)


def test_an_expired_invitation_cannot_be_answered(invitation, invited):
    SupplierInvitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    for answer in (services.invitation_accept_signed_in, services.invitation_decline):
        with pytest.raises(DomainError, match="expired"):
            answer(actor=invited, invitation=invitation)


# --- The views --------------------------------------------------------------------------


def test_accepting_from_the_home_lands_on_the_organisation(client, invitation, invited):
    client.force_login(invited)
    response = client.post(accept_url(invitation))
    assert response.status_code == 302
    assert response.url == reverse("suppliers:manage", args=[invitation.supplier.slug])
    assert SupplierMembership.objects.filter(user=invited, supplier=invitation.supplier).exists()
    page = client.get(response.url).content.decode()
    assert escape(f"You have joined {invitation.supplier.name}.") in page


def test_declining_from_the_home_returns_there(client, invitation, invited):
    client.force_login(invited)
    response = client.post(decline_url(invitation))
    assert (response.status_code, response.url) == (302, HOME)
    page = client.get(HOME).content.decode()
    # Escaped as the page writes it: generated names can hold an apostrophe.
    assert escape(f"You have declined the invitation to join {invitation.supplier.name}.") in page
    assert "data-invitation=" not in page


@pytest.mark.parametrize("who", ["owner", "member", "other_owner", "moderator"])
def test_someone_else_posting_is_refused(client, request, invitation, who):
    client.force_login(request.getfixturevalue(who))
    for url in (accept_url(invitation), decline_url(invitation)):
        assert client.post(url).status_code == 403
    invitation.refresh_from_db()
    assert invitation.is_open


def test_answering_needs_sign_in_and_a_post(client, invitation, invited):
    response = client.post(accept_url(invitation))
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))
    client.force_login(invited)
    assert client.get(accept_url(invitation)).status_code == 405
    assert client.post(reverse("suppliers:invitation_decline", args=[999999])).status_code == 404
    invitation.refresh_from_db()
    assert invitation.is_open


def test_a_used_invitation_gives_a_clear_message(client, invitation, invited):
    services.invitation_accept_signed_in(actor=invited, invitation=invitation)
    client.force_login(invited)
    response = client.post(decline_url(invitation), follow=True)
    assert response.status_code == 200
    assert "This invitation has already been used." in response.content.decode()
