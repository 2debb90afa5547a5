"""Pages: the permission matrix on every view, the question pages, lists and exports."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from engagement import services
from engagement.models import ClarificationQuestion, EngagementRequest, Participant
from suppliers.models import Capability
from tests import factories
from tests.engagement.factories import EngagementRequestFactory

pytestmark = pytest.mark.django_db

CAST = ["author", "co_owner", "civil_servant", "responder", "other_owner", "moderator", "anonymous"]
OWNERS = {"author", "co_owner"}
SUPPLIERS = {"responder", "other_owner"}


def _client_for(client, request, who):
    user = request.getfixturevalue(who)
    if user.is_authenticated:
        client.force_login(user)
    return user


def _expect(status: int, who: str, allowed: set[str], denied_status: int = 403):
    if who in allowed:
        return status
    return 302 if who == "anonymous" else denied_status


# (url name suffix, who may, status when allowed)
OPEN_REQUEST_PAGES = [
    ("", set(CAST), 200),
    ("notice.json", set(CAST), 200),
    ("matches/", OWNERS | {"moderator"}, 200),
    ("responses/", OWNERS, 200),
    ("responses.csv", OWNERS, 200),
    ("questions/", OWNERS, 200),
    ("participants/", OWNERS | {"moderator"}, 200),
    ("participants.csv", OWNERS | {"moderator"}, 200),
    ("respond/", SUPPLIERS, 200),
    ("ask/", SUPPLIERS, 200),
    ("withdraw/", OWNERS, 200),
    ("close/", OWNERS, 200),
    ("co-owners/", OWNERS, 200),
    ("procurement/", OWNERS, 200),
]


@pytest.mark.parametrize("who", CAST)
@pytest.mark.parametrize(("suffix", "allowed", "status"), OPEN_REQUEST_PAGES)
def test_open_request_pages(request, client, response, open_request, who, suffix, allowed, status):
    _client_for(client, request, who)
    expected = _expect(status, who, allowed)
    got = client.get(f"/engagement/{open_request.pk}/{suffix}")
    assert got.status_code == expected, (who, suffix)
    if expected == 302 and who == "anonymous":
        assert got["Location"].startswith("/account/login/")


DRAFT_PAGES = ["", "notice.json", "edit/title/", "check/", "matches/", "responses/", "respond/"]


@pytest.mark.parametrize("who", CAST)
@pytest.mark.parametrize("suffix", DRAFT_PAGES)
def test_drafts_are_invisible_to_outsiders(request, client, draft, who, suffix):
    _client_for(client, request, who)
    got = client.get(f"/engagement/{draft.pk}/{suffix}")
    if who in OWNERS:
        assert got.status_code == (403 if suffix == "respond/" else 200)
    elif who == "moderator":
        # Moderators see a draft but cannot edit it or answer as a supplier.
        allowed = {"", "notice.json", "matches/"}
        assert got.status_code == (200 if suffix in allowed else 403)
    else:
        assert got.status_code == 404


POSTS = [
    # (suffix, data, who may, status when allowed)
    ("withdraw/", {"reason": "Priorities changed"}, OWNERS),
    ("close/", {}, OWNERS),
    ("co-owners/", {"email": "nobody@example.gov.uk"}, {"author"}),
    ("participants/", {"companies_house_number": "99999999"}, OWNERS),
    ("respond/", {"summary": "Our view"}, SUPPLIERS),
    ("ask/", {"question": "When?"}, SUPPLIERS),
]


@pytest.mark.parametrize("who", CAST)
@pytest.mark.parametrize(("suffix", "data", "allowed"), POSTS)
def test_posts_are_refused_to_those_who_may_not(
    request, client, open_request, who, suffix, data, allowed
):
    _client_for(client, request, who)
    got = client.post(f"/engagement/{open_request.pk}/{suffix}", data)
    if who in allowed:
        assert got.status_code in (200, 302)
    elif who == "co_owner" and suffix == "co-owners/":
        assert got.status_code == 403
    else:
        assert got.status_code == (302 if who == "anonymous" else 403)
        if who == "anonymous":
            assert got["Location"].startswith("/account/login/")
    open_request.refresh_from_db()
    if who not in allowed:
        assert open_request.status == "open"


@pytest.mark.parametrize("who", CAST)
def test_marking_a_response(request, client, response, open_request, who):
    _client_for(client, request, who)
    got = client.post(
        f"/engagement/{open_request.pk}/responses/{response.pk}/mark/", {"mark": "useful"}
    )
    response.refresh_from_db()
    if who in OWNERS:
        assert got.status_code == 302 and response.mark == "useful"
    else:
        assert got.status_code == (302 if who == "anonymous" else 403)
        assert response.mark == ""


@pytest.mark.parametrize("who", CAST)
def test_answering_a_question(request, client, open_request, responder, matched_supplier, who):
    question = services.question_ask(
        actor=responder, engagement_request=open_request, supplier=matched_supplier, question="Q?"
    )
    _client_for(client, request, who)
    url = f"/engagement/{open_request.pk}/questions/{question.pk}/answer/"
    got = client.post(url, {"answer": "An answer"})
    question.refresh_from_db()
    if who in OWNERS:
        assert got.status_code == 302 and question.is_published
    else:
        assert got.status_code == (302 if who == "anonymous" else 403)
        assert not question.is_published


@pytest.mark.parametrize("who", CAST)
def test_publishing_from_check_answers(request, client, draft, who):
    _client_for(client, request, who)
    got = client.post(f"/engagement/{draft.pk}/check/")
    draft.refresh_from_db()
    if who in OWNERS:
        assert got.status_code == 302 and draft.status == "open"
    else:
        assert got.status_code == (403 if who == "moderator" else 404)
        assert draft.status == "draft"


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/engagement/", set(CAST)),
        ("/engagement/yours/", OWNERS | {"civil_servant"}),
        ("/engagement/new/", OWNERS | {"civil_servant"}),
        ("/engagement/alerts/", SUPPLIERS),
    ],
)
@pytest.mark.parametrize("who", CAST)
def test_top_level_pages(request, client, open_request, who, path, allowed):
    _client_for(client, request, who)
    got = client.get(path)
    assert got.status_code == _expect(200, who, allowed), (who, path)


def test_co_owner_removal_is_for_the_author(client, draft, author, co_owner):
    client.force_login(co_owner)
    url = f"/engagement/{draft.pk}/co-owners/{co_owner.pk}/remove/"
    assert client.post(url).status_code == 403
    client.force_login(author)
    assert client.post(url).status_code == 302
    assert not draft.co_owners.exists()


# --- Writing a request through the question pages -------------------------------------


def test_writing_and_publishing_through_the_question_pages(client, author, responder):
    client.force_login(author)
    capability = Capability.objects.order_by("pk").first()
    got = client.post("/engagement/new/", {"title": "Telecare for rural areas"})
    er = EngagementRequest.objects.get(title="Telecare for rural areas")
    assert got["Location"] == f"/engagement/{er.pk}/edit/policy-area/"  # has a body: skipped
    deadline = timezone.localdate() + timedelta(days=20)
    session = timezone.localdate() + timedelta(days=7)
    answers = [
        ("policy-area", {"policy_area": "Social care"}, "problem"),
        ("problem", {"problem": "People in villages wait for help."}, "help"),
        ("help", {"help_kind": "technical_feasibility"}, "capabilities"),
        ("capabilities", {"capabilities": [capability.pk]}, "regions"),
        ("regions", {}, "take-part"),
        ("take-part", {"formats": ["written", "in_person"]}, "session"),
        (
            "session",
            {
                "session_date_0": session.day,
                "session_date_1": session.month,
                "session_date_2": session.year,
                "session_start": "10:00",
                "session_end": "12:30",
                "session_place": "10 Downing Street, London SW1A 2AA",
            },
            "deadline",
        ),
        (
            "deadline",
            {
                "deadline_date_0": deadline.day,
                "deadline_date_1": deadline.month,
                "deadline_date_2": deadline.year,
                "deadline_time": "",
            },
            "budget",
        ),
        ("budget", {"budget_min": "", "budget_max": "100000"}, "timing"),
        ("timing", {"procurement_timing": "Autumn 2027"}, None),
    ]
    for step, data, following in answers:
        got = client.post(f"/engagement/{er.pk}/edit/{step}/", data)
        assert got.status_code == 302, (step, got.content.decode()[:3000])
        expected = (
            f"/engagement/{er.pk}/edit/{following}/" if following else f"/engagement/{er.pk}/check/"
        )
        assert got["Location"] == expected
    er.refresh_from_db()
    assert timezone.localtime(er.response_deadline).hour == 17  # the default time
    assert er.session_place.startswith("10 Downing")
    check = client.get(f"/engagement/{er.pk}/check/")
    assert check.status_code == 200
    assert b"Check your request before publishing" in check.content
    assert b"Autumn 2027" in check.content
    got = client.post(f"/engagement/{er.pk}/check/")
    assert got["Location"] == f"/engagement/{er.pk}/matches/"
    er.refresh_from_db()
    assert er.status == "open"
    matches = client.get(got["Location"])
    assert b"Matched Monitoring Ltd" in matches.content
    assert b"Offers 1 of the capabilities" in matches.content


def test_question_page_errors_are_summarised(client, draft, author):
    client.force_login(author)
    got = client.post(f"/engagement/{draft.pk}/edit/deadline/", {"deadline_date_0": "31"})
    assert got.status_code == 200
    content = got.content.decode()
    assert "govuk-error-summary" in content
    assert "Error: Response deadline" in content
    got = client.post(
        f"/engagement/{draft.pk}/edit/session/",
        {"session_date_0": "1", "session_date_1": "1", "session_date_2": "2000"},
    )
    assert "The session date must be today or in the future" in got.content.decode()
    got = client.post(f"/engagement/{draft.pk}/edit/budget/", {"budget_min": "ten"})
    assert "Enter the lowest amount as a number" in got.content.decode()


def test_check_answers_links_problems_to_their_pages(client, author):
    client.force_login(author)
    er = services.engagement_request_create(actor=author, title="Unfinished")
    got = client.post(f"/engagement/{er.pk}/check/")
    assert got.status_code == 400
    content = got.content.decode()
    assert "There is a problem" in content
    assert f"/engagement/{er.pk}/edit/problem/?from=check" in content


def test_a_published_request_cannot_be_edited(client, open_request, author):
    client.force_login(author)
    got = client.get(f"/engagement/{open_request.pk}/edit/title/")
    assert got.status_code == 302 and got["Location"] == f"/engagement/{open_request.pk}/"


# --- Taking part -------------------------------------------------------------------


def test_supplier_responds_then_edits(client, open_request, responder, matched_supplier):
    client.force_login(responder)
    case_study = matched_supplier.case_studies.get()
    got = client.post(
        f"/engagement/{open_request.pk}/respond/",
        {"summary": "We can help", "case_studies": [case_study.pk], "availability": "Mondays"},
    )
    assert got.status_code == 302
    page = client.get(f"/engagement/{open_request.pk}/respond/")
    assert b"Change your response" in page.content and b"We can help" in page.content
    client.post(f"/engagement/{open_request.pk}/respond/", {"summary": "We can help a lot"})
    assert open_request.responses.get().summary == "We can help a lot"


def test_empty_response_is_a_field_error(client, open_request, responder):
    client.force_login(responder)
    got = client.post(f"/engagement/{open_request.pk}/respond/", {"summary": ""})
    assert got.status_code == 200
    assert "Enter a summary of your relevant expertise" in got.content.decode()


def test_published_answers_never_show_who_asked(
    client, open_request, responder, matched_supplier, author
):
    question = services.question_ask(
        actor=responder,
        engagement_request=open_request,
        supplier=matched_supplier,
        question="Can the pilot start in one ward?",
    )
    services.question_answer(actor=author, question=question, answer="Yes, it can.")
    services.question_ask(
        actor=responder,
        engagement_request=open_request,
        supplier=matched_supplier,
        question="Is there a budget for training?",
    )
    for user in (None, author, factories.MembershipFactory().user):
        client.logout()
        if user:
            client.force_login(user)
        got = client.get(f"/engagement/{open_request.pk}/")
        assert got.status_code == 200
        page = got.content.decode()
        assert "Can the pilot start in one ward?" in page and "Yes, it can." in page
        assert matched_supplier.name not in page
        assert responder.get_full_name() not in page
    # The owners' own questions page, signed in as the author: the questions are there
    # (answered and waiting), who asked them is not, not even to the owners.
    client.force_login(author)
    got = client.get(f"/engagement/{open_request.pk}/questions/")
    assert got.status_code == 200
    owner_view = got.content.decode()
    assert "Can the pilot start in one ward?" in owner_view
    assert "Is there a budget for training?" in owner_view
    assert matched_supplier.name not in owner_view
    assert responder.get_full_name() not in owner_view
    assert responder.email not in owner_view


def test_responses_csv(client, response, open_request, author):
    services.response_mark(actor=author, response=response, mark="useful")
    client.force_login(author)
    got = client.get(f"/engagement/{open_request.pk}/responses.csv")
    assert got["Content-Disposition"].endswith('-responses.csv"')
    assert got.content.startswith("\ufeff".encode())  # like every CSV download
    rows = list(csv.DictReader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert rows[0]["supplier"] == "Matched Monitoring Ltd"
    assert rows[0]["case_studies"] == "Falls detection in Leeds"
    assert rows[0]["mark"] == "Useful"
    assert rows[0]["sme"] == "yes"


def test_csv_cells_cannot_run_as_formulas(
    client, open_request, author, matched_supplier, responder
):
    services.response_submit(
        actor=responder,
        engagement_request=open_request,
        supplier=matched_supplier,
        summary='=HYPERLINK("http://evil")',
    )
    client.force_login(author)
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(f"/engagement/{open_request.pk}/responses.csv").content.decode(
                    "utf-8-sig"
                )
            )
        )
    )
    assert rows[0]["summary"].startswith("'=")


def test_participants_register_and_attendance(client, response, open_request, author, moderator):
    supplier = factories.SupplierFactory(companies_house_number="SC123456", name="Visitor Ltd")
    client.force_login(author)
    got = client.post(
        f"/engagement/{open_request.pk}/participants/", {"companies_house_number": "sc123456"}
    )
    assert got.status_code == 302
    assert Participant.objects.filter(supplier=supplier, kind="attended").exists()
    got = client.post(
        f"/engagement/{open_request.pk}/participants/", {"companies_house_number": "00000001"}
    )
    assert "No supplier on Techmap has that Companies House number" in got.content.decode()
    client.force_login(moderator)
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(f"/engagement/{open_request.pk}/participants.csv").content.decode(
                    "utf-8-sig"
                )
            )
        )
    )
    assert {(r["supplier"], r["took_part_by"]) for r in rows} == {
        ("Matched Monitoring Ltd", "Responded"),
        ("Visitor Ltd", "Attended a session"),
    }
    # Moderators read the register but do not record attendance.
    assert (
        client.post(
            f"/engagement/{open_request.pk}/participants/", {"companies_house_number": "SC123456"}
        ).status_code
        == 403
    )


def test_alert_preferences_page(client, responder, matched_supplier, capability):
    client.force_login(responder)
    got = client.post(
        "/engagement/alerts/", {"frequency": "weekly", "capabilities": [capability.pk]}
    )
    assert got.status_code == 302
    preference = matched_supplier.engagement_alert_preference
    assert preference.frequency == "weekly"
    assert list(preference.capabilities.all()) == [capability]
    got = client.post("/engagement/alerts/", {"frequency": "hourly"})
    assert got.status_code == 200 and "govuk-error-summary" in got.content.decode()


# --- The public list ------------------------------------------------------------------


@pytest.fixture
def listed(author, capability, region, body):
    made = []
    other_cap = Capability.objects.order_by("-pk").first()
    for n, (title, cap, help_kind) in enumerate(
        [
            ("Drone inspection of railway bridges", other_cap, "workshop"),
            ("Telecare for people living alone", capability, "market_sounding"),
            ("Machine translation for court papers", capability, "written_input"),
        ]
    ):
        er = EngagementRequestFactory(
            author=author,
            title=title,
            problem=f"Problem number {n}",
            help_kind=help_kind,
            capabilities=[cap],
            regions=[region] if n == 1 else [],
        )
        made.append(services.engagement_request_publish(actor=author, engagement_request=er))
    services.engagement_request_close(actor=author, engagement_request=made[2])
    return made


def _titles(response) -> list[str]:
    return [er.title for er in response.context["requests"]]


def test_list_shows_open_requests_by_default(client, listed, draft):
    got = client.get("/engagement/")
    assert set(_titles(got)) == {listed[0].title, listed[1].title}
    assert draft.title not in got.content.decode()


def test_list_filters(client, listed, capability, region, author):
    assert _titles(client.get("/engagement/?status=closed")) == [listed[2].title]
    assert len(_titles(client.get("/engagement/?status=all"))) == 3
    got = client.get(f"/engagement/?status=all&capability={capability.code}")
    assert set(_titles(got)) == {listed[1].title, listed[2].title}
    assert _titles(client.get(f"/engagement/?region={region.slug}")) == [listed[1].title]
    assert _titles(client.get("/engagement/?help=workshop")) == [listed[0].title]
    body = author.public_body.slug
    assert len(_titles(client.get(f"/engagement/?status=all&public_body={body}"))) == 3
    # An unknown body is ignored (and explained), not a 500 or an empty list.
    got = client.get("/engagement/?public_body=no-such-body")
    assert _titles(got) == [listed[1].title, listed[0].title]
    assert got.context["filter_errors"]


def test_list_search_uses_websearch_syntax(client, listed):
    assert _titles(client.get("/engagement/?q=bridges")) == [listed[0].title]
    assert _titles(client.get("/engagement/?q=inspecting")) == [listed[0].title]  # stemmed
    assert _titles(client.get('/engagement/?q="living alone"')) == [listed[1].title]
    got = client.get("/engagement/?status=all&q=telecare or translation")
    assert set(_titles(got)) == {listed[1].title, listed[2].title}
    assert _titles(client.get("/engagement/?q=-bridges")) == [listed[1].title]


def test_malformed_query_strings_are_explained_not_500(client, listed):
    got = client.get(
        "/engagement/?capability=no-such&region=atlantis&status=weird&help=magic&page=abc&q="
        + "x" * 500
    )
    assert got.status_code == 200
    assert "have been ignored" in got.content.decode()


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
    with django_assert_max_num_queries(12) as small:
        client.get("/engagement/?status=all")
    make(15)
    with django_assert_max_num_queries(12) as large:
        client.get("/engagement/?status=all")
    assert len(large.captured_queries) == len(small.captured_queries)


def test_your_requests_runs_a_fixed_number_of_queries(
    client, author, capability, django_assert_max_num_queries
):
    client.force_login(author)
    for _ in range(6):
        EngagementRequestFactory(author=author, capabilities=[capability])
    with django_assert_max_num_queries(8):
        got = client.get("/engagement/yours/")
    assert len(got.context["requests"]) == 6


def test_responses_and_matches_pages_run_fixed_queries(
    client, open_request, author, capability, region, django_assert_max_num_queries
):
    for n in range(5):
        supplier = factories.SupplierFactory(capabilities=[capability])
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
    with django_assert_max_num_queries(14):
        assert client.get(f"/engagement/{open_request.pk}/responses/").status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(f"/engagement/{open_request.pk}/matches/").status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(f"/engagement/{open_request.pk}/participants/").status_code == 200


def test_unanswered_questions_are_not_public(client, open_request, responder, matched_supplier):
    ClarificationQuestion.objects.create(
        engagement_request=open_request,
        supplier=matched_supplier,
        asked_by=responder,
        question="Secret unanswered question",
    )
    assert (
        "Secret unanswered question"
        not in client.get(f"/engagement/{open_request.pk}/").content.decode()
    )
