"""/api/v1/engagement-requests/ (public) and /api/v1/engagement-responses/ (owners, responders)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from engagement import services
from tests.engagement.factories import EngagementRequestFactory

pytestmark = pytest.mark.django_db

CAST = ["author", "co_owner", "civil_servant", "responder", "other_owner", "moderator", "anonymous"]
REQUESTS = "/api/v1/engagement-requests/"
RESPONSES = "/api/v1/engagement-responses/"


def _login(client, request, who):
    user = request.getfixturevalue(who)
    if user.is_authenticated:
        client.force_login(user)
    return user


@pytest.mark.parametrize("who", CAST)
def test_published_requests_are_public(request, client, open_request, draft, who):
    _login(client, request, who)
    got = client.get(REQUESTS)
    assert got.status_code == 200
    body = got.json()
    assert set(body) == {"next", "previous", "results", "corrected_query"}
    assert body["corrected_query"] is None  # no q: nothing to correct
    assert [r["id"] for r in body["results"]] == [open_request.pk]  # never the draft
    item = body["results"][0]
    assert item["reference"] == open_request.reference
    assert item["public_body"]["name"] == open_request.public_body.name
    assert item["notice_url"].endswith(f"/engagement/{open_request.pk}/notice.json")
    assert client.get(f"{REQUESTS}{open_request.pk}/").status_code == 200
    assert client.get(f"{REQUESTS}{open_request.pk}/notice/").json()["tag"] == ["planning"]


@pytest.mark.parametrize("who", CAST)
def test_drafts_only_to_owners_and_moderators(request, client, author, capability, who):
    draft = EngagementRequestFactory(author=author, capabilities=[capability])
    draft.co_owners.add(request.getfixturevalue("co_owner"))
    _login(client, request, who)
    got = client.get(f"{REQUESTS}{draft.pk}/")
    if who in {"author", "co_owner", "moderator"}:
        assert got.status_code == 200 and got.json()["status"] == "draft"
    else:
        assert got.status_code == 404
        assert got.json()["error"]["code"] == "not_found"


def test_writes_are_not_offered(client, author, open_request):
    client.force_login(author)
    assert client.post(REQUESTS, {}, content_type="application/json").status_code in (403, 405)
    got = client.delete(f"{REQUESTS}{open_request.pk}/")
    assert got.status_code in (403, 405)


def test_detail_has_anonymous_published_questions(
    client, open_request, responder, matched_supplier, author
):
    asked = services.question_ask(
        actor=responder, engagement_request=open_request, supplier=matched_supplier, question="Q1?"
    )
    services.question_ask(
        actor=responder, engagement_request=open_request, supplier=matched_supplier, question="Q2?"
    )
    services.question_answer(actor=author, question=asked, answer="A1")
    questions = client.get(f"{REQUESTS}{open_request.pk}/").json()["questions"]
    assert questions == [
        {
            "id": asked.pk,
            "question": "Q1?",
            "answer": "A1",
            "answered_at": questions[0]["answered_at"],
        }
    ]


def test_list_filters_like_the_page(client, open_request, author, capability, region):
    closed = EngagementRequestFactory(author=author, title="Closed one", capabilities=[capability])
    services.engagement_request_publish(actor=author, engagement_request=closed)
    services.engagement_request_close(actor=author, engagement_request=closed)
    ids = lambda url: [r["id"] for r in client.get(url).json()["results"]]  # noqa: E731
    assert ids(REQUESTS) == [open_request.pk]
    assert ids(f"{REQUESTS}?status=closed") == [closed.pk]
    assert set(ids(f"{REQUESTS}?status=all")) == {open_request.pk, closed.pk}
    assert ids(f"{REQUESTS}?region={region.slug}&status=all") == [open_request.pk]
    assert ids(f"{REQUESTS}?q=remote+monitoring") == [open_request.pk]


def test_bad_filter_values_are_a_structured_400(client, open_request):
    got = client.get(f"{REQUESTS}?capability=no-such-thing&status=sometimes")
    assert got.status_code == 400
    error = got.json()["error"]
    assert error["code"] == "invalid"
    assert {"capability", "status"} <= set(error["fields"])
    assert client.get(f"{REQUESTS}?page_size=0").status_code == 400


def test_list_runs_a_fixed_number_of_queries(
    client, author, capability, region, django_assert_max_num_queries
):
    def make(n):
        for _ in range(n):
            er = EngagementRequestFactory(
                author=author, capabilities=[capability], regions=[region]
            )
            er.status = "open"
            er.published_at = timezone.now()
            er.save()

    make(2)
    with django_assert_max_num_queries(8) as small:
        assert client.get(f"{REQUESTS}?page_size=100").status_code == 200
    make(12)
    with django_assert_max_num_queries(8) as large:
        assert len(client.get(f"{REQUESTS}?page_size=100").json()["results"]) == 14
    assert len(large.captured_queries) == len(small.captured_queries)


@pytest.mark.parametrize("who", CAST)
def test_responses_only_for_owners_and_the_responding_organisation(request, client, response, who):
    _login(client, request, who)
    listed = client.get(RESPONSES)
    detail = client.get(f"{RESPONSES}{response.pk}/")
    if who == "anonymous":
        assert listed.status_code == 401 and detail.status_code == 401
        return
    assert listed.status_code == 200
    ids = [r["id"] for r in listed.json()["results"]]
    if who in {"author", "co_owner", "responder"}:
        assert ids == [response.pk]
        assert detail.status_code == 200
        body = detail.json()
        assert body["supplier"]["name"] == "Matched Monitoring Ltd"
        assert body["case_studies"][0]["title"] == "Falls detection in Leeds"
        # The owners' mark is theirs: the responder does not see it.
        assert (body["mark"] is None) == (who == "responder")
    else:
        assert ids == []
        assert detail.status_code == 404


def test_responses_list_runs_a_fixed_number_of_queries(
    client, open_request, author, capability, django_assert_max_num_queries
):
    from tests import factories

    for n in range(4):
        supplier = factories.SupplierFactory()
        factories.CaseStudyFactory(supplier=supplier)
        member = factories.MembershipFactory(supplier=supplier).user
        services.response_submit(
            actor=member,
            engagement_request=open_request,
            supplier=supplier,
            summary=f"Response {n}",
            case_studies=list(supplier.case_studies.all()),
        )
    client.force_login(author)
    with django_assert_max_num_queries(12):
        got = client.get(f"{RESPONSES}?engagement_request={open_request.pk}")
    assert len(got.json()["results"]) == 4
