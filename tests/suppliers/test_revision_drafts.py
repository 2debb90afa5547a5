"""A rejected edit comes back as a draft: kept, with the moderator's reason, to fix and send
again (or discard), through the services and the web pages (the API: tests/api)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from accounts.models import OutboundEmail
from core.errors import DomainError
from suppliers import services
from suppliers.models import Region, SupplierRevision
from suppliers.selectors.moderation import moderation_waiting
from tests import factories

pytestmark = pytest.mark.django_db

REASON = "Say which councils the cloud work was for."


def _waiting_revisions() -> int:
    return {item.key: item.count for item in moderation_waiting()}["revisions"]


def _rejected(supplier, owner, moderator, **changes) -> SupplierRevision:
    """The owner's edit of the live profile, rejected by the moderator: returns the draft."""
    changes = changes or {"summary": "Cloud for councils", "size": "medium", "employees": 80}
    services.supplier_profile_update(actor=owner, supplier=supplier, **changes)
    services.supplier_reject(actor=moderator, supplier=supplier, reason=REASON)
    return SupplierRevision.objects.get(supplier=supplier, status=SupplierRevision.Status.DRAFT)


def test_rejecting_an_edit_keeps_it_as_a_draft_with_the_reason(supplier, owner, moderator):
    old_summary = supplier.summary
    draft = _rejected(supplier, owner, moderator)
    rejected = SupplierRevision.objects.get(status=SupplierRevision.Status.REJECTED)
    assert rejected.reason == REASON
    assert (
        draft.proposed
        == rejected.proposed
        == {
            "summary": "Cloud for councils",
            "size": "medium",
            "employees": 80,
        }
    )
    assert draft.reason == REASON and draft.submitted_by == owner
    supplier.refresh_from_db()
    assert supplier.summary == old_summary
    # A draft is the supplier's, not the moderators': nothing waits for review.
    assert _waiting_revisions() == 0
    body = OutboundEmail.objects.filter(subject__contains="not approved").first().body
    assert REASON in body and "kept as a draft" in body


def test_edits_after_a_rejection_merge_into_the_draft(supplier, owner, member, moderator):
    draft = _rejected(supplier, owner, moderator)
    result = services.supplier_profile_update(
        actor=member, supplier=supplier, summary="Cloud for Leeds and York councils"
    )
    assert result.pk == draft.pk and result.status == SupplierRevision.Status.DRAFT
    assert result.proposed == {
        "summary": "Cloud for Leeds and York councils",
        "size": "medium",
        "employees": 80,
    }
    assert _waiting_revisions() == 0
    # The case studies are edited on top of the draft too, and it stays a draft.
    services.supplier_case_study_add(
        actor=owner, supplier=supplier, title="Leeds", client_type="public", summary="S"
    )
    draft.refresh_from_db()
    assert draft.status == SupplierRevision.Status.DRAFT
    assert [item["title"] for item in draft.proposed["case_studies"]] == ["Leeds"]


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("owner", True), ("member", True), ("other_owner", False), ("moderator", False)],
)
def test_who_may_send_a_draft_again(request, supplier, owner, member, moderator, who, allowed):
    _rejected(supplier, owner, moderator)
    actor = request.getfixturevalue(who)
    if not allowed:
        with pytest.raises(PermissionDenied):
            services.supplier_revision_resubmit(actor=actor, supplier=supplier)
        assert SupplierRevision.objects.get(status__in=["pending", "draft"]).status == "draft"
        return
    revision = services.supplier_revision_resubmit(actor=actor, supplier=supplier)
    assert revision.status == SupplierRevision.Status.PENDING
    assert revision.submitted_by == actor and revision.reason == ""
    assert _waiting_revisions() == 1
    # The moderator can now approve what was fixed.
    services.supplier_approve(actor=moderator, supplier=supplier)
    supplier.refresh_from_db()
    assert (supplier.summary, supplier.size, supplier.employees) == (
        "Cloud for councils",
        "medium",
        80,
    )


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("owner", True), ("member", True), ("other_owner", False), ("moderator", False)],
)
def test_who_may_discard_a_draft(request, supplier, owner, member, moderator, who, allowed):
    old_summary = supplier.summary
    _rejected(supplier, owner, moderator)
    actor = request.getfixturevalue(who)
    if not allowed:
        with pytest.raises(PermissionDenied):
            services.supplier_revision_discard(actor=actor, supplier=supplier)
        assert SupplierRevision.objects.filter(status="draft").exists()
        return
    services.supplier_revision_discard(actor=actor, supplier=supplier)
    assert not SupplierRevision.objects.filter(status__in=["pending", "draft"]).exists()
    # The next edit starts from the live profile again, as a pending revision.
    revision = services.supplier_profile_update(actor=owner, supplier=supplier, website="")
    assert revision.status == "pending" and revision.proposed == {"website": ""}
    supplier.refresh_from_db()
    assert supplier.summary == old_summary


def test_without_a_draft_there_is_nothing_to_send_or_discard(supplier, owner):
    services.supplier_profile_update(actor=owner, supplier=supplier, summary="Waiting")
    for call in (services.supplier_revision_resubmit, services.supplier_revision_discard):
        with pytest.raises(DomainError) as exc:
            call(actor=owner, supplier=supplier)
        assert exc.value.code == "conflict"
    assert SupplierRevision.objects.get().status == "pending"


def test_a_draft_that_now_matches_the_live_profile_is_withdrawn(supplier, owner, moderator):
    _rejected(supplier, owner, moderator, summary="Cloud for councils")
    services.supplier_update(actor=moderator, supplier=supplier, summary="Cloud for councils")
    assert services.supplier_revision_resubmit(actor=owner, supplier=supplier) is None
    assert not SupplierRevision.objects.filter(status__in=["pending", "draft"]).exists()


# --- The pages ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "member"])
def test_the_pages_show_the_draft_and_the_reason(request, client, supplier, owner, moderator, who):
    old_summary = supplier.summary
    _rejected(supplier, owner, moderator)
    client.force_login(request.getfixturevalue(who))
    manage = client.get(f"/suppliers/{supplier.slug}/manage/").content.decode()
    assert "No changes are waiting" not in manage
    assert "Changes not approved" in manage and REASON in manage
    assert "Cloud for councils" in manage and old_summary in manage
    assert "Medium (50 to 249 employees)" in manage
    check = client.get(f"/suppliers/{supplier.slug}/register/check/").content.decode()
    assert "Cloud for councils" in check and REASON in check
    assert "Send changes for review again" in check
    tasks = client.get(f"/suppliers/{supplier.slug}/register/").content.decode()
    assert REASON in tasks
    # The question page starts from the rejected text, not the live one.
    question = client.get(f"/suppliers/{supplier.slug}/register/summary/").content.decode()
    assert "Cloud for councils" in question


def test_fix_and_send_again_through_the_pages(client, supplier, owner, moderator):
    _rejected(supplier, owner, moderator)
    client.force_login(owner)
    response = client.post(
        f"/suppliers/{supplier.slug}/register/summary/", {"summary": "Cloud for Leeds council"}
    )
    assert response.status_code == 302
    assert SupplierRevision.objects.get(status__in=["pending", "draft"]).status == "draft"
    response = client.post(f"/suppliers/{supplier.slug}/manage/changes/resubmit/")
    assert response.status_code == 302
    revision = SupplierRevision.objects.get(status="pending")
    assert revision.proposed["summary"] == "Cloud for Leeds council"
    manage = client.get(f"/suppliers/{supplier.slug}/manage/").content.decode()
    assert "Changes waiting for review" in manage and "Changes not approved" not in manage


def test_discard_through_the_page(client, supplier, owner, moderator):
    _rejected(supplier, owner, moderator)
    client.force_login(owner)
    response = client.post(f"/suppliers/{supplier.slug}/manage/changes/discard/")
    assert response.status_code == 302
    assert not SupplierRevision.objects.filter(status__in=["pending", "draft"]).exists()
    assert b"No changes are waiting" in client.get(f"/suppliers/{supplier.slug}/manage/").content


@pytest.mark.parametrize(("who", "status"), [("other_owner", 404), ("moderator", 403)])
def test_others_cannot_send_or_discard_through_the_pages(
    request, client, supplier, owner, moderator, who, status
):
    _rejected(supplier, owner, moderator)
    client.force_login(request.getfixturevalue(who))
    for action in ("resubmit", "discard"):
        response = client.post(f"/suppliers/{supplier.slug}/manage/changes/{action}/")
        assert response.status_code == status
    assert SupplierRevision.objects.get(status__in=["pending", "draft"]).status == "draft"


def test_nothing_to_send_is_a_message_not_an_error(client, supplier, owner):
    client.force_login(owner)
    response = client.post(f"/suppliers/{supplier.slug}/manage/changes/resubmit/", follow=True)
    assert response.status_code == 200
    assert b"no changes returned by a moderator" in response.content


def test_manage_page_with_a_draft_runs_a_fixed_number_of_queries(
    client, supplier, owner, moderator, django_assert_num_queries
):
    regions = list(Region.objects.all()[:4])
    capabilities = [factories.CapabilityFactory() for _ in range(3)]
    _rejected(
        supplier, owner, moderator, summary="S", regions=regions[:1], capabilities=capabilities[:1]
    )
    client.force_login(owner)
    url = f"/suppliers/{supplier.slug}/manage/"
    with django_assert_num_queries(15):
        assert b"Changes not approved" in client.get(url).content
    # More values and more people: the same number of queries.
    services.supplier_profile_update(
        actor=owner, supplier=supplier, regions=regions, capabilities=capabilities
    )
    for _ in range(3):
        factories.MembershipFactory(supplier=supplier)
    with django_assert_num_queries(15):
        assert client.get(url).status_code == 200
