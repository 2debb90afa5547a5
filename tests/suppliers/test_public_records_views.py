"""What users see of public records: public contracts on profiles, the search's public
contract filters, CPV codes as capabilities, claiming a profile from public records
(service, pages and admin action), and engagement notices published elsewhere."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from accounts.models import OutboundEmail
from core.errors import DomainError
from suppliers import services
from suppliers.filters import SupplierFilterSet
from suppliers.models import (
    AwardRecord,
    AwardSupplier,
    Capability,
    CpvCapability,
    ExternalEngagementNotice,
    Supplier,
    SupplierClaim,
    SupplierMembership,
)
from suppliers.public_records.capabilities import link_cpv_capabilities
from tests import factories
from tests.suppliers.test_selectors import make_supplier

# Persona fixtures are asked for by name (request.getfixturevalue), which pytest-django
# cannot see when it orders tests: the mark keeps these tests before the transactional ones.
pytestmark = pytest.mark.django_db

SEARCH = "/suppliers/"
_awards = itertools.count(1)


def text(response) -> str:
    return response.content.decode()


def public_supplier(name: str, number: str | None = "07654321", **fields) -> Supplier:
    """A supplier as the OCDS importer makes one: published, from public records."""
    values = {
        "name": name,
        "companies_house_number": number,
        "from_public_records": True,
        "size": "",
        "employees": None,
        "year_founded": None,
        "summary": "",
        "description": "",
        "website": "",
        **fields,
    }
    return factories.SupplierFactory(**values)


def award(
    *suppliers: Supplier,
    buyer=None,
    title: str = "Digital service",
    value: str | None = "100000",
    currency: str = "GBP",
    when: dt.datetime | None = None,
    cpv: str = "72000000",
    more_cpv: tuple[str, ...] = (),
    notice_url: str = "https://www.contractsfinder.service.gov.uk/Notice/abc",
) -> AwardRecord:
    n = next(_awards)
    record = AwardRecord.objects.create(
        ocid=f"ocds-b5fd17-{n:06d}",
        award_id=f"{n}-1",
        release_id=f"{n}-r",
        buyer=buyer,
        title=title,
        value_amount=Decimal(value) if value is not None else None,
        currency=currency if value is not None else "",
        award_date=when or timezone.make_aware(dt.datetime(2025, 1, 1) + dt.timedelta(days=n)),
        cpv_code=cpv,
        additional_cpv_codes=list(more_cpv),
        notice_url=notice_url,
        publisher="Contracts Finder",
    )
    for supplier in suppliers:
        AwardSupplier.objects.create(award=record, supplier=supplier, name_as_published="X")
    return record


@pytest.fixture
def buyers(db):
    return (
        factories.PublicBodyFactory(name="Ministry of Maps", slug="ministry-of-maps"),
        factories.PublicBodyFactory(name="Borough of Testing", slug="borough-of-testing"),
    )


@pytest.fixture
def market(db, buyers):
    """A registered supplier with one contract, one from public records with three (two
    buyers), and a registered one with none."""
    maps, borough = buyers
    registered = make_supplier(
        "Kestrel Ledger Systems",
        summary="Cloud accounting for finance teams.",
        regions=["london"],
        capabilities=["cloud-hosting"],
    )
    unclaimed = public_supplier("HERON DATA LIMITED", number="07654321")
    quiet = make_supplier("Quiet Cloud Co", summary="Cloud consulting.", regions=["london"])
    award(registered, buyer=maps, title="Ledger hosting", value="50000")
    award(unclaimed, buyer=maps, title="Data platform", value="1200000")
    award(unclaimed, buyer=maps, title="Data audit", value="30000")
    award(unclaimed, buyer=borough, title="Data training", value=None)
    return {"registered": registered, "unclaimed": unclaimed, "quiet": quiet}


# --- Profiles: public contracts ---------------------------------------------------------


def test_profile_lists_public_contracts_with_totals(client, market):
    body = text(client.get(reverse("suppliers:detail", args=[market["unclaimed"].slug])))
    assert 'id="public-contracts">Public contracts</h2>' in body
    for title in ("Data platform", "Data audit", "Data training"):
        assert title in body
    assert "Ministry of Maps" in body and "Borough of Testing" in body
    assert "£1,200,000" in body
    assert 'href="https://www.contractsfinder.service.gov.uk/Notice/abc"' in body
    totals = body.split('id="public-contract-totals"')[1].split("</dl>")[0]
    assert 'Contracts</dt><dd class="govuk-summary-list__value">3<' in totals
    assert "£1,230,000" in totals  # the award without a value is left out of the sum
    assert "2 of 3 contracts published a value in pounds" in totals
    assert 'Public bodies</dt><dd class="govuk-summary-list__value">2<' in totals
    latest = AwardRecord.objects.filter(title="Data training").get().award_date
    assert f"{latest:%-d %B %Y}" in totals
    # Most recent first.
    assert body.index("Data training") < body.index("Data audit") < body.index("Data platform")


def test_profile_without_contracts_says_so(client, market):
    body = text(client.get(reverse("suppliers:detail", args=[market["quiet"].slug])))
    assert "Public contracts</h2>" in body
    assert "No public contracts found." in body


def test_profile_query_count_does_not_grow_with_contracts(
    client, market, buyers, django_assert_max_num_queries
):
    url = reverse("suppliers:detail", args=[market["unclaimed"].slug])
    # The profile's six (supplier, regions, capabilities, certifications, frameworks,
    # case studies) plus the contract totals and the list of awards with their buyers.
    with django_assert_max_num_queries(8) as few:
        client.get(url)
    for n in range(30):
        award(market["unclaimed"], buyer=buyers[n % 2], title=f"Extra contract {n}")
    with django_assert_max_num_queries(8) as many:
        body = text(client.get(url))
    assert len(many.captured_queries) == len(few.captured_queries)
    assert "Extra contract 29" in body


def test_a_profile_shows_at_most_the_latest_fifty_awards(client, buyers):
    from suppliers.selectors import PUBLIC_CONTRACTS_SHOWN

    supplier = public_supplier("Busy Ltd", number="01111111")
    for n in range(PUBLIC_CONTRACTS_SHOWN + 2):
        award(supplier, buyer=buyers[0], title=f"Job {n:03d}")
    body = text(client.get(reverse("suppliers:detail", args=[supplier.slug])))
    assert f"The {PUBLIC_CONTRACTS_SHOWN} most recent of {PUBLIC_CONTRACTS_SHOWN + 2}" in body
    assert "Job 051" in body and "Job 000" not in body


# --- Profiles: from public records, and the claim link -----------------------------------

LABEL = "From public records: this organisation has not registered."
CLAIM = "Is this your organisation? Claim it"


@pytest.mark.parametrize(
    ("who", "offered"),
    [
        ("anonymous", True),
        ("supplier_user", True),
        ("other_owner", True),
        ("civil_servant", False),
        ("moderator", False),
    ],
)
def test_unclaimed_profile_is_labelled_and_offers_the_claim(request, client, market, who, offered):
    if who == "supplier_user":
        client.force_login(factories.UserFactory())
    elif who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    body = text(client.get(reverse("suppliers:detail", args=[market["unclaimed"].slug])))
    assert LABEL in body
    assert (CLAIM in body) is offered
    if offered:
        assert reverse("suppliers:claim_start", args=[market["unclaimed"].slug]) in body


def test_registered_profile_has_no_label_and_no_claim(client, market):
    body = text(client.get(reverse("suppliers:detail", args=[market["registered"].slug])))
    assert LABEL not in body and CLAIM not in body
    assert "Ledger hosting" in body  # a registered supplier's contracts are listed too


def test_a_waiting_claim_is_shown_to_its_claimant_instead_of_the_link(client, market):
    user = factories.UserFactory()
    services.supplier_claim_submit(
        actor=user, supplier=market["unclaimed"], companies_house_number="7654321", name="Heron"
    )
    client.force_login(user)
    body = text(client.get(reverse("suppliers:detail", args=[market["unclaimed"].slug])))
    assert "A moderator is checking your claim" in body
    assert CLAIM not in body


# --- Search --------------------------------------------------------------------------------


def _names(response) -> list[str]:
    return [r.supplier.name for r in response.context["results"]]


def test_results_show_public_contracts_and_the_public_records_tag(client, market):
    response = client.get(SEARCH, {"ordering": "name"})
    body = text(response)
    counts = {r.supplier.name: r.public_contracts for r in response.context["results"]}
    assert counts == {"HERON DATA LIMITED": 3, "Kestrel Ledger Systems": 1, "Quiet Cloud Co": 0}
    assert "3 public contracts" in body and "1 public contract<" in body
    assert '<strong class="govuk-tag govuk-tag--grey">From public records</strong>' in body


def test_suppliers_from_public_records_are_searched_by_default(client, market):
    assert "HERON DATA LIMITED" in _names(client.get(SEARCH, {"q": "heron"}))


def test_source_filter_and_its_counts(client, market):
    response = client.get(SEARCH, {"source": "registered"})
    assert set(_names(response)) == {"Kestrel Ledger Systems", "Quiet Cloud Co"}
    facets = response.context["facets"]
    # Counted ignoring the source filter itself, as every facet is.
    assert (facets["registered"], facets["public_records"]) == (2, 1)
    assert _names(client.get(SEARCH, {"source": "public_records"})) == ["HERON DATA LIMITED"]
    body = text(response)
    assert "Registered on Techmap (2)" in body and "From public records, not registered (1)" in body
    assert "Registration: Registered on Techmap" in body


def test_has_contracts_filter(client, market):
    got = _names(client.get(SEARCH, {"has_contracts": "true", "ordering": "name"}))
    assert got == ["HERON DATA LIMITED", "Kestrel Ledger Systems"]
    assert _names(client.get(SEARCH, {"has_contracts": "false"})) == ["Quiet Cloud Co"]
    # Counts honour it: the source facet counts only suppliers with contracts.
    facets = client.get(SEARCH, {"has_contracts": "true"}).context["facets"]
    assert (facets["registered"], facets["public_records"]) == (1, 1)


def test_won_from_filter_by_slug_or_name(client, market):
    got = _names(client.get(SEARCH, {"won_from": "borough-of-testing"}))
    assert got == ["HERON DATA LIMITED"]
    got = _names(client.get(SEARCH, {"won_from": "ministry of maps", "ordering": "name"}))
    assert got == ["HERON DATA LIMITED", "Kestrel Ledger Systems"]
    response = client.get(SEARCH, {"won_from": "Ministry of Maps", "q": "ledger"})
    assert _names(response) == ["Kestrel Ledger Systems"]
    assert "Won contracts from: Ministry of Maps" in text(response)


def test_bad_public_contract_filters_are_explained_not_500(client, market):
    response = client.get(
        SEARCH, {"won_from": "no-such-body", "has_contracts": "maybe", "source": "moon"}
    )
    assert response.status_code == 200
    notices = " ".join(response.context["notices"])
    assert 'We do not recognise the public body "no-such-body"' in notices
    assert 'The public contracts filter "maybe" was ignored' in notices
    assert 'The filter "moon" was ignored' in notices
    assert len(_names(response)) == 3
    # An empty box (the page's own form) is no filter and no complaint.
    response = client.get(SEARCH, {"won_from": "", "source": ""})
    assert response.context["notices"] == [] and len(_names(response)) == 3


def test_strict_filterset_refuses_unknown_public_bodies(market):
    from django.http import QueryDict

    filterset = SupplierFilterSet(QueryDict("won_from=nowhere&source=moon"), strict=True)
    assert not filterset.is_valid()
    assert set(filterset.errors) == {"won_from", "source"}
    filterset = SupplierFilterSet(QueryDict("won_from=ministry-of-maps&has_contracts=true"))
    assert {s.name for s in filterset.qs} == {"HERON DATA LIMITED", "Kestrel Ledger Systems"}


def test_clear_all_filters_drops_the_public_contract_filters(client, market):
    response = client.get(SEARCH, {"q": "data", "source": "registered", "has_contracts": "true"})
    assert response.context["clear_url"] == "?q=data"


def test_search_query_count_is_unchanged_by_public_records(
    client, market, django_assert_num_queries
):
    # The same pins as the search page's own tests: the contract counts ride on the
    # page's query, and the source facet on the scan.
    with django_assert_num_queries(3):  # reference data, the scan, the page's rows
        client.get(SEARCH, {"source": "public_records", "has_contracts": "true"})
    with django_assert_num_queries(3):
        client.get(SEARCH, {"page": "1", "source": "registered"})
    # won_from looks its public bodies up: one more, only when given.
    with django_assert_num_queries(4):
        client.get(SEARCH, {"won_from": "ministry-of-maps"})


# --- CPV codes to capabilities ---------------------------------------------------------------


def test_cpv_codes_give_suppliers_from_public_records_their_capabilities(client, market):
    cloud = Capability.objects.get(code="cloud-hosting")
    data = Capability.objects.get(code="data-engineering")
    ml = Capability.objects.get(code="machine-learning")
    CpvCapability.objects.all().delete()  # this test's table, not the seeded one
    CpvCapability.objects.create(cpv_prefix="72", capability=cloud)
    CpvCapability.objects.create(cpv_prefix="7231", capability=data)  # longer prefix wins
    CpvCapability.objects.create(cpv_prefix="48", capability=ml)
    unclaimed, registered = market["unclaimed"], market["registered"]
    award(unclaimed, cpv="72310000", more_cpv=("48000000",))
    changed = link_cpv_capabilities(supplier_ids=[unclaimed.pk, registered.pk])
    assert changed == {unclaimed.pk}
    # 72000000 (three awards) → cloud; 72310000 → data engineering, not cloud; 48 → ML.
    assert set(unclaimed.capabilities.values_list("code", flat=True)) == {
        "cloud-hosting",
        "data-engineering",
        "machine-learning",
    }
    # A registered supplier's capabilities are its own.
    assert set(registered.capabilities.values_list("code", flat=True)) == {"cloud-hosting"}
    assert link_cpv_capabilities(supplier_ids=[unclaimed.pk]) == set()  # idempotent
    services.refresh_search_vectors(supplier_ids=changed)
    got = _names(client.get(SEARCH, {"capability": "data-engineering"}))
    assert got == ["HERON DATA LIMITED"]
    # A moderator removes a mapping: the capability goes with it.
    CpvCapability.objects.filter(capability=ml).delete()
    assert link_cpv_capabilities() == {unclaimed.pk}
    assert "machine-learning" not in unclaimed.capabilities.values_list("code", flat=True)


def test_editing_the_cpv_table_in_admin_updates_suppliers(client, market, moderator):
    client.force_login(moderator)
    ml = Capability.objects.get(code="machine-learning")
    response = client.post(
        reverse("admin:suppliers_cpvcapability_add"),
        {"cpv_prefix": "72", "capability": ml.pk, "note": ""},
    )
    assert response.status_code == 302
    unclaimed = Supplier.objects.get(pk=market["unclaimed"].pk)
    assert ml.pk in unclaimed.capability_ids
    assert ml.pk not in Supplier.objects.get(pk=market["quiet"].pk).capability_ids


# --- The claim service ----------------------------------------------------------------------


@pytest.fixture
def unclaimed(market):
    return market["unclaimed"]


@pytest.fixture
def claimant(db):
    return factories.UserFactory(email="founder@heron.example.co.uk")


@pytest.fixture
def claim(unclaimed, claimant):
    return services.supplier_claim_submit(
        actor=claimant, supplier=unclaimed, companies_house_number="7654321", name="Heron Data Ltd"
    )


def test_a_claim_is_submitted_with_the_number_normalised(claim, unclaimed):
    assert claim.status == SupplierClaim.Status.PENDING
    assert claim.companies_house_number == "07654321"
    unclaimed.refresh_from_db()
    assert unclaimed.from_public_records and unclaimed.claimed_at is None
    assert not SupplierMembership.objects.filter(supplier=unclaimed).exists()


@pytest.mark.parametrize("who", ["anonymous", "civil_servant", "moderator"])
def test_who_may_not_claim(request, unclaimed, who):
    actor = AnonymousUser() if who == "anonymous" else request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        services.supplier_claim_submit(
            actor=actor, supplier=unclaimed, companies_house_number="07654321", name="Heron"
        )
    assert not SupplierClaim.objects.exists()


def test_a_user_of_another_supplier_may_claim_too(unclaimed, other_owner):
    claim = services.supplier_claim_submit(
        actor=other_owner, supplier=unclaimed, companies_house_number="07654321", name="Heron"
    )
    assert claim.claimant == other_owner


def test_registered_suppliers_cannot_be_claimed(market, claimant):
    with pytest.raises(PermissionDenied):
        services.supplier_claim_submit(
            actor=claimant,
            supplier=market["registered"],
            companies_house_number=market["registered"].companies_house_number,
            name="Mine",
        )


def test_claim_refusals(unclaimed, claimant, claim, market):
    with pytest.raises(DomainError) as error:
        services.supplier_claim_submit(
            actor=factories.UserFactory(),
            supplier=unclaimed,
            companies_house_number="01234567",
            name="Heron",
        )
    assert "different Companies House number" in str(error.value.message_dict)
    with pytest.raises(DomainError) as error:
        services.supplier_claim_submit(
            actor=claimant, supplier=unclaimed, companies_house_number="07654321", name="Heron"
        )
    assert "already claimed" in " ".join(error.value.messages)
    with pytest.raises(DomainError):
        services.supplier_claim_submit(
            actor=factories.UserFactory(),
            supplier=unclaimed,
            companies_house_number="07654321",
            name="  ",
        )


def test_a_supplier_without_a_number_is_claimed_with_a_free_one(market, claimant, moderator):
    nameless = public_supplier("Wren Analytics", number=None)
    taken = market["registered"].companies_house_number
    with pytest.raises(DomainError) as error:
        services.supplier_claim_submit(
            actor=claimant, supplier=nameless, companies_house_number=taken, name="Wren"
        )
    assert "already on Techmap" in str(error.value.message_dict)
    claim = services.supplier_claim_submit(
        actor=claimant, supplier=nameless, companies_house_number="SC123456", name="Wren"
    )
    services.supplier_claim_approve(actor=moderator, claim=claim)
    nameless.refresh_from_db()
    assert nameless.companies_house_number == "SC123456"


@pytest.mark.parametrize("who", ["claimant", "other_owner", "civil_servant", "anonymous"])
def test_only_moderators_decide_claims(request, claim, who):
    actor = AnonymousUser() if who == "anonymous" else request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        services.supplier_claim_approve(actor=actor, claim=claim)
    with pytest.raises(PermissionDenied):
        services.supplier_claim_reject(actor=actor, claim=claim, reason="No")
    claim.refresh_from_db()
    assert claim.status == SupplierClaim.Status.PENDING


def test_approval_makes_the_same_row_registered_and_keeps_its_contracts(
    claim, unclaimed, claimant, moderator
):
    rival = services.supplier_claim_submit(
        actor=factories.UserFactory(email="rival@example.co.uk"),
        supplier=unclaimed,
        companies_house_number="07654321",
        name="Heron",
    )
    awards_before = set(unclaimed.award_links.values_list("award_id", flat=True))
    supplier = services.supplier_claim_approve(actor=moderator, claim=claim)
    assert supplier.pk == unclaimed.pk
    supplier.refresh_from_db()
    assert supplier.from_public_records is False
    assert supplier.claimed_at is not None
    assert supplier.name == "Heron Data Ltd"
    assert supplier.status == Supplier.Status.PUBLISHED
    assert set(supplier.award_links.values_list("award_id", flat=True)) == awards_before
    assert SupplierMembership.objects.get(supplier=supplier).user == claimant
    assert SupplierMembership.objects.get(supplier=supplier).role == "owner"
    claim.refresh_from_db()
    rival.refresh_from_db()
    assert (claim.status, claim.decided_by) == ("approved", moderator)
    assert rival.status == "rejected" and "Another claim" in rival.reason
    assert supplier.history.first().history_change_reason.startswith("Claimed from public")
    subjects = set(OutboundEmail.objects.values_list("to", "subject"))
    assert (claimant.email, "Heron Data Ltd: your claim is approved") in subjects
    assert ("rival@example.co.uk", "Heron Data Ltd: your claim was not approved") in subjects
    # Approving again, or a claim to what is now registered, is refused.
    with pytest.raises(DomainError):
        services.supplier_claim_approve(actor=moderator, claim=claim)
    with pytest.raises(PermissionDenied):
        services.supplier_claim_submit(
            actor=factories.UserFactory(),
            supplier=supplier,
            companies_house_number="07654321",
            name="Heron",
        )


def test_the_claimant_can_now_edit_and_the_search_knows(client, claim, claimant, moderator):
    supplier = services.supplier_claim_approve(actor=moderator, claim=claim)
    client.force_login(claimant)
    assert client.get(reverse("suppliers:register_tasks", args=[supplier.slug])).status_code == 200
    assert _names(client.get(SEARCH, {"source": "registered", "q": "heron"})) == ["Heron Data Ltd"]
    body = text(client.get(reverse("suppliers:detail", args=[supplier.slug])))
    assert LABEL not in body and "Data platform" in body


def test_rejection_needs_a_reason_and_leaves_the_supplier_claimable(
    claim, unclaimed, claimant, moderator
):
    with pytest.raises(DomainError):
        services.supplier_claim_reject(actor=moderator, claim=claim, reason=" ")
    services.supplier_claim_reject(actor=moderator, claim=claim, reason="Number not yours")
    claim.refresh_from_db()
    assert claim.status == "rejected" and claim.reason == "Number not yours"
    unclaimed.refresh_from_db()
    assert unclaimed.from_public_records
    again = services.supplier_claim_submit(
        actor=claimant, supplier=unclaimed, companies_house_number="07654321", name="Heron"
    )
    assert again.status == "pending"


def test_only_the_claimant_withdraws(claim, other_owner, moderator, claimant):
    for actor in (other_owner, moderator, AnonymousUser()):
        with pytest.raises(PermissionDenied):
            services.supplier_claim_withdraw(actor=actor, claim=claim)
    services.supplier_claim_withdraw(actor=claimant, claim=claim)
    claim.refresh_from_db()
    assert claim.status == "withdrawn"
    with pytest.raises(DomainError):
        services.supplier_claim_withdraw(actor=claimant, claim=claim)


# --- The claim pages -------------------------------------------------------------------------


def test_claim_journey_is_pre_filled_and_sends_the_claim(client, unclaimed, claimant):
    client.force_login(claimant)
    start = text(client.get(reverse("suppliers:claim_start", args=[unclaimed.slug])))
    assert "Claim this organisation" in start and "Start now" in start
    number_url = reverse("suppliers:claim_number", args=[unclaimed.slug])
    assert 'value="07654321"' in text(client.get(number_url))
    # A number that is not the record's is refused beside the field.
    response = client.post(number_url, {"companies_house_number": "01234567"})
    assert "different Companies House number" in text(response)
    response = client.post(number_url, {"companies_house_number": "7654321"})
    assert response.url == reverse("suppliers:claim_name", args=[unclaimed.slug])
    assert 'value="HERON DATA LIMITED"' in text(client.get(response.url))
    response = client.post(response.url, {"name": "Heron Data Ltd"})
    assert response.url == reverse("suppliers:claim_check", args=[unclaimed.slug])
    check = text(client.get(response.url))
    assert "07654321" in check and "Heron Data Ltd" in check
    response = client.post(reverse("suppliers:claim_check", args=[unclaimed.slug]))
    assert response.url == reverse("suppliers:claim_submitted", args=[unclaimed.slug])
    assert "Claim sent" in text(client.get(response.url))
    claim = SupplierClaim.objects.get()
    assert (claim.claimant, claim.name, claim.companies_house_number) == (
        claimant,
        "Heron Data Ltd",
        "07654321",
    )
    # Sending twice shows the refusal on the check page, not a 500.
    response = client.post(reverse("suppliers:claim_check", args=[unclaimed.slug]))
    assert response.status_code == 400 and "already claimed" in text(response)


def test_claim_pages_for_each_persona(client, unclaimed, civil_servant, moderator, other_owner):
    slug = unclaimed.slug
    pages = [
        reverse(name, args=[slug])
        for name in ("suppliers:claim_number", "suppliers:claim_name", "suppliers:claim_check")
    ]
    # Anonymous: the start page, then sign in.
    assert client.get(reverse("suppliers:claim_start", args=[slug])).status_code == 200
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response.url
    for user in (civil_servant, moderator):
        client.force_login(user)
        start = text(client.get(reverse("suppliers:claim_start", args=[slug])))
        assert "Only a supplier account can claim" in start and "Start now" not in start
        for url in pages:
            assert client.get(url).status_code == 403
        assert client.post(pages[2]).status_code == 403
    client.force_login(other_owner)
    assert client.get(pages[0]).status_code == 200
    assert not SupplierClaim.objects.exists()


def test_someone_elses_claim_is_not_shown(client, claim, unclaimed, other_owner, moderator):
    url = reverse("suppliers:claim_submitted", args=[unclaimed.slug])
    client.force_login(other_owner)
    assert client.get(url).status_code == 404
    client.force_login(claim.claimant)
    assert "waiting for a moderator" in text(client.get(url))


def test_a_registered_supplier_has_no_claim_pages(client, market, claimant):
    client.force_login(claimant)
    slug = market["registered"].slug
    assert client.get(reverse("suppliers:claim_start", args=[slug])).status_code == 404
    assert client.get(reverse("suppliers:claim_number", args=[slug])).status_code == 404


def test_moderator_approves_and_rejects_in_admin(client, claim, unclaimed, moderator, claimant):
    other = services.supplier_claim_submit(
        actor=factories.UserFactory(),
        supplier=public_supplier("Wren Analytics", number="01010101"),
        companies_house_number="01010101",
        name="Wren",
    )
    client.force_login(moderator)
    changelist = reverse("admin:suppliers_supplierclaim_changelist")
    body = text(client.get(changelist))
    assert "HERON DATA LIMITED" in body and "07654321" in body
    client.post(changelist, {"action": "reject_claims", "_selected_action": [other.pk]})
    other.refresh_from_db()
    assert other.status == "pending"  # the reason page first
    client.post(
        changelist,
        {"action": "reject_claims", "_selected_action": [other.pk], "reason": "Not yours"},
    )
    other.refresh_from_db()
    assert (other.status, other.reason) == ("rejected", "Not yours")
    response = client.post(changelist, {"action": "approve_claims", "_selected_action": [claim.pk]})
    assert response.status_code == 302
    unclaimed.refresh_from_db()
    assert not unclaimed.from_public_records
    assert SupplierMembership.objects.filter(supplier=unclaimed, user=claimant).exists()


def test_claims_admin_is_for_moderators_only(client, claim, civil_servant, claimant):
    changelist = reverse("admin:suppliers_supplierclaim_changelist")
    for user in (civil_servant, claimant):
        client.force_login(user)
        assert client.get(changelist).status_code in (302, 403)


# --- Engagement: notices published elsewhere ---------------------------------------------------


@pytest.fixture
def notices(buyers):
    now = timezone.now()
    made = []
    for n, (title, closes) in enumerate(
        [
            ("Market sounding: mapping data", now + dt.timedelta(days=10)),
            ("Early talk about bridges", None),
            ("Closed sounding on parking", now - dt.timedelta(days=3)),
        ]
    ):
        made.append(
            ExternalEngagementNotice.objects.create(
                ocid=f"ocds-b5fd17-notice-{n}",
                release_id=f"n{n}",
                buyer=buyers[n % 2],
                title=title,
                description="Tell us what the market can do.",
                notice_url=f"https://www.contractsfinder.service.gov.uk/Notice/n{n}",
                published_at=now - dt.timedelta(days=n),
                closes_at=closes,
                publisher="Contracts Finder",
            )
        )
    return made


def _notice_titles(response) -> list[str]:
    return [n.title for n in response.context["notices"]]


def test_engagement_list_shows_notices_published_elsewhere(client, notices):
    response = client.get("/engagement/")
    body = text(response)
    assert _notice_titles(response) == ["Market sounding: mapping data", "Early talk about bridges"]
    assert "Published on Contracts Finder" in body
    assert 'href="https://www.contractsfinder.service.gov.uk/Notice/n0"' in body
    assert "2 notices published elsewhere" in body
    assert _notice_titles(client.get("/engagement/?status=closed")) == [
        "Closed sounding on parking"
    ]
    assert len(_notice_titles(client.get("/engagement/?status=all"))) == 3
    got = client.get("/engagement/?status=all&public_body=borough-of-testing")
    assert _notice_titles(got) == ["Early talk about bridges"]
    assert _notice_titles(client.get("/engagement/?q=bridges")) == ["Early talk about bridges"]
    assert _notice_titles(client.get("/engagement/?q=-bridges")) == [
        "Market sounding: mapping data"
    ]


def test_engagement_list_query_count_does_not_grow_with_notices(
    client, notices, buyers, django_assert_max_num_queries
):
    with django_assert_max_num_queries(14) as few:
        client.get("/engagement/?status=all")
    for n in range(25):
        ExternalEngagementNotice.objects.create(
            ocid=f"ocds-more-{n}",
            release_id="r",
            buyer=buyers[n % 2],
            title=f"More {n}",
            published_at=timezone.now(),
        )
    with django_assert_max_num_queries(14) as many:
        response = client.get("/engagement/?status=all")
    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(response.context["notices"]) == 20  # a page; the rest on notices_page=2
    assert len(_notice_titles(client.get("/engagement/?status=all&notices_page=2"))) == 8
