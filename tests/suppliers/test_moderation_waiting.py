"""Moderators learn of work waiting: counts on the admin index and /moderation/, and a daily
digest email through the outbox."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import OutboundEmail
from suppliers import services
from suppliers.models import Supplier, SupplierClaim, SupplierRevision
from suppliers.selectors.moderation import moderation_waiting
from suppliers.services.digest import moderation_digest_send
from suppliers.tasks import send_moderation_digest
from tests import factories

pytestmark = pytest.mark.django_db

KEYS = ["registrations", "revisions", "claims", "memberships"]


def _counts() -> dict[str, int]:
    return {item.key: item.count for item in moderation_waiting()}


@pytest.fixture
def work(supplier, owner):
    """One of each kind of work waiting, beside work that no longer waits."""
    factories.SupplierFactory(status=Supplier.Status.PENDING_REVIEW, name="New Ledger")
    factories.SupplierFactory(status=Supplier.Status.REJECTED, name="Old Ledger")
    services.supplier_profile_update(actor=owner, supplier=supplier, summary="Waiting edit")
    decided = factories.SupplierFactory(name="Decided Ledger")
    SupplierRevision.objects.create(
        supplier=decided,
        proposed={"summary": "x"},
        status=SupplierRevision.Status.APPROVED,
        submitted_at=timezone.now(),
    )
    public = factories.SupplierFactory(from_public_records=True, name="Public Ledger")
    for status in (SupplierClaim.Status.PENDING, SupplierClaim.Status.REJECTED):
        SupplierClaim.objects.create(
            supplier=public,
            claimant=factories.UserFactory(),
            companies_house_number=public.companies_house_number,
            name=public.name,
            status=status,
            submitted_at=timezone.now(),
        )
    # A civil servant asking to join a body their address does not prove: a request.
    person = factories.CivilServantFactory(public_body=None)
    other_body = factories.PublicBodyFactory(email_domains=["elsewhere.gov.uk"])
    account_services.public_body_request(actor=person, user=person, public_body=other_body)


def test_one_count_per_kind_of_work(work):
    assert _counts() == dict.fromkeys(KEYS, 1)


def test_nothing_waiting_counts_zero(supplier):
    assert _counts() == dict.fromkeys(KEYS, 0)


def test_admin_index_shows_the_counts_to_moderators_only(client, moderator, work):
    client.force_login(moderator)
    html = client.get(reverse("admin:index")).content.decode()
    assert 'id="moderation-waiting"' in html
    for item in moderation_waiting():
        assert f'href="{item.url.replace("&", "&amp;")}"' in html
        assert f'data-waiting="{item.key}">1<' in html
    # Each link lands on a filtered changelist the moderator may open, showing the one row.
    for item in moderation_waiting():
        response = client.get(item.url)
        assert response.status_code == 200, item.url
        assert response.context["cl"].result_count == 1, item.url
    client.force_login(factories.ModeratorFactory(moderators_group=False))
    assert 'id="moderation-waiting"' not in client.get(reverse("admin:index")).content.decode()


def test_moderator_home_page(client, moderator, civil_servant, work):
    client.force_login(moderator)
    response = client.get("/moderation/")
    assert response.status_code == 200
    html = response.content.decode()
    for item in moderation_waiting():
        assert f'data-waiting="{item.key}">1<' in html and item.url.replace("&", "&amp;") in html
    assert 'href="/moderation/"' in html  # in the header, for moderators
    for who in (civil_servant, factories.ModeratorFactory(moderators_group=False)):
        client.force_login(who)
        assert client.get("/moderation/").status_code == 403
        assert 'href="/moderation/"' not in client.get("/home/").content.decode()
    client.logout()
    assert client.get("/moderation/").status_code == 302  # to sign in


def test_daily_digest_goes_to_each_moderator_once_a_day(moderator, work):
    second = factories.ModeratorFactory()
    factories.ModeratorFactory(moderators_group=False)  # staff, not a moderator
    factories.ModeratorFactory(is_active=False)
    today = timezone.localdate()
    assert moderation_digest_send(day=today) == 2
    emails = OutboundEmail.objects.filter(dedupe_key__startswith="moderation-digest:")
    assert sorted(emails.values_list("to", flat=True)) == sorted([moderator.email, second.email])
    body = emails.first().body
    assert "1 new registrations" in body and "1 public-body membership requests" in body
    assert "/admin/suppliers/supplierclaim/?status__exact=pending" in body
    # Again the same day (a second beat, a retry, the task itself): nothing new.
    assert moderation_digest_send(day=today) == 0
    assert send_moderation_digest() == 0
    assert emails.count() == 2
    # The next day is a new digest.
    assert moderation_digest_send(day=today + datetime.timedelta(days=1)) == 2


def test_no_digest_when_nothing_waits(moderator, supplier):
    assert send_moderation_digest() == 0
    assert not OutboundEmail.objects.exists()


def test_the_digest_is_on_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["moderation-daily-digest"]
    assert entry["task"] == "suppliers.tasks.send_moderation_digest"
    assert send_moderation_digest.run.single_flight == "suppliers.send_moderation_digest"
