"""/api/v1/my/suppliers/: the supplier's own people, and the permission cast on every write."""

from __future__ import annotations

import pytest

from suppliers.models import Region, Supplier, SupplierMembership, SupplierRevision
from tests import factories
from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db

NEW_SUPPLIER = {
    "name": "Lapwing Data Ltd",
    "companies_house_number": "SC123456",
    "size": "micro",
    "summary": "Data engineering for councils.",
    "regions": ["TLM"],
    "capabilities": ["data-engineering"],
}


@pytest.fixture
def cast(request, supplier, owner, member, other_owner, civil_servant, moderator, client_for):
    """Who → an API client acting for them, for the permission matrix."""

    def build(who: str):
        if who == "anonymous":
            return client_for(None)
        if who == "read_token":
            return client_for(owner, "read")
        if who == "other_org_write_token":
            return client_for(other_owner, "write")
        user = {
            "member": member,
            "owner": owner,
            "civil_servant": civil_servant,
            "moderator": moderator,
        }[who]
        return client_for(user, "write")

    return build


# --- reads ------------------------------------------------------------------------------------


def test_members_see_their_suppliers_whatever_the_status(supplier, owner, member, client_for):
    supplier.status = Supplier.Status.DRAFT
    supplier.contact_email = "bids@example.co.uk"
    supplier.save()
    factories.SupplierFactory()  # someone else's
    for user, role in ((owner, "owner"), (member, "member")):
        body = client_for(user, "read").get("/api/v1/my/suppliers/").json()
        assert [(r["slug"], r["status"], r["role"]) for r in body["results"]] == [
            (supplier.slug, "draft", role)
        ]
        assert body["results"][0]["contact_email"] == "bids@example.co.uk"
        detail = client_for(user, "read").get(f"/api/v1/my/suppliers/{supplier.slug}/")
        assert detail.status_code == 200


def test_outsiders_do_not_see_other_suppliers(supplier, other_owner, civil_servant, client_for):
    for user in (other_owner, civil_servant):
        client = client_for(user, "read")
        assert supplier.slug not in str(client.get("/api/v1/my/suppliers/").content)
        assert_error(client.get(f"/api/v1/my/suppliers/{supplier.slug}/"), 404)


def test_anonymous_callers_get_401(api, supplier):
    assert_error(api.get("/api/v1/my/suppliers/"), 401, "not_authenticated")


def test_moderators_see_every_supplier(supplier, moderator, client_for):
    factories.SupplierFactory.create_batch(2)
    body = client_for(moderator, "read").get("/api/v1/my/suppliers/").json()
    assert len(body["results"]) == 3
    assert {r["role"] for r in body["results"]} == {None}


def test_my_list_runs_a_fixed_number_of_queries(
    owner, supplier, client_for, django_assert_max_num_queries
):
    for _ in range(5):
        factories.MembershipFactory(user=owner, supplier=factories.SupplierFactory(), role="owner")
        factories.CaseStudyFactory.create_batch(2, supplier=Supplier.objects.last())
    client = client_for(owner, "read")
    # token lookup, its last-used time, the page, case studies, pending revisions
    with django_assert_max_num_queries(5):
        assert len(client.get("/api/v1/my/suppliers/").json()["results"]) == 6


# --- create: the permission cast ------------------------------------------------------------

CREATE_EXPECTED = {
    "anonymous": (401, "not_authenticated"),
    "read_token": (403, "token_read_only"),
    # Anyone signed in who is not a civil servant registers a new organisation (a draft).
    "other_org_write_token": (201, "draft"),
    "civil_servant": (403, "permission_denied"),
    "member": (201, "draft"),
    "owner": (201, "draft"),
    # Moderators add suppliers directly.
    "moderator": (201, None),
}


@pytest.mark.parametrize(("who", "expected"), CREATE_EXPECTED.items())
def test_create_permissions(cast, who, expected):
    response = cast(who).post("/api/v1/my/suppliers/", NEW_SUPPLIER, format="json")
    status, code = expected
    if status == 201:
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["slug"] == "lapwing-data-ltd"
        assert response["Location"] == body["url"]
        created = Supplier.objects.get(slug="lapwing-data-ltd")
        assert [r.code for r in created.regions.all()] == ["TLM"]
        if code == "draft":  # self-registration: a draft the caller owns, not public
            assert body["status"] == "draft" and body["role"] == "owner"
            assert created.status == Supplier.Status.DRAFT
            assert list(created.memberships.values_list("role", flat=True)) == [
                SupplierMembership.Role.OWNER
            ]
            assert created.history.first().history_change_reason == "Registered through the API"
        else:
            assert created.history.first().history_change_reason == "Created through the API"
    else:
        assert_error(response, status, code)
        assert not Supplier.objects.filter(slug="lapwing-data-ltd").exists()


def test_civil_servants_are_refused_before_their_body_is_read(civil_servant, client_for):
    response = client_for(civil_servant, "write").post(
        "/api/v1/my/suppliers/", {"name": 5}, format="json"
    )
    assert_error(response, 403, "permission_denied")


def test_create_validates_with_field_errors(moderator, client_for):
    client = client_for(moderator, "write")
    bad = {**NEW_SUPPLIER, "companies_house_number": "nope", "size": "huge", "regions": ["XX"]}
    error = assert_error(client.post("/api/v1/my/suppliers/", bad, format="json"), 400, "invalid")
    assert set(error["fields"]) == {"size", "regions.0", "companies_house_number"}
    # The service's own rules (here: the number is already registered) come back the same way.
    factories.SupplierFactory(companies_house_number="SC123456")
    error = assert_error(client.post("/api/v1/my/suppliers/", NEW_SUPPLIER, format="json"), 409)
    assert error["code"] == "conflict"
    assert "companies_house_number" in error["fields"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", 5),
        ("summary", True),
        ("employees", "12"),
        ("year_founded", 1999.5),
        ("regions", "TLI"),
        ("hq_region", ["TLI"]),
        ("contact_phone", 123),
    ],
)
def test_wrong_json_types_are_a_400(moderator, client_for, field, value):
    client = client_for(moderator, "write")
    response = client.post("/api/v1/my/suppliers/", {**NEW_SUPPLIER, field: value}, format="json")
    assert field in assert_error(response, 400)["fields"]


def test_nul_bytes_in_a_body_are_a_400(moderator, client_for):
    client = client_for(moderator, "write")
    for field, value in (("name", "Nul\x00Co"), ("regions", ["TL\x00I"]), ("hq_region", "\x00")):
        response = client.post(
            "/api/v1/my/suppliers/", {**NEW_SUPPLIER, field: value}, format="json"
        )
        error = assert_error(response, 400)
        assert any(key.startswith(field) for key in error["fields"]), error


@pytest.mark.parametrize("body", ["not json", '{"name": 5', "[1, 2]"])
def test_malformed_bodies_are_a_400(moderator, client_for, body):
    client = client_for(moderator, "write")
    response = client.post("/api/v1/my/suppliers/", body, content_type="application/json")
    assert_error(response, 400)


def test_a_body_that_is_not_json_is_a_415(moderator, client_for):
    response = client_for(moderator, "write").post(
        "/api/v1/my/suppliers/", "name=x", content_type="application/x-www-form-urlencoded"
    )
    assert_error(response, 415, "unsupported_media_type")


def test_session_writes_need_the_csrf_token(moderator, client_for):
    client = client_for(moderator, None)
    response = client.post("/api/v1/my/suppliers/", NEW_SUPPLIER, format="json")
    assert_error(response, 403, "permission_denied")
    assert "CSRF" in response.json()["error"]["message"]


# --- update: the permission cast ------------------------------------------------------------

UPDATE_EXPECTED = {
    "anonymous": (401, "not_authenticated"),
    "read_token": (403, "token_read_only"),
    "other_org_write_token": (404, "not_found"),
    "civil_servant": (404, "not_found"),
    # The profile is live: their edit waits for review and the live profile is unchanged.
    "member": (202, None),
    "owner": (202, None),
    "moderator": (200, None),
}


@pytest.mark.parametrize(("who", "expected"), UPDATE_EXPECTED.items())
def test_update_permissions(cast, supplier, who, expected):
    before = supplier.summary
    response = cast(who).patch(
        f"/api/v1/my/suppliers/{supplier.slug}/",
        {"summary": "Now with more cloud.", "regions": ["TLI", "TLJ"]},
        format="json",
    )
    status, code = expected
    supplier.refresh_from_db()
    if status == 200:
        assert response.status_code == 200, response.content
        assert response.json()["summary"] == "Now with more cloud."
        assert response.json()["regions"] == ["TLI", "TLJ"]
        assert supplier.summary == "Now with more cloud."
        assert set(supplier.regions.values_list("code", flat=True)) == {"TLI", "TLJ"}
        assert not supplier.revisions.exists()
    elif status == 202:
        assert response.status_code == 202, response.content
        body = response.json()
        assert body["summary"] == before
        pending = body["pending_revision"]
        assert pending["status"] == "pending"
        assert pending["proposed"]["summary"] == "Now with more cloud."
        assert supplier.summary == before
        revision = SupplierRevision.objects.get(supplier=supplier)
        assert revision.status == SupplierRevision.Status.PENDING
        assert revision.id == pending["id"]
    else:
        assert_error(response, status, code)
        assert supplier.summary == before
        assert not supplier.revisions.exists()


def test_members_change_a_draft_directly(supplier, member, client_for):
    supplier.status = Supplier.Status.DRAFT
    supplier.save()
    response = client_for(member, "write").patch(
        f"/api/v1/my/suppliers/{supplier.slug}/", {"summary": "Draft words."}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["summary"] == "Draft words."
    assert response.json()["pending_revision"] is None
    supplier.refresh_from_db()
    assert supplier.summary == "Draft words."


def test_a_registration_with_a_bad_profile_value_leaves_nothing(owner, client_for):
    client = client_for(owner, "write")
    response = client.post(
        "/api/v1/my/suppliers/", {**NEW_SUPPLIER, "summary": "x" * 251}, format="json"
    )
    assert "summary" in assert_error(response, 400)["fields"]
    factories.SupplierFactory(companies_house_number="SC123456")
    error = assert_error(client.post("/api/v1/my/suppliers/", NEW_SUPPLIER, format="json"), 409)
    assert "companies_house_number" in error["fields"]
    assert not Supplier.objects.filter(slug="lapwing-data-ltd").exists()


def test_update_validation_errors_are_a_400(supplier, moderator, client_for):
    client = client_for(moderator, "write")
    response = client.patch(
        f"/api/v1/my/suppliers/{supplier.slug}/",
        {"year_founded": "long ago", "summary": "x" * 251, "hq_region": 7},
        format="json",
    )
    error = assert_error(response, 400)
    assert {"year_founded", "summary", "hq_region"} <= set(error["fields"])


def test_put_and_delete_are_not_offered(supplier, moderator, client_for):
    client = client_for(moderator, "write")
    assert_error(client.put(f"/api/v1/my/suppliers/{supplier.slug}/", {}, format="json"), 405)
    assert_error(client.delete(f"/api/v1/my/suppliers/{supplier.slug}/"), 405)
    assert Region.objects.exists()
