"""Self-registration services: register a draft, fill it in, submit it for review."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from core.errors import DomainError
from suppliers import services
from suppliers.models import CaseStudy, Region, Supplier, SupplierMembership
from tests import factories

pytestmark = pytest.mark.django_db

CAST = ["owner", "member", "other_owner", "civil_servant", "anonymous", "moderator"]


@pytest.fixture
def draft(supplier):
    Supplier.objects.filter(pk=supplier.pk).update(status=Supplier.Status.DRAFT)
    supplier.refresh_from_db()
    return supplier


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("owner", True),  # an ordinary user may register a second organisation
        ("member", True),
        ("other_owner", True),
        ("civil_servant", False),
        ("anonymous", False),
        ("moderator", False),  # moderators add suppliers in admin
    ],
)
def test_register_permission(request, who, allowed):
    actor = request.getfixturevalue(who)
    if allowed:
        supplier = services.supplier_register(
            actor=actor, companies_house_number="sc123456", name="Heron Data"
        )
        assert supplier.status == Supplier.Status.DRAFT
        assert supplier.companies_house_number == "SC123456"
        assert supplier.created_by == actor
        assert SupplierMembership.objects.get(supplier=supplier).user == actor
        assert SupplierMembership.objects.get(supplier=supplier).role == "owner"
        history = supplier.history.get()
        assert history.history_user == actor
    else:
        with pytest.raises(PermissionDenied):
            services.supplier_register(
                actor=actor, companies_house_number="SC123456", name="Heron Data"
            )
        assert not Supplier.objects.filter(companies_house_number="SC123456").exists()


def test_a_known_companies_house_number_says_how_to_join(supplier):
    user = factories.UserFactory()
    with pytest.raises(DomainError) as exc:
        services.supplier_register(
            actor=user, companies_house_number=supplier.companies_house_number, name="Copy"
        )
    message = exc.value.message_dict["companies_house_number"][0]
    assert supplier.name in message
    assert "ask one of its owners to invite you" in message


def test_a_malformed_number_is_a_field_error():
    user = factories.UserFactory()
    with pytest.raises(DomainError) as exc:
        # Not "12": short numbers are zero-padded (00000012) by the Companies House rule.
        services.supplier_register(actor=user, companies_house_number="XX123456", name="Copy")
    assert "companies_house_number" in exc.value.message_dict


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
def test_draft_edits_apply_directly(request, draft, owner, member, who, allowed):
    actor = request.getfixturevalue(who)
    if allowed:
        result = services.supplier_profile_update(actor=actor, supplier=draft, summary="New")
        assert isinstance(result, Supplier)
        draft.refresh_from_db()
        assert draft.summary == "New"
    else:
        with pytest.raises(PermissionDenied):
            services.supplier_profile_update(actor=actor, supplier=draft, summary="New")
        draft.refresh_from_db()
        assert draft.summary != "New"


def test_suppliers_people_cannot_set_the_status(draft, owner):
    with pytest.raises(TypeError):
        services.supplier_profile_update(actor=owner, supplier=draft, status="published")


def test_a_no_op_edit_writes_no_history(draft, owner):
    before = draft.history.count()
    services.supplier_profile_update(actor=owner, supplier=draft, summary=draft.summary)
    assert draft.history.count() == before


def _complete(supplier):
    region = Region.objects.first()
    capability = factories.CapabilityFactory()
    services.supplier_update(
        actor=None,
        supplier=supplier,
        summary="Ledgers",
        size="small",
        hq_region=region,
        regions=[region],
        capabilities=[capability],
        contact_email="hello@example.co.uk",
    )


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("owner", True),
        ("member", True),
        ("other_owner", False),
        ("civil_servant", False),
        ("anonymous", False),
        ("moderator", False),
    ],
)
def test_submit_permission(request, draft, owner, member, who, allowed):
    _complete(draft)
    actor = request.getfixturevalue(who)
    if allowed:
        services.supplier_submit(actor=actor, supplier=draft)
        draft.refresh_from_db()
        assert draft.status == Supplier.Status.PENDING_REVIEW
        assert draft.submitted_at is not None
    else:
        with pytest.raises(PermissionDenied):
            services.supplier_submit(actor=actor, supplier=draft)
        draft.refresh_from_db()
        assert draft.status == Supplier.Status.DRAFT


def test_submit_lists_what_is_missing(owner):
    supplier = services.supplier_register(
        actor=owner, companies_house_number="01234567", name="Half Done Ltd"
    )
    with pytest.raises(DomainError) as exc:
        services.supplier_submit(actor=owner, supplier=supplier)
    assert {"summary", "size", "hq_region", "regions", "capabilities", "contact_email"} <= set(
        exc.value.message_dict
    )


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
def test_case_studies_on_a_draft(request, draft, owner, member, who, allowed):
    actor = request.getfixturevalue(who)
    fields = {"title": "Ledger move", "client_type": "public", "summary": "Moved a ledger"}
    if allowed:
        case_study = services.case_study_create(actor=actor, supplier=draft, **fields)
        services.case_study_update(actor=actor, case_study=case_study, title="Ledger moved")
        services.case_study_delete(actor=actor, case_study=case_study)
        assert not CaseStudy.objects.exists()
    else:
        with pytest.raises(PermissionDenied):
            services.case_study_create(actor=actor, supplier=draft, **fields)
        existing = factories.CaseStudyFactory(supplier=draft)
        with pytest.raises(PermissionDenied):
            services.case_study_update(actor=actor, case_study=existing, title="X")
        with pytest.raises(PermissionDenied):
            services.case_study_delete(actor=actor, case_study=existing)


def test_live_case_studies_change_only_through_a_revision(supplier, owner):
    with pytest.raises(PermissionDenied):
        services.case_study_create(
            actor=owner, supplier=supplier, title="T", client_type="public", summary="S"
        )
