"""Pending revisions: a live profile stays live while its people's edit waits."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from core.errors import DomainError
from suppliers import services
from suppliers.models import Supplier, SupplierRevision
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("owner", True),
        ("member", True),
        ("other_owner", False),
        ("civil_servant", False),
        ("anonymous", False),
        ("moderator", True),
    ],
)
def test_propose_permission(request, supplier, owner, member, who, allowed):
    actor = request.getfixturevalue(who)
    if who == "moderator":
        # A moderator's edit goes live at once, as in the API and admin (one rule:
        # permissions.edit_goes_live); it used to wait for review on the web only.
        updated = services.supplier_profile_update(actor=actor, supplier=supplier, summary="N")
        assert isinstance(updated, Supplier) and updated.summary == "N"
        assert not SupplierRevision.objects.exists()
    elif allowed:
        revision = services.supplier_profile_update(actor=actor, supplier=supplier, summary="N")
        assert revision.proposed == {"summary": "N"}
    else:
        with pytest.raises(PermissionDenied):
            services.supplier_profile_update(actor=actor, supplier=supplier, summary="N")
        assert not SupplierRevision.objects.exists()


def test_edits_merge_into_one_pending_revision_with_the_base(supplier, owner, member):
    old_summary = supplier.summary
    capability = factories.CapabilityFactory()
    services.supplier_profile_update(actor=owner, supplier=supplier, summary="First")
    services.supplier_profile_update(
        actor=member, supplier=supplier, website="https://new.example.co.uk"
    )
    services.supplier_profile_update(actor=member, supplier=supplier, capabilities=[capability])
    revision = SupplierRevision.objects.get()
    assert revision.proposed == {
        "summary": "First",
        "website": "https://new.example.co.uk",
        "capabilities": [capability.code],
    }
    assert revision.base["summary"] == old_summary
    assert revision.base["capabilities"] == []
    assert revision.submitted_by == member
    supplier.refresh_from_db()
    assert supplier.summary == old_summary
    assert not supplier.capabilities.exists()


def test_reverting_every_change_withdraws_the_revision(supplier, owner):
    old = supplier.summary
    services.supplier_profile_update(actor=owner, supplier=supplier, summary="First")
    assert services.supplier_profile_update(actor=owner, supplier=supplier, summary=old) is None
    assert SupplierRevision.objects.get().status == SupplierRevision.Status.SUPERSEDED


def test_an_invalid_proposal_is_refused(supplier, owner):
    with pytest.raises(DomainError) as exc:
        services.supplier_profile_update(actor=owner, supplier=supplier, summary="x" * 300)
    assert "summary" in exc.value.message_dict
    assert not SupplierRevision.objects.exists()


def test_case_studies_through_a_revision(supplier, owner, moderator):
    kept = factories.CaseStudyFactory(supplier=supplier, title="Kept")
    removed = factories.CaseStudyFactory(supplier=supplier, title="Removed")
    services.supplier_revision_propose(
        actor=owner,
        supplier=supplier,
        case_studies=[
            {"id": kept.pk, "title": "Kept, renamed", "client_type": "public", "summary": "S"},
            {"id": None, "title": "New one", "client_type": "private", "summary": "S2"},
        ],
    )
    assert set(supplier.case_studies.values_list("title", flat=True)) == {"Kept", "Removed"}
    services.supplier_approve(actor=moderator, supplier=supplier)
    assert set(supplier.case_studies.values_list("title", flat=True)) == {
        "Kept, renamed",
        "New one",
    }
    assert not supplier.case_studies.filter(pk=removed.pk).exists()


def test_only_one_pending_revision_per_supplier(supplier):
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    SupplierRevision.objects.create(supplier=supplier, submitted_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        SupplierRevision.objects.create(supplier=supplier, submitted_at=timezone.now())


def test_a_suspended_supplier_edit_is_also_held(supplier, owner, moderator):
    services.supplier_suspend(actor=moderator, supplier=supplier, reason="Check")
    result = services.supplier_profile_update(actor=owner, supplier=supplier, summary="Fixed")
    assert isinstance(result, SupplierRevision)
    assert Supplier.objects.get(pk=supplier.pk).summary != "Fixed"
