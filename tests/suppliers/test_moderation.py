"""Moderation services: approve, reject, suspend, reinstate; decisions and emails."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts.models import OutboundEmail
from accounts.tasks import send_pending_emails
from core.errors import DomainError
from suppliers import services
from suppliers.models import ModerationDecision, Region, Supplier, SupplierRevision
from tests import factories
from tests.helpers import wait_until

# Persona fixtures are asked for by name (request.getfixturevalue), which pytest-django
# cannot see when it orders tests: the mark keeps these tests before the transactional ones.
pytestmark = pytest.mark.django_db

CAST = ["owner", "member", "other_owner", "civil_servant", "anonymous", "moderator"]
ALLOWED = {"moderator"}


def _pending(supplier: Supplier) -> Supplier:
    Supplier.objects.filter(pk=supplier.pk).update(status=Supplier.Status.PENDING_REVIEW)
    supplier.refresh_from_db()
    return supplier


@pytest.mark.django_db
@pytest.mark.parametrize("who", CAST)
def test_approve_permission(request, supplier, owner, member, who):
    _pending(supplier)
    actor = request.getfixturevalue(who)
    if who in ALLOWED:
        decision = services.supplier_approve(actor=actor, supplier=supplier)
        supplier.refresh_from_db()
        assert supplier.status == Supplier.Status.PUBLISHED
        assert decision.moderator == actor
    else:
        with pytest.raises(PermissionDenied):
            services.supplier_approve(actor=actor, supplier=supplier)
        supplier.refresh_from_db()
        assert supplier.status == Supplier.Status.PENDING_REVIEW
        assert not ModerationDecision.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("who", CAST)
def test_reject_permission(request, supplier, owner, member, who):
    _pending(supplier)
    actor = request.getfixturevalue(who)
    if who in ALLOWED:
        services.supplier_reject(actor=actor, supplier=supplier, reason="Not a real company")
        supplier.refresh_from_db()
        assert supplier.status == Supplier.Status.REJECTED
        assert supplier.status_reason == "Not a real company"
    else:
        with pytest.raises(PermissionDenied):
            services.supplier_reject(actor=actor, supplier=supplier, reason="x")
        assert not ModerationDecision.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("who", CAST)
def test_suspend_and_reinstate_permission(request, supplier, owner, member, who):
    actor = request.getfixturevalue(who)
    if who in ALLOWED:
        services.supplier_suspend(actor=actor, supplier=supplier, reason="Complaint")
        supplier.refresh_from_db()
        assert supplier.status == Supplier.Status.SUSPENDED
        assert supplier.suspended_at is not None
        services.supplier_reinstate(actor=actor, supplier=supplier, reason="Resolved")
        supplier.refresh_from_db()
        assert supplier.status == Supplier.Status.PUBLISHED
        assert supplier.suspended_at is None
    else:
        with pytest.raises(PermissionDenied):
            services.supplier_suspend(actor=actor, supplier=supplier, reason="x")
        Supplier.objects.filter(pk=supplier.pk).update(status=Supplier.Status.SUSPENDED)
        with pytest.raises(PermissionDenied):
            services.supplier_reinstate(actor=actor, supplier=supplier, reason="x")
        assert not ModerationDecision.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "call",
    [services.supplier_reject, services.supplier_suspend, services.supplier_reinstate],
)
def test_a_reason_is_required(supplier, moderator, call):
    _pending(supplier) if call is services.supplier_reject else None
    with pytest.raises(DomainError) as exc:
        call(actor=moderator, supplier=supplier, reason="   ")
    assert "reason" in exc.value.message_dict


@pytest.mark.django_db
def test_nothing_waiting_cannot_be_approved(supplier, moderator):
    with pytest.raises(DomainError):
        services.supplier_approve(actor=moderator, supplier=supplier)


@pytest.mark.django_db
def test_decisions_are_kept_and_people_emailed(
    supplier, owner, member, moderator, django_capture_on_commit_callbacks
):
    _pending(supplier)
    with django_capture_on_commit_callbacks(execute=False):
        services.supplier_reject(actor=moderator, supplier=supplier, reason="Wrong website")
    emails = OutboundEmail.objects.order_by("to")
    assert sorted(e.to for e in emails) == sorted([owner.email, member.email])
    assert all("Wrong website" in e.body for e in emails)
    assert all("not approved" in e.subject for e in emails)
    decision = ModerationDecision.objects.get()
    assert (decision.action, decision.reason, decision.moderator) == (
        "reject",
        "Wrong website",
        moderator,
    )
    # Supplier history records the change with who and why.
    latest = supplier.history.first()
    assert latest.status == Supplier.Status.REJECTED
    assert latest.history_user == moderator
    assert latest.history_change_reason == "Rejected"


@pytest.mark.django_db
def test_suspended_supplier_leaves_search(client, moderator):
    supplier = services.supplier_create(
        actor=None,
        name="Quillfeather Analytics",
        companies_house_number="07770001",
        size="small",
        status="published",
    )
    assert supplier.slug.encode() in client.get("/suppliers/?q=quillfeather&ordering=name").content
    services.supplier_suspend(actor=moderator, supplier=supplier, reason="Fraud report")
    response = client.get("/suppliers/?q=quillfeather&ordering=relevance")
    assert response.status_code == 200
    assert supplier.slug.encode() not in response.content


@pytest.mark.django_db
def test_suspended_profile_page_says_unavailable(client, supplier, moderator):
    services.supplier_suspend(actor=moderator, supplier=supplier, reason="Fraud report")
    response = client.get(f"/suppliers/{supplier.slug}/")
    assert b"currently unavailable" in response.content


# --- Revisions through moderation ------------------------------------------------------


@pytest.mark.django_db
def test_approving_a_revision_replaces_the_live_profile(supplier, owner, moderator):
    old = supplier.summary
    revision = services.supplier_profile_update(
        actor=owner, supplier=supplier, summary="A brand new summary"
    )
    assert isinstance(revision, SupplierRevision)
    supplier.refresh_from_db()
    assert supplier.summary == old  # still live
    services.supplier_approve(actor=moderator, supplier=supplier)
    supplier.refresh_from_db()
    revision.refresh_from_db()
    assert supplier.summary == "A brand new summary"
    assert revision.status == SupplierRevision.Status.APPROVED
    assert revision.decided_by == moderator


@pytest.mark.django_db
def test_rejecting_a_revision_keeps_the_live_profile(supplier, owner, moderator):
    old = supplier.summary
    services.supplier_profile_update(actor=owner, supplier=supplier, summary="Spam")
    services.supplier_reject(actor=moderator, supplier=supplier, reason="Advertising")
    supplier.refresh_from_db()
    assert supplier.summary == old
    revision = SupplierRevision.objects.get(status="rejected")
    assert revision.reason == "Advertising"
    assert supplier.status == Supplier.Status.PUBLISHED
    # The rejected edit comes back to its people as a draft (tests/suppliers/
    # test_revision_drafts.py).
    assert SupplierRevision.objects.get(status="draft").proposed == {"summary": "Spam"}


# --- The broker is down when the decision is made ------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_rejection_during_a_broker_outage_emails_the_owners_exactly_once(
    settings, private_broker, celery_worker_for, finished_tasks
):
    settings.CELERY_BROKER_URL = private_broker.url
    supplier = factories.SupplierFactory(status=Supplier.Status.PENDING_REVIEW)
    owners = [factories.MembershipFactory(supplier=supplier, role="owner").user for _ in range(2)]
    moderator = factories.ModeratorFactory()
    private_broker.stop()

    with transaction.atomic():
        services.supplier_reject(actor=moderator, supplier=supplier, reason="Duplicate entry")
    assert OutboundEmail.objects.filter(status=OutboundEmail.Status.PENDING).count() == 2
    assert mail.outbox == []

    private_broker.start()
    with celery_worker_for(private_broker.url):
        send_pending_emails.delay()
        wait_until(
            lambda: OutboundEmail.objects.filter(status=OutboundEmail.Status.SENT).count() == 2
        )
        send_pending_emails.delay()  # a second sweep sends nothing again
        finished_tasks.wait_for(send_pending_emails.name, times=2)

    assert (send_pending_emails.name, 0) in finished_tasks  # the second sweep found nothing
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in owners)
    assert all("Duplicate entry" in m.body for m in mail.outbox)
    assert Region.objects.exists()  # reference data survived the transactional test


# --- Django admin: the queue, the review page and the actions ------------------------------

QUEUE = "/admin/suppliers/supplierforreview/"


def _queued(name: str, website: str = "", **extra) -> Supplier:
    from django.utils import timezone

    supplier = factories.SupplierFactory(
        name=name,
        website=website,
        status=Supplier.Status.PENDING_REVIEW,
        submitted_at=timezone.now(),
        **extra,
    )
    return supplier


@pytest.mark.django_db
def test_queue_is_oldest_first_with_revisions_and_duplicates(client, moderator, owner, supplier):
    from datetime import timedelta

    from django.utils import timezone

    existing = factories.SupplierFactory(
        name="Northwind Cloud Services", website="https://www.northwind.example.co.uk/about"
    )
    newer = _queued("Northwind Cloud Service")
    Supplier.objects.filter(pk=newer.pk).update(submitted_at=timezone.now())
    older = _queued("Ospreytech", website="https://northwind.example.co.uk")
    Supplier.objects.filter(pk=older.pk).update(submitted_at=timezone.now() - timedelta(days=2))
    services.supplier_profile_update(actor=owner, supplier=supplier, summary="Edited")
    SupplierRevision.objects.update(submitted_at=timezone.now() - timedelta(days=1))
    client.force_login(moderator)
    response = client.get(QUEUE)
    assert response.status_code == 200
    html = response.content.decode()
    positions = [html.index(f"{QUEUE}{s.pk}/change/") for s in (older, supplier, newer)]
    assert positions == sorted(positions)
    assert "Changes to a live profile" in html
    assert "same website domain (northwind.example.co.uk)" in html
    assert "similar name" in html
    assert f"/admin/suppliers/supplier/{existing.pk}/change/" in html


@pytest.mark.django_db
def test_review_page_shows_differences_and_rejects_with_a_reason(
    client, moderator, owner, supplier
):
    old = supplier.summary
    services.supplier_profile_update(actor=owner, supplier=supplier, summary="Edited summary")
    client.force_login(moderator)
    url = f"{QUEUE}{supplier.pk}/review/"
    html = client.get(url).content.decode()
    assert "Edited summary" in html and old in html
    response = client.post(url, {"decision": "reject", "reason": ""})
    assert response.status_code == 200
    assert SupplierRevision.objects.get().status == "pending"
    response = client.post(url, {"decision": "reject", "reason": "Needs evidence"})
    assert response.status_code == 302
    assert SupplierRevision.objects.get(status="rejected").reason == "Needs evidence"
    assert not SupplierRevision.objects.filter(status="pending").exists()
    assert ModerationDecision.objects.get().reason == "Needs evidence"


@pytest.mark.django_db
def test_bulk_approve(client, moderator):
    first, second = _queued("Alpha Widgets"), _queued("Beta Gadgets")
    client.force_login(moderator)
    response = client.post(
        QUEUE, {"action": "approve_selected", "_selected_action": [first.pk, second.pk]}
    )
    assert response.status_code == 302
    assert set(
        Supplier.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)
    ) == {"published"}
    assert ModerationDecision.objects.filter(action="approve").count() == 2


@pytest.mark.django_db
def test_suspend_action_asks_for_a_reason_first(client, moderator, supplier):
    client.force_login(moderator)
    url = "/admin/suppliers/supplier/"
    data = {"action": "suspend_selected", "_selected_action": [supplier.pk]}
    response = client.post(url, data)
    assert response.status_code == 200
    assert b"Reason" in response.content
    supplier.refresh_from_db()
    assert supplier.status == Supplier.Status.PUBLISHED
    response = client.post(url, {**data, "reason": "Fraud report"})
    assert response.status_code == 302
    supplier.refresh_from_db()
    assert (supplier.status, supplier.status_reason) == ("suspended", "Fraud report")


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["owner", "member", "other_owner", "civil_servant"])
def test_the_queue_is_for_moderators_only(request, client, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    response = client.get(QUEUE)
    assert response.status_code in (302, 403)


@pytest.mark.django_db
def test_the_queue_runs_a_fixed_number_of_queries(client, moderator, django_assert_max_num_queries):
    client.force_login(moderator)
    for n in range(3):
        _queued(f"Queue Supplier {n}")
    client.get(QUEUE)  # warm caches (content types, sessions)
    with django_assert_max_num_queries(12) as small:
        client.get(QUEUE)
    for n in range(3, 12):
        _queued(f"Queue Supplier {n}", website=f"https://q{n}.example.co.uk")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(QUEUE).status_code == 200
