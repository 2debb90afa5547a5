"""suppliers.services: slugs, search vectors, history, and who may call each write."""

from __future__ import annotations

import pytest
from django.contrib.postgres.search import SearchQuery
from django.core.exceptions import PermissionDenied

from core.errors import DomainError
from suppliers import services
from suppliers.models import Capability, CaseStudy, Region, Supplier, SupplierMembership
from tests import factories
from tests.suppliers.id_arrays import assert_id_arrays_match_links

pytestmark = pytest.mark.django_db

CAST = ["owner", "member", "other_owner", "civil_servant", "anonymous"]


def _fields(**overrides):
    fields = {
        "name": "Kestrel Ledger Systems",
        "companies_house_number": "09876543",
        "size": Supplier.Size.SMALL,
        "summary": "Finance platforms for councils",
        "description": "Our engineers modernise legacy ledgers",
        "status": Supplier.Status.PUBLISHED,
    }
    fields.update(overrides)
    return fields


def _matches(supplier: Supplier, raw_query: str) -> bool:
    """True when the stored vector matches a raw tsquery such as 'kestrel:A'."""
    return Supplier.objects.filter(
        pk=supplier.pk,
        search_vector=SearchQuery(raw_query, search_type="raw", config="english"),
    ).exists()


# --- slugs ---------------------------------------------------------------------------


def test_slug_is_made_from_the_name():
    assert services.slug_for("Kestrel Ledger Systems") == "kestrel-ledger-systems"
    assert services.slug_for("  Ørsted & Co. (UK) Ltd ") == "rsted-co-uk-ltd"
    assert services.slug_for("!!!") == "supplier"


def test_slug_gets_a_suffix_only_when_taken():
    first = services.supplier_create(actor=None, **_fields())
    second = services.supplier_create(actor=None, **_fields(companies_house_number="SC123456"))
    third = services.supplier_create(actor=None, **_fields(companies_house_number="NI123456"))
    assert [first.slug, second.slug, third.slug] == [
        "kestrel-ledger-systems",
        "kestrel-ledger-systems-2",
        "kestrel-ledger-systems-3",
    ]
    # The supplier being saved does not count against itself.
    assert services.slug_for("Kestrel Ledger Systems", exclude_pk=first.pk) == first.slug


def test_a_longer_slug_with_the_same_start_does_not_take_the_name():
    factories.SupplierFactory(slug="acme-labs")
    factories.SupplierFactory(slug="acme-2020")  # not "acme" plus a suffix we would make
    assert services.slug_for("Acme") == "acme"


def test_a_freed_suffix_is_reused_and_long_names_fit():
    factories.SupplierFactory(slug="acme")
    factories.SupplierFactory(slug="acme-3")
    assert services.slug_for("ACME") == "acme-2"
    long_slug = services.slug_for("x" * 300)
    assert len(long_slug) <= Supplier._meta.get_field("slug").max_length


def test_slug_stays_when_the_name_changes(moderator):
    supplier = services.supplier_create(actor=moderator, **_fields())
    updated = services.supplier_update(
        actor=moderator, supplier=supplier, name="Kestrel Ledger Group"
    )
    assert updated.name == "Kestrel Ledger Group"
    assert updated.slug == "kestrel-ledger-systems"


# --- search vector -------------------------------------------------------------------


def test_search_vector_weights():
    cloud = Capability.objects.get(name="Cloud migration")
    supplier = services.supplier_create(actor=None, capabilities=[cloud], **_fields())
    services.case_study_create(
        actor=None,
        supplier=supplier,
        title="Payroll overhaul",
        client_type=CaseStudy.ClientType.PUBLIC,
        client_name="Tewkesbury Borough Council",
        summary="A new system",
        outcome="Halved turnaround",
    )
    # name: A
    assert _matches(supplier, "kestrel:A")
    assert not _matches(supplier, "kestrel:BCD")
    # summary and capability names: B
    assert _matches(supplier, "council:B")
    assert _matches(supplier, "migration:B")
    assert not _matches(supplier, "migration:ACD")
    # description and case studies (title, client, summary, outcome): C
    assert _matches(supplier, "modernise:C")
    assert _matches(supplier, "payroll:C")
    assert _matches(supplier, "tewkesbury:C")
    assert _matches(supplier, "halved:C")
    assert not _matches(supplier, "payroll:AB")


def test_name_is_indexed_unstemmed_too_for_exact_names():
    supplier = services.supplier_create(actor=None, **_fields(name="Tay IT"))
    simple = SearchQuery("it", search_type="plain", config="simple")
    assert Supplier.objects.filter(pk=supplier.pk, search_vector=simple).exists()
    # English drops "it" as a stop word, so only the 'simple' lexeme can match it.
    assert not _matches(supplier, "it:BCD")


def test_refresh_follows_capabilities_and_case_studies(moderator):
    supplier = services.supplier_create(actor=moderator, **_fields())
    assert not _matches(supplier, "quantum")
    quantum = Capability.objects.get(name="Quantum computing")
    services.supplier_update(actor=moderator, supplier=supplier, capabilities=[quantum])
    assert _matches(supplier, "quantum:B")
    services.supplier_update(actor=moderator, supplier=supplier, capabilities=[])
    assert not _matches(supplier, "quantum")
    study = services.case_study_create(
        actor=moderator,
        supplier=supplier,
        title="Telescope scheduling",
        client_type=CaseStudy.ClientType.PRIVATE,
        summary="Scheduling",
    )
    assert _matches(supplier, "telescope:C")
    services.case_study_update(actor=moderator, case_study=study, title="Rota planning")
    assert not _matches(supplier, "telescope")
    assert _matches(supplier, "rota:C")
    services.case_study_delete(actor=moderator, case_study=study)
    assert not _matches(supplier, "rota")


def test_refresh_all_and_by_ids_is_repeatable():
    first = services.supplier_create(actor=None, **_fields())
    other = factories.SupplierFactory(name="Northgate Data Works", search_index=False)
    assert other.search_vector is None  # written without the service
    services.refresh_search_vectors(supplier_ids=[other.pk])
    other.refresh_from_db()
    assert "northgat" in str(other.search_vector)
    before = Supplier.objects.get(pk=first.pk).search_vector
    services.refresh_search_vectors()
    services.refresh_search_vectors(supplier_ids=[])
    assert Supplier.objects.get(pk=first.pk).search_vector == before


def test_id_arrays_follow_every_write_of_the_links(moderator):
    london, wales = Region.objects.filter(slug__in=["london", "wales"]).order_by("pk")
    quantum = Capability.objects.get(name="Quantum computing")
    blockchain = Capability.objects.get(name="Blockchain")
    certification = factories.CertificationFactory()
    framework = factories.FrameworkFactory()
    supplier = services.supplier_create(
        actor=moderator,
        regions=[wales, london],
        capabilities=[quantum, blockchain],
        certifications=[certification],
        frameworks=[framework],
        **_fields(),
    )
    supplier.refresh_from_db()
    assert supplier.region_ids == sorted([london.pk, wales.pk])
    assert supplier.certification_ids == [certification.pk]
    services.supplier_update(
        actor=moderator, supplier=supplier, regions=[wales], capabilities=[blockchain]
    )
    supplier.refresh_from_db()
    assert (supplier.region_ids, supplier.capability_ids) == ([wales.pk], [blockchain.pk])
    services.reference_item_delete(actor=moderator, item=certification)
    services.reference_item_delete(actor=moderator, item=framework)
    supplier.refresh_from_db()
    assert supplier.certification_ids == [] and supplier.framework_ids == []
    assert assert_id_arrays_match_links() == 1


def test_renaming_a_capability_refreshes_its_suppliers(moderator):
    capability = Capability.objects.get(name="Blockchain")
    supplier = services.supplier_create(actor=None, capabilities=[capability], **_fields())
    capability.name = "Distributed ledgers"
    services.reference_item_save(actor=moderator, item=capability, change_reason="Renamed")
    assert _matches(supplier, "distributed:B")
    assert not _matches(supplier, "blockchain")
    assert capability.history.first().history_user == moderator


# --- create, update, history ---------------------------------------------------------


def test_create_records_one_history_row_with_links(moderator):
    regions = list(Region.objects.filter(code__in=["TLI", "TLM"]))
    supplier = services.supplier_create(
        actor=moderator, change_reason="Added in admin", regions=regions, **_fields()
    )
    assert supplier.companies_house_number == "09876543"
    assert supplier.published_at is not None
    history = list(supplier.history.all())
    assert len(history) == 1
    record = history[0]
    assert record.history_type == "+"
    assert record.history_user == moderator
    assert record.history_change_reason == "Added in admin"
    assert sorted(record.regions.values_list("region_id", flat=True)) == sorted(
        r.pk for r in regions
    )


def test_create_normalises_the_companies_house_number():
    supplier = services.supplier_create(actor=None, **_fields(companies_house_number=" sc123456 "))
    assert supplier.companies_house_number == "SC123456"


def test_invalid_create_raises_field_errors_and_writes_nothing():
    with pytest.raises(DomainError) as error:
        services.supplier_create(
            actor=None,
            # Not "1234": short numbers are zero-padded (00001234) by the Companies House rule.
            **_fields(companies_house_number="XX1234", size="enormous", summary="x" * 251),
        )
    assert set(error.value.message_dict) == {"companies_house_number", "size", "summary"}
    assert not Supplier.objects.exists()
    assert not Supplier.history.exists()


def test_duplicate_companies_house_number_is_a_field_error():
    services.supplier_create(actor=None, **_fields())
    with pytest.raises(DomainError) as error:
        services.supplier_create(actor=None, **_fields(name="Someone else"))
    assert "companies_house_number" in error.value.message_dict
    assert Supplier.objects.count() == 1


def test_unknown_fields_are_a_programming_error():
    with pytest.raises(TypeError):
        services.supplier_create(actor=None, slug="chosen", **_fields())


def test_update_records_who_and_why_and_only_real_changes(moderator):
    supplier = services.supplier_create(actor=None, **_fields())
    updated = services.supplier_update(
        actor=moderator, supplier=supplier, summary="Now with payroll", change_reason="Typo"
    )
    assert updated.history.count() == 2
    latest = updated.history.first()
    assert (latest.history_type, latest.history_user, latest.history_change_reason) == (
        "~",
        moderator,
        "Typo",
    )
    assert latest.summary == "Now with payroll"
    # Same values again: no history, updated_at untouched.
    again = services.supplier_update(actor=moderator, supplier=updated, summary="Now with payroll")
    assert again.history.count() == 2
    assert again.updated_at == updated.updated_at


def test_update_of_links_alone_is_recorded(moderator):
    supplier = services.supplier_create(actor=None, **_fields())
    london = Region.objects.get(code="TLI")
    updated = services.supplier_update(actor=moderator, supplier=supplier, regions=[london])
    assert updated.history.count() == 2
    assert list(updated.history.first().regions.values_list("region_id", flat=True)) == [london.pk]
    assert updated.updated_at > supplier.updated_at


def test_invalid_update_changes_nothing(moderator):
    supplier = services.supplier_create(actor=None, **_fields())
    with pytest.raises(DomainError):
        services.supplier_update(actor=moderator, supplier=supplier, website="not a url")
    supplier.refresh_from_db()
    assert supplier.website == ""
    assert supplier.history.count() == 1


def test_publishing_sets_published_at(moderator):
    supplier = services.supplier_create(actor=None, **_fields(status=Supplier.Status.DRAFT))
    assert supplier.published_at is None
    updated = services.supplier_update(
        actor=moderator, supplier=supplier, status=Supplier.Status.PUBLISHED
    )
    assert updated.published_at is not None


# --- who may call what ---------------------------------------------------------------


@pytest.mark.parametrize("who", CAST)
def test_only_moderators_create_suppliers(request, who):
    with pytest.raises(PermissionDenied):
        services.supplier_create(actor=request.getfixturevalue(who), **_fields())
    assert not Supplier.objects.filter(companies_house_number="09876543").exists()


def test_moderator_creates_supplier(moderator):
    assert services.supplier_create(actor=moderator, **_fields()).pk


@pytest.mark.parametrize("who", CAST)
def test_only_moderators_update_suppliers_directly(request, supplier, who):
    # Owners and members edit through a pending revision (supplier_profile_update).
    with pytest.raises(PermissionDenied):
        services.supplier_update(
            actor=request.getfixturevalue(who), supplier=supplier, name="Hijacked"
        )
    supplier.refresh_from_db()
    assert supplier.name != "Hijacked"


def test_moderator_updates_supplier(supplier, moderator):
    assert services.supplier_update(actor=moderator, supplier=supplier, name="New").name == "New"


@pytest.mark.parametrize("who", CAST)
def test_only_moderators_change_case_studies_directly(request, supplier, who):
    actor = request.getfixturevalue(who)
    study = factories.CaseStudyFactory(supplier=supplier)
    with pytest.raises(PermissionDenied):
        services.case_study_create(
            actor=actor, supplier=supplier, title="T", client_type="public", summary="S"
        )
    with pytest.raises(PermissionDenied):
        services.case_study_update(actor=actor, case_study=study, title="Changed")
    with pytest.raises(PermissionDenied):
        services.case_study_delete(actor=actor, case_study=study)
    assert CaseStudy.objects.filter(pk=study.pk, supplier=supplier).exclude(title="Changed")


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
def test_adding_members(request, supplier, owner, who, allowed):
    actor = request.getfixturevalue(who)
    newcomer = factories.UserFactory()
    if allowed:
        membership = services.supplier_member_add(
            actor=actor, supplier=supplier, user=newcomer, role="member"
        )
        assert membership.history.first().history_user == actor
    else:
        with pytest.raises(PermissionDenied):
            services.supplier_member_add(
                actor=actor, supplier=supplier, user=newcomer, role="member"
            )
        assert not SupplierMembership.objects.filter(user=newcomer).exists()


def test_the_last_owner_cannot_be_removed(supplier, owner, member, moderator):
    owner_membership = SupplierMembership.objects.get(supplier=supplier, user=owner)
    with pytest.raises(DomainError):
        services.supplier_member_remove(actor=moderator, membership=owner_membership)
    services.supplier_member_add(actor=moderator, supplier=supplier, user=member, role="owner")
    services.supplier_member_remove(actor=moderator, membership=owner_membership)
    assert list(supplier.memberships.values_list("user", "role")) == [(member.pk, "owner")]


def test_a_bad_role_is_refused(supplier, moderator):
    with pytest.raises(DomainError):
        services.supplier_member_add(
            actor=moderator, supplier=supplier, user=factories.UserFactory(), role="boss"
        )


@pytest.mark.parametrize("who", [*CAST])
def test_only_moderators_change_the_taxonomy(request, who):
    capability = Capability.objects.get(name="Blockchain")
    capability.name = "Chain of blocks"
    with pytest.raises(PermissionDenied):
        services.reference_item_save(actor=request.getfixturevalue(who), item=capability)
    assert Capability.objects.filter(name="Blockchain").exists()


@pytest.mark.parametrize("who", [*CAST])
def test_only_moderators_delete_from_the_taxonomy(request, who):
    capability = Capability.objects.get(name="Blockchain")
    with pytest.raises(PermissionDenied):
        services.reference_item_delete(actor=request.getfixturevalue(who), item=capability)
    assert Capability.objects.filter(pk=capability.pk).exists()


def test_a_group_with_capabilities_cannot_be_deleted(moderator):
    group = Capability.objects.get(name="Blockchain").group
    with pytest.raises(DomainError):
        services.reference_item_delete(actor=moderator, item=group)
