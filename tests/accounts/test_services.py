"""Account services: civil-servant status, public body, and sending from the outbox."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied

from accounts import services
from accounts.models import OutboundEmail, PublicBodyMembership, User
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_verified_gov_address_makes_a_civil_servant_once():
    user = factories.UserFactory(email="new.person@cabinetoffice.gov.uk")
    assert not user.is_civil_servant

    services.user_email_verified(user=user, email=user.email)
    user.refresh_from_db()
    first = user.civil_servant_since
    assert first is not None
    assert user.history.first().history_change_reason.startswith("Confirmed government address")

    # Confirming again (or another gov address) keeps the first date.
    services.user_email_verified(user=user, email="other@dwp.gov.uk")
    user.refresh_from_db()
    assert user.civil_servant_since == first


@pytest.mark.parametrize("email", ["x@example.co.uk", "x@evilgov.uk", "x@gov.uk.example.com"])
def test_other_addresses_make_no_civil_servant(email):
    user = factories.UserFactory(email=email)
    history_before = user.history.count()
    result = services.user_email_verified(user=user, email=email)
    user.refresh_from_db()
    assert result.civil_servant_since is None
    assert user.civil_servant_since is None
    assert user.history.count() == history_before


def test_a_civil_servant_on_the_bodys_domain_joins_it_at_once():
    body = factories.PublicBodyFactory(name="Department for Testing")
    user = factories.CivilServantFactory(public_body=None, email=f"jo@{body.email_domains[0]}")
    membership = services.public_body_request(actor=user, user=user, public_body=body)
    user.refresh_from_db()
    assert user.public_body == body
    assert (membership.status, membership.basis) == ("active", "domain")
    assert membership.email == user.email
    assert user.history.first().history_change_reason.startswith(
        "Public body set to Department for Testing"
    )


@pytest.mark.parametrize("actor_name", ["other_civil_servant", "owner", "member", "moderator"])
def test_nobody_asks_for_someone_else(request, actor_name):
    user = factories.CivilServantFactory(public_body=None)
    if actor_name == "other_civil_servant":
        actor = factories.CivilServantFactory()
    else:
        actor = request.getfixturevalue(actor_name)
    body = factories.PublicBodyFactory()
    with pytest.raises(PermissionDenied):
        services.public_body_request(actor=actor, user=user, public_body=body)
    assert User.objects.get(pk=user.pk).public_body is None
    assert not PublicBodyMembership.objects.filter(user=user).exists()


def test_an_ordinary_user_has_no_public_body_to_choose(owner, anonymous):
    body = factories.PublicBodyFactory()
    for actor in (owner, anonymous):
        with pytest.raises(PermissionDenied):
            services.public_body_request(actor=actor, user=owner, public_body=body)
    owner.refresh_from_db()
    assert owner.public_body is None


def _email(**fields) -> OutboundEmail:
    return OutboundEmail.objects.create(
        to="someone@example.co.uk", subject="Subject", body="Body", **fields
    )


def test_a_moderator_sends_a_pending_email_now(moderator):
    email = _email()
    assert services.email_send_now(actor=moderator, email=email) is True
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert len(mail.outbox) == 1
    # Sending again sends nothing.
    assert services.email_send_now(actor=moderator, email=email) is False
    assert len(mail.outbox) == 1


def test_send_now_gives_a_failed_email_a_fresh_start(moderator):
    email = _email(status=OutboundEmail.Status.FAILED, attempts=10, last_error="SMTP down")
    assert services.email_send_now(actor=moderator, email=email) is True
    email.refresh_from_db()
    assert (email.status, email.attempts) == (OutboundEmail.Status.SENT, 1)


@pytest.mark.parametrize("actor_name", ["civil_servant", "owner", "anonymous"])
def test_only_moderators_send_now(request, actor_name):
    email = _email()
    with pytest.raises(PermissionDenied):
        services.email_send_now(actor=request.getfixturevalue(actor_name), email=email)
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.PENDING
    assert mail.outbox == []
