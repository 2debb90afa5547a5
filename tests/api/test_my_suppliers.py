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
    # Too long: a stable code, and a message that gives the limit.
    assert assert_error(response, 400)["fields"]["summary"] == [
        {"code": "max_length", "message": "Ensure this field has no more than 250 characters."}
    ]
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


# --- one edit rule for web, API and admin ------------------------------------------------------


def test_a_moderator_edit_has_the_same_outcome_on_the_web_and_in_the_api(
    supplier, moderator, client, client_for
):
    """The defect: on the web a moderator's edit of a live profile waited for review as a
    revision, while the API applied it at once. One service decides now: it goes live."""
    assert supplier.status == Supplier.Status.PUBLISHED
    client.force_login(moderator)
    web = client.post(
        f"/suppliers/{supplier.slug}/register/summary/", {"summary": "Edited on the web."}
    )
    assert web.status_code == 302
    supplier.refresh_from_db()
    web_outcome = (supplier.summary, supplier.revisions.count())
    api = client_for(moderator, "write").patch(
        f"/api/v1/my/suppliers/{supplier.slug}/", {"summary": "Edited in the API."}, format="json"
    )
    assert api.status_code == 200, api.content
    supplier.refresh_from_db()
    api_outcome = (supplier.summary, supplier.revisions.count())
    assert web_outcome == ("Edited on the web.", 0)
    assert api_outcome == ("Edited in the API.", 0)


def test_an_owner_edit_has_the_same_outcome_on_the_web_and_in_the_api(
    supplier, owner, client, client_for
):
    before = supplier.summary
    client.force_login(owner)
    client.post(f"/suppliers/{supplier.slug}/register/summary/", {"summary": "Web."})
    assert SupplierRevision.objects.get(supplier=supplier).proposed == {"summary": "Web."}
    response = client_for(owner, "write").patch(
        f"/api/v1/my/suppliers/{supplier.slug}/", {"summary": "API."}, format="json"
    )
    assert response.status_code == 202
    assert SupplierRevision.objects.get(supplier=supplier).proposed == {"summary": "API."}
    supplier.refresh_from_db()
    assert supplier.summary == before


# --- submit -------------------------------------------------------------------------------------

SUBMIT_EXPECTED = {
    "anonymous": (401, "not_authenticated"),
    "read_token": (403, "token_read_only"),
    "other_org_write_token": (404, "not_found"),
    "civil_servant": (404, "not_found"),
    "member": (200, None),
    "owner": (200, None),
    "moderator": (403, "permission_denied"),  # moderators decide; they do not submit
}


def _ready_draft(supplier):
    supplier.status = Supplier.Status.DRAFT
    supplier.summary = "Data engineering."
    supplier.contact_email = "bids@example.co.uk"
    supplier.hq_region = Region.objects.get(code="TLI")
    supplier.save()
    supplier.regions.set([supplier.hq_region])
    supplier.capabilities.set([factories.CapabilityFactory()])


@pytest.mark.parametrize(("who", "expected"), SUBMIT_EXPECTED.items())
def test_submit_permissions(cast, supplier, who, expected):
    _ready_draft(supplier)
    response = cast(who).post(f"/api/v1/my/suppliers/{supplier.slug}/submit/")
    status, code = expected
    supplier.refresh_from_db()
    if status == 200:
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "pending_review"
        assert supplier.status == Supplier.Status.PENDING_REVIEW
    else:
        assert_error(response, status, code)
        assert supplier.status == Supplier.Status.DRAFT


def test_submit_lists_what_is_missing(supplier, owner, client_for):
    supplier.status = Supplier.Status.DRAFT
    supplier.summary = ""
    supplier.save()
    response = client_for(owner, "write").post(f"/api/v1/my/suppliers/{supplier.slug}/submit/")
    assert {"summary", "regions", "capabilities"} <= set(assert_error(response, 400)["fields"])


def test_submitting_a_live_profile_is_a_conflict_with_its_state(supplier, owner, client_for):
    response = client_for(owner, "write").post(f"/api/v1/my/suppliers/{supplier.slug}/submit/")
    assert "already live" in assert_error(response, 409, "conflict")["message"]
    supplier.refresh_from_db()
    assert supplier.status == Supplier.Status.PUBLISHED


# --- case studies -------------------------------------------------------------------------------

CASE_STUDY = {"title": "Parking permits", "client_type": "public", "summary": "Went live."}
CASE_EXPECTED = {
    "anonymous": (401, "not_authenticated"),
    "read_token": (403, "token_read_only"),
    "other_org_write_token": (404, "not_found"),
    "civil_servant": (404, "not_found"),
    # The profile is live: their change waits for review.
    "member": (202, None),
    "owner": (202, None),
    "moderator": (201, None),
}


@pytest.mark.parametrize(("who", "expected"), CASE_EXPECTED.items())
def test_case_study_add_permissions(cast, supplier, who, expected):
    response = cast(who).post(
        f"/api/v1/my/suppliers/{supplier.slug}/case-studies/", CASE_STUDY, format="json"
    )
    status, code = expected
    if status == 201:
        assert response.status_code == 201, response.content
        assert supplier.case_studies.get().title == "Parking permits"
        assert not supplier.revisions.exists()
    elif status == 202:
        assert response.status_code == 202, response.content
        assert response.json()[0]["id"] is None
        assert not supplier.case_studies.exists()
        proposed = SupplierRevision.objects.get(supplier=supplier).proposed
        assert proposed["case_studies"][0]["title"] == "Parking permits"
    else:
        assert_error(response, status, code)
        assert not supplier.case_studies.exists()
        assert not supplier.revisions.exists()


@pytest.mark.parametrize(("who", "expected"), CASE_EXPECTED.items())
def test_case_study_change_and_remove_permissions(cast, supplier, who, expected):
    from suppliers import services

    services.case_study_create(actor=None, supplier=supplier, **CASE_STUDY)
    url = f"/api/v1/my/suppliers/{supplier.slug}/case-studies/0/"
    changed = cast(who).patch(url, {"title": "Bus passes"}, format="json")
    removed = cast(who).delete(url)
    status, code = expected
    titles = list(supplier.case_studies.values_list("title", flat=True))
    if status == 201:  # a moderator: both at once
        assert (changed.status_code, removed.status_code) == (200, 200)
        assert titles == []
    elif status == 202:
        assert (changed.status_code, removed.status_code) == (202, 202)
        assert titles == ["Parking permits"]
        assert SupplierRevision.objects.get(supplier=supplier).proposed["case_studies"] == []
    else:
        assert_error(changed, status, code)
        assert_error(removed, status, code)
        assert titles == ["Parking permits"]
        assert not supplier.revisions.exists()


def test_a_draft_case_study_changes_at_once_and_bad_ones_are_refused(supplier, owner, client_for):
    supplier.status = Supplier.Status.DRAFT
    supplier.save()
    client = client_for(owner, "write")
    base = f"/api/v1/my/suppliers/{supplier.slug}/case-studies/"
    assert client.post(base, CASE_STUDY, format="json").status_code == 201
    response = client.patch(f"{base}0/", {"outcome": "Queues halved."}, format="json")
    assert response.status_code == 200
    assert supplier.case_studies.get().outcome == "Queues halved."
    assert client.get(base).json()[0]["outcome"] == "Queues halved."
    assert_error(client.patch(f"{base}5/", {"title": "X"}, format="json"), 404)
    refused = client.post(base, {"summary": "x"}, format="json")
    assert "title" in assert_error(refused, 400)["fields"]
    assert_error(client.delete(f"{base}5/"), 404)  # no such case study: not a refusal
    assert client.delete(f"{base}0/").status_code == 200
    assert not supplier.case_studies.exists()


# --- size agrees with employees (suppliers.rules) ---------------------------------------------


def test_size_must_agree_with_employees(supplier, moderator, client_for):
    client = client_for(moderator, "write")
    url = f"/api/v1/my/suppliers/{supplier.slug}/"
    both = client.patch(url, {"size": "small", "employees": 400}, format="json")
    assert "size" in assert_error(both, 400)["fields"]
    stored_size = client.patch(url, {"employees": 400}, format="json")
    assert "size" in assert_error(stored_size, 400)["fields"]
    assert client.patch(url, {"size": "medium", "employees": 200}, format="json").status_code == 200


def test_a_registration_whose_size_disagrees_with_employees_leaves_nothing(owner, client_for):
    body = {**NEW_SUPPLIER, "size": "micro", "employees": 400}
    response = client_for(owner, "write").post("/api/v1/my/suppliers/", body, format="json")
    assert "size" in assert_error(response, 400)["fields"]
    assert not Supplier.objects.filter(companies_house_number="SC123456").exists()
