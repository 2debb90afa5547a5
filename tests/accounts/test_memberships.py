"""Who may act for a public body: a verified address on its domain, or a moderator's approval.

And status follows the evidence: the person who leaves government (removes their last
government address) and the person who tries to switch body.
"""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts import permissions, selectors, services
from accounts.models import PublicBodyMembership, User
from core.errors import DomainError
from reporting.models import ContractReport
from reporting.services import report_query
from tests import factories
from tests.reporting.factories import ContractFactory, last_quarter, values

pytestmark = pytest.mark.django_db
Status = PublicBodyMembership.Status


def civil_servant_at(email: str, **extra) -> User:
    """A civil servant with one verified address and no public body yet."""
    return factories.CivilServantFactory(public_body=None, email=email, **extra)


@pytest.fixture
def dwp(db):
    return factories.PublicBodyFactory(name="Work Department", email_domains=["dwp.test.gov.uk"])


@pytest.fixture
def justice_bodies(db):
    """Two bodies on one shared domain (the ministry and its courts service)."""
    return [
        factories.PublicBodyFactory(name="Justice Ministry", email_domains=["justice.test.gov.uk"]),
        factories.PublicBodyFactory(name="Courts Service", email_domains=["justice.test.gov.uk"]),
    ]


# --- Domains ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "email, joins",
    [
        ("jo@dwp.test.gov.uk", True),
        ("jo@digital.dwp.test.gov.uk", True),  # a sub-domain belongs to the body
        ("jo@DWP.test.gov.uk", True),
        ("jo@evildwp.test.gov.uk", False),
        ("jo@dwp.test.gov.uk.other.gov.uk", False),
        ("jo@cabinetoffice.gov.uk", False),
    ],
)
def test_a_verified_address_on_the_domain_proves_membership(dwp, email, joins):
    user = civil_servant_at(email.lower())
    membership = services.public_body_request(actor=user, user=user, public_body=dwp)
    user.refresh_from_db()
    assert (user.public_body == dwp) is joins
    assert membership.status == (Status.ACTIVE if joins else Status.PENDING)


def test_an_unverified_address_proves_nothing(dwp):
    user = civil_servant_at("jo@cabinetoffice.gov.uk")
    EmailAddress.objects.create(user=user, email="jo@dwp.test.gov.uk", verified=False)
    membership = services.public_body_request(actor=user, user=user, public_body=dwp)
    assert membership.status == Status.PENDING
    assert User.objects.get(pk=user.pk).public_body is None


def test_a_shared_domain_waits_for_a_moderator_who_approves_with_a_reason(
    justice_bodies, moderator
):
    courts = justice_bodies[1]
    user = civil_servant_at("sam@justice.test.gov.uk")

    membership = services.public_body_request(actor=user, user=user, public_body=courts)

    assert membership.status == Status.PENDING
    user.refresh_from_db()
    assert user.public_body is None
    assert permissions.needs_public_body(user)  # still asked to choose
    with pytest.raises(DomainError):
        services.public_body_membership_decide(
            actor=moderator, membership=membership, approve=True, reason="  "
        )

    services.public_body_membership_decide(
        actor=moderator, membership=membership, approve=True, reason="Line manager confirmed"
    )

    membership.refresh_from_db()
    user.refresh_from_db()
    assert user.public_body == courts
    assert (membership.status, membership.basis) == (Status.ACTIVE, "approval")
    assert (membership.decided_by, membership.reason) == (moderator, "Line manager confirmed")
    assert membership.decided_at is not None
    assert membership.history.first().history_user == moderator


@pytest.mark.parametrize("persona", ["owner", "member", "civil_servant", "requester"])
def test_only_moderators_decide_or_revoke(request, justice_bodies, persona):
    user = civil_servant_at("sam@justice.test.gov.uk")
    membership = services.public_body_request(actor=user, user=user, public_body=justice_bodies[0])
    actor = user if persona == "requester" else request.getfixturevalue(persona)
    for call in (
        lambda: services.public_body_membership_decide(
            actor=actor, membership=membership, approve=True, reason="Trust me"
        ),
        lambda: services.public_body_membership_revoke(
            actor=actor, membership=membership, reason="Trust me"
        ),
    ):
        with pytest.raises(PermissionDenied):
            call()
    membership.refresh_from_db()
    assert membership.status == Status.PENDING
    assert User.objects.get(pk=user.pk).public_body is None


def test_a_rejected_request_gives_nothing_and_is_recorded(justice_bodies, moderator):
    user = civil_servant_at("sam@justice.test.gov.uk")
    membership = services.public_body_request(actor=user, user=user, public_body=justice_bodies[0])
    services.public_body_membership_decide(
        actor=moderator, membership=membership, approve=False, reason="Works for the courts"
    )
    membership.refresh_from_db()
    assert (membership.status, membership.reason, membership.decided_by) == (
        Status.REJECTED,
        "Works for the courts",
        moderator,
    )
    assert User.objects.get(pk=user.pk).public_body is None
    with pytest.raises(DomainError):  # decided once
        services.public_body_membership_decide(
            actor=moderator, membership=membership, approve=True, reason="Changed my mind"
        )


def test_bodies_on_the_users_domain_come_first(dwp, justice_bodies):
    user = civil_servant_at("sam@justice.test.gov.uk")
    first = selectors.public_bodies_on_domains_of(user)
    assert set(first) == set(justice_bodies)

    client_page_bodies = _offered(user)
    assert client_page_bodies[:2] == sorted(b.name for b in justice_bodies)
    assert dwp.name in client_page_bodies[2:]


def _offered(user) -> list[str]:
    from accounts.forms import PublicBodyForm

    form = PublicBodyForm(first=selectors.public_bodies_on_domains_of(user))
    return [body.name for body in form.fields["public_body"].queryset]


def test_the_page_offers_the_users_bodies_first_and_says_a_request_is_waiting(
    client, justice_bodies
):
    user = civil_servant_at("sam@justice.test.gov.uk")
    client.force_login(user)
    html = client.get(reverse("accounts:public_body")).content.decode()
    options = html.split('<option value="')[2:4]  # after "Choose a public body"
    assert {o.split(">", 1)[1].split("<", 1)[0] for o in options} == {
        b.name for b in justice_bodies
    }

    got = client.post(reverse("accounts:public_body"), {"public_body": justice_bodies[1].pk})

    assert got.status_code == 302 and got.url == reverse("accounts:public_body")
    page = client.get(got.url).content.decode()
    assert 'id="pending-membership"' in page
    assert "Courts Service" in page
    user.refresh_from_db()
    assert user.public_body is None


# --- The person who tries to switch body ----------------------------------------------


def _submitted_report(body) -> ContractReport:
    from reporting import services as reporting_services

    contract = ContractFactory(buyer=body)
    owner = factories.MembershipFactory(supplier=contract.supplier, role="owner").user
    return reporting_services.report_submit(
        actor=owner, contract=contract, period=last_quarter(), values=values()
    )


def test_switching_body_ends_the_old_one_and_waits_for_the_new(client, dwp, justice_bodies):
    user = civil_servant_at("jo@dwp.test.gov.uk")
    services.public_body_request(actor=user, user=user, public_body=dwp)
    report = _submitted_report(dwp)
    user.refresh_from_db()
    assert permissions.is_civil_servant(user) and user.public_body == dwp

    client.force_login(user)
    got = client.post(reverse("accounts:public_body"), {"public_body": justice_bodies[0].pk})
    assert got.url == reverse("accounts:public_body")

    user.refresh_from_db()
    assert user.public_body is None  # no powers at the new body, none kept at the old
    old = PublicBodyMembership.objects.get(user=user, public_body=dwp)
    assert old.status == Status.ENDED and "Changed public body" in old.reason
    assert PublicBodyMembership.objects.get(user=user, public_body=justice_bodies[0]).status == (
        Status.PENDING
    )
    with pytest.raises(PermissionDenied):
        report_query(actor=user, report=report, reason="Is this right?")
    assert client.get(reverse("engagement:new")).status_code in (302, 403)

    # Back to the body the domain proves: at once.
    services.public_body_request(actor=user, user=user, public_body=dwp)
    user.refresh_from_db()
    assert user.public_body == dwp
    assert not PublicBodyMembership.objects.filter(user=user, status=Status.PENDING).exists()


# --- The person who leaves government ---------------------------------------------------


def test_removing_the_last_government_address_ends_every_power_on_the_next_request(client, dwp):
    user = civil_servant_at("jo@dwp.test.gov.uk")
    EmailAddress.objects.create(user=user, email="jo@example.co.uk", verified=True)
    services.public_body_request(actor=user, user=user, public_body=dwp)
    report = _submitted_report(dwp)
    from reporting import services as reporting_services

    reporting_services.report_query(
        actor=User.objects.get(pk=user.pk), report=report, reason="Check the figures"
    )
    client.force_login(user)  # a session from before, kept open
    report_url = reverse("reporting:report", args=[report.pk])
    assert client.get(report_url).status_code == 200

    # allauth's own email page: make the personal address primary, remove the gov one.
    client.post(reverse("account_email"), {"action_primary": "", "email": "jo@example.co.uk"})
    client.post(reverse("account_email"), {"action_remove": "", "email": "jo@dwp.test.gov.uk"})
    assert not EmailAddress.objects.filter(email="jo@dwp.test.gov.uk").exists()

    user.refresh_from_db()
    assert user.civil_servant_since is None and user.public_body is None
    assert PublicBodyMembership.objects.get(user=user).status == Status.ENDED
    # The same session's next requests: the queried report is hidden, no request can start.
    assert client.get(report_url).status_code in (403, 404)
    assert client.get(reverse("engagement:new")).status_code in (302, 403)
    assert reverse("accounts:public_body") not in client.get("/home/").content.decode()


def test_an_address_removed_behind_allauths_back_counts_too(admin_client, dwp):
    user = civil_servant_at("jo@dwp.test.gov.uk")
    services.public_body_request(actor=user, user=user, public_body=dwp)
    address = EmailAddress.objects.get(user=user)
    admin_client.post(
        reverse("admin:account_emailaddress_delete", args=[address.pk]), {"post": "yes"}
    )
    user.refresh_from_db()
    assert not permissions.is_civil_servant(user)
    assert user.public_body is None


def test_an_address_unverified_in_admin_ends_a_domain_membership(dwp):
    user = civil_servant_at("jo@cabinetoffice.gov.uk")
    EmailAddress.objects.create(user=user, email="jo@dwp.test.gov.uk", verified=True)
    services.public_body_request(actor=user, user=user, public_body=dwp)
    assert User.objects.get(pk=user.pk).public_body == dwp

    address = EmailAddress.objects.get(email="jo@dwp.test.gov.uk")
    address.verified = False
    address.save()

    user.refresh_from_db()
    assert user.is_civil_servant  # the Cabinet Office address still says so
    assert user.public_body is None
    assert PublicBodyMembership.objects.get(user=user).status == Status.ENDED


def test_an_approved_membership_lasts_while_its_address_does(justice_bodies, moderator):
    user = civil_servant_at("sam@justice.test.gov.uk")
    EmailAddress.objects.create(user=user, email="sam@cabinetoffice.gov.uk", verified=True)
    membership = services.public_body_request(actor=user, user=user, public_body=justice_bodies[0])
    services.public_body_membership_decide(
        actor=moderator, membership=membership, approve=True, reason="Confirmed"
    )
    EmailAddress.objects.filter(email="sam@cabinetoffice.gov.uk").delete()
    assert User.objects.get(pk=user.pk).public_body == justice_bodies[0]

    EmailAddress.objects.get(email="sam@justice.test.gov.uk").delete()
    user = User.objects.get(pk=user.pk)
    assert user.public_body is None and not user.is_civil_servant


# --- Moderators revoke, in admin, with a reason ---------------------------------------


def test_a_moderator_revokes_civil_servant_status_in_admin_and_it_sticks(admin_client, dwp):
    user = civil_servant_at("jo@dwp.test.gov.uk")
    services.public_body_request(actor=user, user=user, public_body=dwp)
    changelist = reverse("admin:accounts_user_changelist")

    # No reason, no revocation.
    admin_client.post(
        changelist, {"action": "revoke_civil_servant", "_selected_action": [user.pk], "reason": ""}
    )
    assert User.objects.get(pk=user.pk).is_civil_servant

    admin_client.post(
        changelist,
        {
            "action": "revoke_civil_servant",
            "_selected_action": [user.pk],
            "reason": "Left the department",
        },
    )
    user.refresh_from_db()
    assert not user.is_civil_servant and user.public_body is None
    assert user.civil_servant_revoked_at is not None
    latest = user.history.first()
    assert latest.history_change_reason == "Civil-servant status revoked: Left the department"
    assert latest.history_user.is_staff
    membership = PublicBodyMembership.objects.get(user=user)
    assert membership.status == Status.ENDED and membership.decided_by.is_staff

    # Confirming a government address again does not bring it back...
    services.user_email_verified(user=user, email="jo@dwp.test.gov.uk")
    assert not User.objects.get(pk=user.pk).is_civil_servant
    # ...until a moderator restores it.
    admin_client.post(
        changelist,
        {
            "action": "restore_civil_servant",
            "_selected_action": [user.pk],
            "reason": "Rejoined",
        },
    )
    user.refresh_from_db()
    assert user.is_civil_servant and user.public_body is None


def test_a_moderator_approves_and_revokes_memberships_in_admin(admin_client, justice_bodies):
    user = civil_servant_at("sam@justice.test.gov.uk")
    membership = services.public_body_request(actor=user, user=user, public_body=justice_bodies[0])
    changelist = reverse("admin:accounts_publicbodymembership_changelist")
    assert "Justice Ministry" in admin_client.get(changelist).content.decode()

    admin_client.post(
        changelist, {"action": "approve", "_selected_action": [membership.pk], "reason": ""}
    )
    assert User.objects.get(pk=user.pk).public_body is None

    admin_client.post(
        changelist,
        {
            "action": "approve",
            "_selected_action": [membership.pk],
            "reason": "Checked the staff list",
        },
    )
    assert User.objects.get(pk=user.pk).public_body == justice_bodies[0]

    admin_client.post(
        changelist,
        {"action": "revoke", "_selected_action": [membership.pk], "reason": "Moved on"},
    )
    membership.refresh_from_db()
    assert membership.status == Status.ENDED and membership.reason == "Moved on"
    assert User.objects.get(pk=user.pk).public_body is None
    page = admin_client.get(
        reverse("admin:accounts_publicbodymembership_change", args=[membership.pk])
    )
    assert "Moved on" in page.content.decode()


def test_the_users_public_body_cannot_be_typed_in_admin(admin_client, dwp):
    user = civil_servant_at("jo@cabinetoffice.gov.uk")
    url = reverse("admin:accounts_user_change", args=[user.pk])
    page = admin_client.get(url).content.decode()
    assert 'name="public_body"' not in page
