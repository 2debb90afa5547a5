"""Hostile input on every write: never a 500, and a field error where the value reaches a field.

The values are the ones that gave 500s (issue "bad input gives a clear answer"): a number no
column holds (1e9999999), a NUL byte, JSON nested 1,000 levels deep, a title with "\\r\\n"
(an email header injection), and over-long text.

- Web forms: every route that accepts POST is found by walking the URL resolver and probing
  it (anything but 405); each is either driven here — its page is fetched, and every field
  it shows is filled with the hostile value — or listed with the reason it takes no text.
- CSV upload: the same values in cells.
- API writes: every write route of tests/api/test_guards.py's walk, with real lookups.
  (Deep JSON bodies, NUL lookups and Django's own 400s are tests/api/test_guards.py's.)
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from engagement import services as engagement_services
from innovation_den import services as den_services
from innovation_den.models import ProgressNote, Proposal, Review
from reporting import services as reporting_services
from reporting.models import ContractReport
from suppliers import services as supplier_services
from suppliers.models import Region, SupplierClaim
from tests import factories
from tests.api.conftest import _token, assert_error
from tests.api.test_guards import _api_routes
from tests.engagement.factories import EngagementRequestFactory, QuestionFactory
from tests.innovation_den import factories as den_factories
from tests.reporting.factories import GOOD_VALUES, ContractFactory, last_quarter, values
from tests.reporting.test_csv import good_row, make_csv

pytestmark = pytest.mark.django_db

Status = Proposal.Status

HOSTILE = {
    "huge_number": "1e9999999",
    "nul": "bad\x00value",
    "crlf_title": "Telecare\r\nBcc: everyone@example.com",
    "over_long": "x" * 100_000,
    "deep_json": "[" * 1000 + "]" * 1000,
}

# --- Which web routes accept POST ----------------------------------------------------------

# Driven below: (route name) → built by the ``site`` fixture.
DRIVEN = {
    "accounts:api_token_create",
    "suppliers:shortlists",
    "suppliers:register_number",
    "suppliers:register_name",
    "suppliers:register_step",
    "suppliers:register_case_study_add",
    "suppliers:invite",
    "engagement:new",
    "engagement:step",
    "engagement:ask",
    "engagement:respond",
    "engagement:co_owners",
    "reporting:contract_new",
    "reporting:contract_edit",
    "reporting:report_new",
    "reporting:report_query",
    "reporting:report_reply",
    "reporting:report_revise",
    "innovation_den:propose",
    "innovation_den:edit",
    "innovation_den:success_criterion_add",
    "innovation_den:stop_criterion_add",
    "innovation_den:risk_add",
    "account_login",
    "account_signup",
    "feedback",
}
# Routes that accept POST and take no free text (a button, a choice among ids), or whose
# text forms are allauth's or the admin's own (Django's form fields refuse NUL bytes), or
# are driven elsewhere (the CSV upload below, tests/api/test_guards.py).
NO_FREE_TEXT = {
    "accounts:public_body": "a choice of public body",
    "engagement:alerts": "choices of how often",
    "accounts:api_token_revoke": "a button",
    "account_logout": "a button",
    "suppliers:shortlist_delete": "a button",
    "suppliers:shortlist_entry_remove": "a button",
    "suppliers:shortlist_add": "a choice of shortlist",
    "suppliers:register_check": "a button: submits the draft",
    "suppliers:register_case_study_remove": "a button",
    "suppliers:member_remove": "a button",
    "suppliers:member_role": "a choice of role",
    "suppliers:invitation_revoke": "a button",
    "suppliers:changes_resubmit": "a button: sends a returned draft again",
    "suppliers:changes_discard": "a button",
    "suppliers:invitation_accept": "a button",
    "suppliers:invitation_accept_signed_in": "a button",
    "suppliers:invitation_decline": "a button",
    "suppliers:claim_check": "a button",
    "engagement:check": "a button: publishes",
    "engagement:withdraw": "a choice and a reason: see engagement tests",
    "engagement:close": "a button",
    "engagement:co_owner_remove": "a button",
    "engagement:response_mark": "a choice of mark",
    "reporting:report_accept": "a button",
    "reporting:upload": "a file: test_csv_upload_cells below",
    "innovation_den:partner_answer": "a choice",
    "innovation_den:item_remove": "a button",
    "innovation_den:sponsor_confirm": "a button",
    "innovation_den:submit": "a button",
    "innovation_den:start_review": "a choice of round",
    "innovation_den:start": "a button",
    "innovation_den:close": "a button",
    "innovation_den:round_member_remove": "a button",
    "innovation_den:round_close": "a button",
}
# Pages that take no POST of their own: the view answers any method as a GET (or reads the
# object first, so a made-up id is a 404). A POST there changes nothing.
READ_ONLY = {
    "home",
    "accessibility",
    "accounts:profile",  # the account page: links only, any method is answered as a GET
    "cookies",
    "privacy",
    "metrics",
    "accounts:api_tokens",
    "engagement:detail",
    "engagement:participants",
    "innovation_den:home",
    "innovation_den:lessons",
    "innovation_den:proposal",
    "innovation_den:proposals",
    "innovation_den:rounds",
    "innovation_den:round",
    "reporting:contract",
    "suppliers:manage",
    "suppliers:register_start",
    "suppliers:register_tasks",
    "suppliers:register_submitted",
    "suppliers:register_case_studies",
    "suppliers:claim_submitted",
    "suppliers:shortlist",
    "suppliers:shortlist_export",
}
# allauth's own forms: Django form fields, which refuse NUL bytes and over-long values.
ALLAUTH = {
    "account_change_password",
    "account_confirm_email",
    "account_confirm_login_code",
    "account_email",
    "account_reauthenticate",
    "account_reset_password",
    "account_reset_password_from_key",
    "account_set_password",
}
# Text forms not driven here yet (each needs its reason). The forms that need their object in
# a particular state are driven by test_every_stated_form_… below (STATED).
NOT_YET_DRIVEN: dict[str, str] = {}


def _web_routes() -> list[tuple[str, str]]:
    """(route name, path with every parameter filled with a value that matches nothing)."""
    routes = []

    def walk(patterns, prefix: str, namespace: str) -> None:
        for pattern in patterns:
            regex = prefix + pattern.pattern.regex.pattern.lstrip("^")
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or ""
                walk(
                    pattern.url_patterns,
                    regex,
                    f"{namespace}:{inner}".strip(":") if inner else namespace,
                )
            elif isinstance(pattern, URLPattern) and pattern.name:
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                routes.append((name, regex))

    walk(get_resolver().url_patterns, "", "")
    found = []
    for name, regex in routes:
        if regex.startswith(("api/", "admin/", "static/", "media/", "dev/")):
            continue
        path = re.sub(r"\(\?P<\w+>\[0-9\]\+\)", "999999", regex)
        path = re.sub(r"\(\?P<(\w+)>[^)]*\)", "nothing-here", path)
        path = re.sub(r"\\Z|\$|\\", "", path)
        found.append((name, "/" + path))
    return found


def test_every_post_route_is_driven_or_takes_no_text(civil_servant):
    """A new form added without a hostile-input check fails here until it is listed."""
    client = Client()
    client.force_login(civil_servant)
    accepting = set()
    for name, path in _web_routes():
        if client.post(path).status_code != 405:
            accepting.add(name)
    listed = DRIVEN | set(STATED) | set(NO_FREE_TEXT) | READ_ONLY | ALLAUTH | set(NOT_YET_DRIVEN)
    unlisted = accepting - listed
    assert not unlisted, f"POST routes without a hostile-input check: {sorted(unlisted)}"
    assert accepting >= DRIVEN | set(STATED), sorted(DRIVEN | set(STATED) - accepting)


# --- The site's forms, as their users see them ---------------------------------------------


class _Fields(HTMLParser):
    """The fields a page's forms send: text, textareas, selects, radios and checkboxes."""

    def __init__(self) -> None:
        super().__init__()
        self.text: set[str] = set()
        self.choices: dict[str, str] = {}
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "textarea" and name:
            self.text.add(name)
        elif tag == "input" and name and name != "csrfmiddlewaretoken":
            kind = attrs.get("type", "text")
            if kind in ("radio", "checkbox", "hidden"):
                self.choices.setdefault(name, attrs.get("value", "on"))
            elif kind not in ("file", "submit", "button"):
                self.text.add(name)
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and attrs.get("value"):
            self.choices.setdefault(self._select, attrs["value"])

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


@pytest.fixture
def site(supplier, owner, civil_servant, moderator):
    """route name → [(user, path)] for every driven form, with the objects they need."""
    body = civil_servant.public_body
    capability = factories.CapabilityFactory()
    london = Region.objects.get(code="TLI")
    region_supplier = factories.SupplierFactory(capabilities=[capability], regions=[london])
    responder = factories.MembershipFactory(supplier=region_supplier, role="owner").user
    draft = EngagementRequestFactory(author=civil_servant, public_body=body)
    open_request = EngagementRequestFactory(
        author=civil_servant, public_body=body, capabilities=[capability], regions=[london]
    )
    engagement_services.engagement_request_publish(
        actor=civil_servant, engagement_request=open_request
    )
    contract = ContractFactory(supplier=supplier, buyer=body, created_by=civil_servant)
    report = reporting_services.report_submit(
        actor=owner, contract=contract, period=last_quarter(), values=values()
    )
    queried = reporting_services.report_submit(
        actor=owner, contract=contract, period=last_quarter(2), values=values()
    )
    reporting_services.report_query(actor=civil_servant, report=queried, reason="Check it")
    registrant = factories.UserFactory()
    registering = factories.SupplierFactory(status="draft")
    factories.MembershipFactory(supplier=registering, user=registrant, role="owner")
    proposal = den_factories.draft(proposer=civil_servant)
    from engagement.forms import STEPS
    from suppliers.registration_views import STEP_ORDER

    routes = {
        "accounts:api_token_create": [(owner, "/account/api-tokens/new/")],
        "suppliers:shortlists": [(civil_servant, "/suppliers/shortlists/")],
        "suppliers:register_number": [(registrant, "/suppliers/register/companies-house-number/")],
        "suppliers:register_name": [(registrant, "/suppliers/register/name/")],
        "suppliers:register_step": [
            (registrant, f"/suppliers/{registering.slug}/register/{step}/") for step in STEP_ORDER
        ],
        "suppliers:register_case_study_add": [
            (registrant, f"/suppliers/{registering.slug}/register/case-studies/add/")
        ],
        "suppliers:invite": [(owner, f"/suppliers/{supplier.slug}/manage/invite/")],
        "engagement:new": [(civil_servant, "/engagement/new/")],
        "engagement:step": [
            (civil_servant, f"/engagement/{draft.pk}/edit/{step.slug}/") for step in STEPS
        ],
        "engagement:ask": [(responder, f"/engagement/{open_request.pk}/ask/")],
        "engagement:respond": [(responder, f"/engagement/{open_request.pk}/respond/")],
        "engagement:co_owners": [(civil_servant, f"/engagement/{draft.pk}/co-owners/")],
        "reporting:contract_new": [(civil_servant, "/reporting/contracts/new/")],
        "reporting:contract_edit": [(civil_servant, f"/reporting/contracts/{contract.pk}/edit/")],
        "reporting:report_new": [(owner, f"/reporting/contracts/{contract.pk}/report/")],
        # These forms sit on the report's page and post to their own address.
        "reporting:report_query": [
            (
                civil_servant,
                f"/reporting/reports/{report.pk}/query/",
                f"/reporting/reports/{report.pk}/",
            )
        ],
        "reporting:report_reply": [
            (owner, f"/reporting/reports/{queried.pk}/reply/", f"/reporting/reports/{queried.pk}/")
        ],
        "reporting:report_revise": [(owner, f"/reporting/reports/{queried.pk}/correct/")],
        "innovation_den:propose": [(civil_servant, "/den/propose/")],
        "innovation_den:edit": [(civil_servant, f"/den/proposals/{proposal.pk}/edit/")],
        "innovation_den:success_criterion_add": [
            (civil_servant, f"/den/proposals/{proposal.pk}/success-criteria/add/")
        ],
        "innovation_den:stop_criterion_add": [
            (civil_servant, f"/den/proposals/{proposal.pk}/stop-criteria/add/")
        ],
        "innovation_den:risk_add": [(civil_servant, f"/den/proposals/{proposal.pk}/risks/add/")],
        "account_login": [(None, "/account/login/")],
        "account_signup": [(None, "/account/signup/")],
        "feedback": [(None, "/feedback/")],
    }
    assert set(routes) == DRIVEN
    return routes, registrant


def _pages(site_routes, name):
    return site_routes[name]


@pytest.mark.parametrize("value", list(HOSTILE), ids=list(HOSTILE))
@pytest.mark.parametrize("name", sorted(DRIVEN))
def test_every_form_answers_hostile_input_without_a_500(site, name, value):
    routes, registrant = site
    hostile = HOSTILE[value]
    driven = 0
    for user, path, *shown_at in routes[name]:
        client = Client()  # exceptions in the view are raised here: a 500 fails the test
        if user is not None:
            client.force_login(user)
        if user is registrant:
            session = client.session
            session["supplier_registration_number"] = "SC765432"
            session.save()
        page = client.get(shown_at[0] if shown_at else path)
        if page.status_code != 200:  # a question page that redirects (already answered)
            continue
        fields = _Fields()
        fields.feed(page.content.decode())
        driven += bool(fields.text)
        data = {**fields.choices, **dict.fromkeys(fields.text, hostile)}
        response = client.post(path, data)
        assert response.status_code < 500, (path, response.status_code)
        if value == "nul" and fields.text:
            # Every form field refuses a NUL byte: the form is shown again with the error.
            assert response.status_code in (200, 400), (path, response.status_code)
            assert b"govuk-error-summary" in response.content or b"error" in response.content
    assert driven, f"no page of {name} showed a text field to fill"


# --- Forms that need their object in a particular state ------------------------------------
#
# Each builder makes the object through the factories and services, and returns the user who
# may post, the form's address (and the page it is shown on, when that differs) and what
# the post may not change when it is refused: a refused post leaves everything saved as it was.


def _row(obj) -> dict:
    return type(obj).objects.filter(pk=obj.pk).values().get()


def _answer(civil_servant, **_):
    capability = factories.CapabilityFactory()
    london = Region.objects.get(code="TLI")
    factories.SupplierFactory(capabilities=[capability], regions=[london])
    er = EngagementRequestFactory(
        author=civil_servant,
        public_body=civil_servant.public_body,
        capabilities=[capability],
        regions=[london],
    )
    engagement_services.engagement_request_publish(actor=civil_servant, engagement_request=er)
    question = QuestionFactory(engagement_request=er)
    path = f"/engagement/{er.pk}/questions/{question.pk}/answer/"
    return civil_servant, path, None, lambda: _row(question)


def _published(civil_servant):
    capability = factories.CapabilityFactory()
    london = Region.objects.get(code="TLI")
    factories.SupplierFactory(capabilities=[capability], regions=[london])
    er = EngagementRequestFactory(
        author=civil_servant,
        public_body=civil_servant.public_body,
        capabilities=[capability],
        regions=[london],
    )
    return engagement_services.engagement_request_publish(
        actor=civil_servant, engagement_request=er
    )


def _extend_deadline(civil_servant, **_):
    er = _published(civil_servant)
    return civil_servant, f"/engagement/{er.pk}/extend-deadline/", None, lambda: _row(er)


def _correct(civil_servant, **_):
    er = _published(civil_servant)
    return civil_servant, f"/engagement/{er.pk}/correct/", None, lambda: _row(er)


def _message(civil_servant, **_):
    from engagement.models import RespondentMessage

    er = _published(civil_servant)
    return (
        civil_servant,
        f"/engagement/{er.pk}/message/",
        None,
        lambda: list(RespondentMessage.objects.values_list("pk", flat=True)),
    )


def _decline(civil_servant, **_):
    er = _published(civil_servant)
    question = QuestionFactory(engagement_request=er)
    path = f"/engagement/{er.pk}/questions/{question.pk}/decline/"
    return civil_servant, path, None, lambda: _row(question)


def _procurement(civil_servant, **_):
    capability = factories.CapabilityFactory()
    london = Region.objects.get(code="TLI")
    factories.SupplierFactory(capabilities=[capability], regions=[london])
    er = EngagementRequestFactory(
        author=civil_servant,
        public_body=civil_servant.public_body,
        capabilities=[capability],
        regions=[london],
    )
    engagement_services.engagement_request_publish(actor=civil_servant, engagement_request=er)
    engagement_services.engagement_request_close(actor=civil_servant, engagement_request=er)
    return civil_servant, f"/engagement/{er.pk}/procurement/", None, lambda: _row(er)


def _den_watch(proposal):
    def watch():
        return (
            _row(proposal),
            sorted(Review.objects.filter(proposal=proposal).values_list("pk", flat=True)),
            sorted(ProgressNote.objects.filter(proposal=proposal).values_list("pk", flat=True)),
            sorted(proposal.partners.values_list("pk", flat=True)),
        )

    return watch


def _review(**_):
    cast = den_factories.build(Status.IN_REVIEW)
    p = cast.proposal
    return cast.panel[0], f"/den/proposals/{p.pk}/review/", None, _den_watch(p)


def _decide(**_):
    cast = den_factories.build(Status.IN_REVIEW)
    p = cast.proposal
    for person in cast.panel:
        den_services.review_submit(actor=person, proposal=p, scores=den_factories.scores())
    return cast.moderator, f"/den/proposals/{p.pk}/decide/", None, _den_watch(p)


def _progress_add(**_):
    cast = den_factories.build(Status.RUNNING)
    p = cast.proposal
    return cast.proposer, f"/den/proposals/{p.pk}/progress/add/", None, _den_watch(p)


def _evaluate(**_):
    cast = den_factories.build(Status.RUNNING)
    p = cast.proposal
    return cast.proposer, f"/den/proposals/{p.pk}/evaluate/", None, _den_watch(p)


def _graduate(**_):
    cast = den_factories.build(Status.EVALUATED)
    p = cast.proposal
    return cast.proposer, f"/den/proposals/{p.pk}/graduate/", None, _den_watch(p)


def _partner_add(civil_servant, **_):
    p = den_factories.draft(proposer=civil_servant)
    factories.SupplierFactory(name="Hostile Partners Ltd")
    # The search (GET q) lists the suppliers; the add (POST) takes one supplier's id.
    shown_at = f"/den/proposals/{p.pk}/partners/add/?q=Hostile"
    return civil_servant, f"/den/proposals/{p.pk}/partners/add/", shown_at, _den_watch(p)


def _claimable():
    claimed = factories.SupplierFactory(from_public_records=True)
    claimant = factories.UserFactory()

    def watch():
        return _row(claimed), list(SupplierClaim.objects.values_list("pk", flat=True))

    return claimed, claimant, watch


def _claim_number(**_):
    claimed, claimant, watch = _claimable()
    return claimant, f"/suppliers/{claimed.slug}/claim/companies-house-number/", None, watch


def _claim_name(**_):
    claimed, claimant, watch = _claimable()
    return claimant, f"/suppliers/{claimed.slug}/claim/name/", None, watch


def _case_study_change(**_):
    registrant = factories.UserFactory()
    registering = factories.SupplierFactory(status="draft")
    factories.MembershipFactory(supplier=registering, user=registrant, role="owner")
    case_study = factories.CaseStudyFactory(supplier=registering)
    path = f"/suppliers/{registering.slug}/register/case-studies/0/change/"

    def watch():
        return _row(case_study), supplier_services.supplier_case_studies(
            registering, actor=registrant
        )

    return registrant, path, None, watch


def _shortlist_edit(civil_servant, **_):
    shortlist = supplier_services.shortlist_create(actor=civil_servant, name="Telecare")
    return (
        civil_servant,
        f"/suppliers/shortlists/{shortlist.pk}/edit/",
        None,
        lambda: _row(shortlist),
    )


def _shortlist_entry_note(civil_servant, supplier, **_):
    shortlist = supplier_services.shortlist_create(actor=civil_servant, name="Telecare")
    entry = supplier_services.shortlist_add_supplier(
        actor=civil_servant, shortlist=shortlist, supplier=supplier, note="Good fit"
    )
    path = f"/suppliers/shortlists/{shortlist.pk}/entries/{entry.pk}/note/"
    return civil_servant, path, None, lambda: _row(entry)


STATED = {
    "engagement:answer": _answer,
    "engagement:procurement": _procurement,
    "engagement:extend_deadline": _extend_deadline,
    "engagement:correct": _correct,
    "engagement:message": _message,
    "engagement:decline": _decline,
    "innovation_den:review": _review,
    "innovation_den:decide": _decide,
    "innovation_den:progress_add": _progress_add,
    "innovation_den:evaluate": _evaluate,
    "innovation_den:graduate": _graduate,
    "innovation_den:partner_add": _partner_add,
    "suppliers:claim_number": _claim_number,
    "suppliers:claim_name": _claim_name,
    "suppliers:register_case_study_change": _case_study_change,
    "suppliers:shortlist_edit": _shortlist_edit,
    "suppliers:shortlist_entry_note": _shortlist_entry_note,
}
# Forms whose only posted field is a choice among ids (the text on their page is a GET search).
HOSTILE_CHOICE = {"innovation_den:partner_add"}


@pytest.mark.parametrize("value", list(HOSTILE), ids=list(HOSTILE))
@pytest.mark.parametrize("name", sorted(STATED))
def test_every_stated_form_answers_hostile_input_and_keeps_what_was_saved(
    civil_servant, supplier, name, value
):
    user, path, shown_at, watch = STATED[name](civil_servant=civil_servant, supplier=supplier)
    hostile = HOSTILE[value]
    client = Client()
    client.force_login(user)
    page = client.get(shown_at or path)
    assert page.status_code == 200, (path, page.status_code)
    fields = _Fields()
    fields.feed(page.content.decode())
    assert fields.text or fields.choices, f"{path} showed no field to fill"
    data = {**fields.choices, **dict.fromkeys(fields.text, hostile)}
    if name in HOSTILE_CHOICE:  # its one field is a choice among ids: post the value there
        data = dict.fromkeys(fields.choices, hostile)
        search = client.get(path, dict.fromkeys(fields.text, hostile))  # and search with it
        assert search.status_code < 500, (path, search.status_code)
    before = watch()
    response = client.post(path, data)
    assert response.status_code < 500, (path, response.status_code)
    if value == "nul":
        # A NUL byte in any field is refused: the form is shown again with the error.
        assert response.status_code in (200, 400), (path, response.status_code)
        assert b"govuk-error-summary" in response.content, path
    if response.status_code in (200, 400):  # refused: nothing saved has changed
        assert watch() == before, path


@pytest.mark.parametrize("value", list(HOSTILE), ids=list(HOSTILE))
def test_csv_upload_cells(client, owner, supplier, value):
    """The good row of the file is saved; the hostile one is reported by row and column."""
    good, bad = ContractFactory(supplier=supplier), ContractFactory(supplier=supplier)
    hostile = HOSTILE[value]
    rows = [good_row(good), good_row(bad, spend_against_budget=hostile)]
    rows[1]["milestones_on_time_comment"] = hostile
    client.force_login(owner)
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("reports.csv", make_csv(rows), content_type="text/csv")
    response = client.post("/reporting/upload/", {"file": upload})
    assert response.status_code == 200
    assert list(ContractReport.objects.values_list("contract", flat=True)) == [good.pk]
    problems = response.context["problems"]
    assert {p.row for p in problems} == {3}
    assert "spend_against_budget" in {p.column for p in problems}


# --- API writes ----------------------------------------------------------------------------


def _api_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {_token(user, 'write')}")
    return client


TEXT_FIELDS = [
    "name",
    "title",
    "summary",
    "description",
    "reason",
    "message",
    "ocid",
    "contract",
    "period",
    "value",
    "companies_house_number",
    "client_name",
    "outcome",
]


@pytest.mark.parametrize("value", list(HOSTILE), ids=list(HOSTILE))
def test_every_api_write_answers_hostile_input_in_its_error_shape(
    supplier, owner, civil_servant, value
):
    hostile = HOSTILE[value]
    factories.CaseStudyFactory(supplier=supplier)
    contract = ContractFactory(supplier=supplier, buyer=civil_servant.public_body)
    report = reporting_services.report_submit(
        actor=owner, contract=contract, period=last_quarter(), values=values()
    )
    reporting_services.report_query(actor=civil_servant, report=report, reason="Check it")
    lookups = {"slug": supplier.slug, "index": "0", "ocid": contract.ocid, "pk": str(report.pk)}
    actor_for = {"contracts": civil_servant, "accept": civil_servant, "query": civil_servant}
    body = dict.fromkeys(TEXT_FIELDS, hostile)
    body["values"] = dict.fromkeys(GOOD_VALUES, hostile)
    body["comments"] = dict.fromkeys(GOOD_VALUES, hostile)
    sent = 0
    for regex, methods in _api_routes():
        for method in sorted(methods & {"post", "put", "patch"}):
            path = "/" + re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: lookups[m.group(1)], regex)
            path = re.sub(r"\$|\\Z|\\", "", path)
            path = re.sub(r"\(\?P<format>.*", "", path)
            words = set(re.findall(r"[a-z]+", path))
            user = next((u for word, u in actor_for.items() if word in words), owner)
            response = getattr(_api_client(user), method)(
                path, json.dumps(body), content_type="application/json"
            )
            sent += 1
            assert response.status_code < 500, (method, path, response.content[:300])
            if response.status_code >= 400:
                error = assert_error(response, response.status_code)
                if response.status_code == 400 and value == "nul":
                    assert error.get("fields"), (method, path, error)
    assert sent >= 12
