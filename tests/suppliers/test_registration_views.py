"""The registration question pages, the manage page and invitation links, with the test client."""

from __future__ import annotations

import re

import pytest

from accounts.models import OutboundEmail
from suppliers.models import Capability, Region, Supplier, SupplierMembership, SupplierRevision
from tests import factories

pytestmark = pytest.mark.django_db


def test_register_through_every_page(client):
    user = factories.UserFactory()
    client.force_login(user)
    assert client.get("/suppliers/register/").status_code == 200
    response = client.post(
        # Not "12": short numbers are zero-padded (00000012) by the Companies House rule.
        "/suppliers/register/companies-house-number/",
        {"companies_house_number": "XX123456"},
    )
    assert response.status_code == 200
    assert b"govuk-error-summary" in response.content
    response = client.post(
        "/suppliers/register/companies-house-number/", {"companies_house_number": "sc 123456"}
    )
    assert response.status_code == 302
    response = client.post("/suppliers/register/name/", {"name": "Heron Data Co"})
    supplier = Supplier.objects.get(companies_house_number="SC123456")
    assert supplier.status == Supplier.Status.DRAFT
    base = f"/suppliers/{supplier.slug}/register/"
    assert response["Location"] == f"{base}website/"
    region = Region.objects.first()
    capability = Capability.objects.first() or factories.CapabilityFactory()
    answers = [
        ("website", {"website": "heron.example.co.uk"}),
        ("summary", {"summary": "Data pipelines for government"}),
        ("description", {"description": "We build data platforms."}),
        ("size", {"size": "small"}),
        ("employees", {"employees": "12"}),
        ("year-founded", {"year_founded": "2016"}),
        ("hq-region", {"hq_region": region.code}),
        ("regions", {"regions": [region.code]}),
        ("capabilities", {"capabilities": [capability.code]}),
        ("certifications", {}),
        ("frameworks", {}),
        ("contact", {"contact_email": "hello@heron.example.co.uk"}),
    ]
    for step, data in answers:
        assert client.get(f"{base}{step}/").status_code == 200, step
        response = client.post(f"{base}{step}/", data)
        assert response.status_code == 302, (step, response.content[:3000])
    tasks = client.get(base).content.decode()
    assert "Incomplete" not in tasks
    # A case study added, changed and removed one at a time.
    case = {"title": "Pipelines", "client_type": "public", "summary": "Built pipelines"}
    assert client.post(f"{base}case-studies/add/", case).status_code == 302
    assert client.post(f"{base}case-studies/0/change/", {**case, "title": "P2"}).status_code == 302
    assert supplier.case_studies.get().title == "P2"
    assert client.post(f"{base}case-studies/0/remove/").status_code == 302
    assert not supplier.case_studies.exists()
    check = client.get(f"{base}check/")
    assert b"Data pipelines for government" in check.content
    response = client.post(f"{base}check/")
    assert response.status_code == 302
    supplier.refresh_from_db()
    assert supplier.status == Supplier.Status.PENDING_REVIEW
    assert supplier.website == "https://heron.example.co.uk"


def test_a_known_number_is_refused_with_how_to_join(client, supplier):
    client.force_login(factories.UserFactory())
    response = client.post(
        "/suppliers/register/companies-house-number/",
        {"companies_house_number": supplier.companies_house_number},
    )
    assert response.status_code == 200
    assert b"Ask one of its owners to invite you" in response.content


def test_submitting_an_incomplete_draft_lists_the_problems(client, owner, supplier):
    Supplier.objects.filter(pk=supplier.pk).update(status="draft", summary="")
    client.force_login(owner)
    response = client.post(f"/suppliers/{supplier.slug}/register/check/")
    assert response.status_code == 400
    assert b"Enter a short summary" in response.content


def test_civil_servants_cannot_register(client, civil_servant):
    client.force_login(civil_servant)
    assert client.get("/suppliers/register/").status_code == 403


def test_outsiders_cannot_open_the_pages(client, supplier, other_owner):
    client.force_login(other_owner)
    assert client.get(f"/suppliers/{supplier.slug}/register/").status_code == 404
    assert client.get(f"/suppliers/{supplier.slug}/manage/").status_code == 404


def test_editing_a_live_profile_makes_a_pending_revision(client, owner, supplier):
    old = supplier.summary
    client.force_login(owner)
    response = client.post(f"/suppliers/{supplier.slug}/register/summary/", {"summary": "Newer"})
    assert response.status_code == 302
    supplier.refresh_from_db()
    assert supplier.summary == old
    assert SupplierRevision.objects.get().proposed == {"summary": "Newer"}
    page = client.get(f"/suppliers/{supplier.slug}/manage/").content.decode()
    assert "Newer" in page and old in page


def test_invite_and_accept(client, owner, supplier):
    client.force_login(owner)
    response = client.post(
        f"/suppliers/{supplier.slug}/manage/invite/",
        {"email": "colleague@example.co.uk", "role": "member"},
    )
    assert response.status_code == 302
    body = OutboundEmail.objects.get(to="colleague@example.co.uk").body
    link = re.search(r"https?://\S+/suppliers/invitations/\S+/", body).group(0)
    path = "/" + link.split("/", 3)[3]
    colleague = factories.UserFactory(email="colleague@example.co.uk")
    client.force_login(colleague)
    assert b"Accept the invitation" in client.get(path).content
    assert client.post(path).status_code == 302
    assert SupplierMembership.objects.get(user=colleague).role == "member"
    assert client.get(path).status_code == 410


def test_owners_see_decisions_members_do_not(client, owner, member, supplier, moderator):
    from suppliers import services

    services.supplier_suspend(actor=moderator, supplier=supplier, reason="Under investigation")
    client.force_login(owner)
    assert b"Under investigation" in client.get(f"/suppliers/{supplier.slug}/manage/").content
    client.force_login(member)
    page = client.get(f"/suppliers/{supplier.slug}/manage/").content
    assert b"Moderation decisions" not in page


def test_manage_page_runs_a_fixed_number_of_queries(
    client, owner, supplier, moderator, django_assert_max_num_queries
):
    from suppliers import services

    client.force_login(owner)
    url = f"/suppliers/{supplier.slug}/manage/"
    client.get(url)
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    for n in range(5):
        factories.MembershipFactory(supplier=supplier)
        services.invitation_create(actor=owner, supplier=supplier, email=f"p{n}@example.co.uk")
    services.supplier_suspend(actor=moderator, supplier=supplier, reason="A")
    services.supplier_reinstate(actor=moderator, supplier=supplier, reason="B")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_owners_change_roles_members_cannot(client, owner, member, supplier):
    membership = SupplierMembership.objects.get(user=member)
    client.force_login(member)
    mine = SupplierMembership.objects.get(user=owner)
    assert (
        client.post(
            f"/suppliers/{supplier.slug}/manage/people/{mine.pk}/role/", {"role": "member"}
        ).status_code
        == 403
    )
    client.force_login(owner)
    response = client.post(
        f"/suppliers/{supplier.slug}/manage/people/{membership.pk}/role/", {"role": "owner"}
    )
    assert response.status_code == 302
    assert SupplierMembership.objects.get(user=member).role == "owner"
    assert b"Make member" in client.get(f"/suppliers/{supplier.slug}/manage/").content


def test_the_last_owner_cannot_leave_through_the_page(client, owner, supplier):
    client.force_login(owner)
    mine = SupplierMembership.objects.get(user=owner)
    response = client.post(
        f"/suppliers/{supplier.slug}/manage/people/{mine.pk}/remove/", follow=True
    )
    assert b"only owner" in response.content
    assert SupplierMembership.objects.filter(pk=mine.pk).exists()
