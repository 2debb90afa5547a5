"""After publishing: extending the deadline, corrections with a change log, declining or
redacting questions, answers emailed to every participant, messages to respondents.

Each write is tried by the cast: the author and a co-owner (allowed), a colleague from the
same public body who does not own the request, an outsider (a supplier, and a civil
servant of another body) and a moderator (refused: moderators correct in admin)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accounts.models import OutboundEmail
from core.errors import DomainError
from engagement import services
from engagement.models import ClarificationQuestion, EngagementRequest, RequestChange
from tests import factories

pytestmark = pytest.mark.django_db

REFUSED = ["colleague", "other_owner", "civil_servant", "moderator"]


@pytest.fixture
def colleague(body):
    """A civil servant of the request's own body who is not one of its owners."""
    return factories.CivilServantFactory(public_body=body, full_name="Colin Colleague")


@pytest.fixture
def asker(open_request, other_owner):
    """other_owner's supplier asks a question (so it is a participant that did not respond)."""
    supplier = other_owner.supplier_memberships.get().supplier
    return services.question_ask(
        actor=other_owner,
        engagement_request=open_request,
        supplier=supplier,
        question="Can Acme Widgets Ltd of Leeds pilot this?",
    )


def _later(days: int = 21):
    return timezone.now() + timedelta(days=days)


# --- Extending the deadline ------------------------------------------------------------


def test_extending_the_deadline_tells_every_participant_after_commit(
    open_request,
    response,
    asker,
    author,
    responder,
    other_owner,
    django_capture_on_commit_callbacks,
):
    new_deadline = _later().replace(microsecond=0)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.engagement_request_extend_deadline(
            actor=author, engagement_request=open_request, response_deadline=new_deadline
        )
        # Written to the outbox; nothing sent until the transaction commits.
        assert not mail.outbox
    assert callbacks
    open_request.refresh_from_db()
    assert open_request.response_deadline == new_deadline
    emails = OutboundEmail.objects.filter(subject__startswith="More time to respond")
    assert set(emails.values_list("to", flat=True)) == {responder.email, other_owner.email}
    change = RequestChange.objects.get(engagement_request=open_request)
    assert change.kind == "deadline_extended" and "Deadline extended from" in change.summary
    # A retry of the same extension emails no one twice.
    EngagementRequest.objects.filter(pk=open_request.pk).update(
        response_deadline=new_deadline - timedelta(days=1)
    )
    services.engagement_request_extend_deadline(
        actor=author, engagement_request=open_request, response_deadline=new_deadline
    )
    assert emails.count() == 2


def test_co_owner_may_extend_but_not_to_an_earlier_time(open_request, co_owner):
    with pytest.raises(DomainError) as refused:
        services.engagement_request_extend_deadline(
            actor=co_owner,
            engagement_request=open_request,
            response_deadline=open_request.response_deadline - timedelta(hours=1),
        )
    assert "later than the current one" in str(refused.value)
    services.engagement_request_extend_deadline(
        actor=co_owner, engagement_request=open_request, response_deadline=_later()
    )


@pytest.mark.parametrize("who", REFUSED)
def test_only_owners_extend_the_deadline(request, open_request, who):
    with pytest.raises(PermissionDenied):
        services.engagement_request_extend_deadline(
            actor=request.getfixturevalue(who),
            engagement_request=open_request,
            response_deadline=_later(),
        )


def test_a_closed_request_cannot_be_extended(open_request, author):
    services.engagement_request_close(actor=author, engagement_request=open_request)
    with pytest.raises(DomainError):
        services.engagement_request_extend_deadline(
            actor=author, engagement_request=open_request, response_deadline=_later()
        )


# --- Corrections ---------------------------------------------------------------------


def test_a_correction_is_saved_searchable_and_logged(client, open_request, author):
    services.engagement_request_correct(
        actor=author,
        engagement_request=open_request,
        note="Fixed a typo in the title",
        title="Finding out about telemetry",
        problem=open_request.problem,  # unchanged: not in the log
    )
    open_request.refresh_from_db()
    assert open_request.title == "Finding out about telemetry"
    change = RequestChange.objects.get(engagement_request=open_request)
    assert change.fields == ["title"]
    assert change.summary == "Corrected the title: Fixed a typo in the title"
    page = client.get(f"/engagement/{open_request.pk}/").content.decode()
    assert "Changes to this request" in page and "Fixed a typo in the title" in page
    assert EngagementRequest.objects.filter(pk=open_request.pk, search_vector="telemetry").exists()


def test_a_correction_must_change_something_and_say_what(open_request, author):
    with pytest.raises(DomainError):
        services.engagement_request_correct(
            actor=author, engagement_request=open_request, note="", title="New"
        )
    with pytest.raises(DomainError):
        services.engagement_request_correct(
            actor=author, engagement_request=open_request, note="x", title=open_request.title
        )
    with pytest.raises(DomainError):
        services.engagement_request_correct(
            actor=author, engagement_request=open_request, note="x", title="Two\nlines"
        )
    with pytest.raises(ValueError):
        services.engagement_request_correct(
            actor=author, engagement_request=open_request, note="x", capabilities=[]
        )
    assert not RequestChange.objects.exists()


@pytest.mark.parametrize("who", REFUSED)
def test_only_owners_correct(request, open_request, who):
    with pytest.raises(PermissionDenied):
        services.engagement_request_correct(
            actor=request.getfixturevalue(who),
            engagement_request=open_request,
            note="Typo",
            title="Changed",
        )


def test_co_owner_corrects_a_draft_only_through_its_question_pages(draft, co_owner):
    with pytest.raises(DomainError):
        services.engagement_request_correct(
            actor=co_owner, engagement_request=draft, note="Typo", title="Changed"
        )


# --- Questions: decline, redact, answer to everyone -------------------------------------


def test_declining_tells_the_asker_and_never_publishes(
    client, open_request, asker, author, other_owner
):
    services.question_decline(actor=author, question=asker, reason="It names a company.")
    asker.refresh_from_db()
    assert asker.is_declined and not asker.is_published
    email = OutboundEmail.objects.get(to=other_owner.email, subject__contains="not be answered")
    assert "It names a company." in email.body
    with pytest.raises(DomainError):
        services.question_answer(actor=author, question=asker, answer="Too late")
    with pytest.raises(DomainError):
        services.question_decline(actor=author, question=asker, reason="Again")
    assert OutboundEmail.objects.filter(subject__contains="not be answered").count() == 1
    client.force_login(author)
    page = client.get(f"/engagement/{open_request.pk}/questions/").content.decode()
    assert "There are no questions waiting for an answer" in page
    assert "It names a company." in page


def test_an_answered_question_cannot_be_declined(asker, author):
    services.question_answer(actor=author, question=asker, answer="Yes")
    with pytest.raises(DomainError):
        services.question_decline(actor=author, question=asker, reason="Changed my mind")


@pytest.mark.parametrize("who", REFUSED)
def test_only_owners_decline(request, asker, who):
    with pytest.raises(PermissionDenied):
        services.question_decline(actor=request.getfixturevalue(who), question=asker, reason="No")


def test_a_redacted_question_is_published_without_the_askers_words(
    client, open_request, asker, co_owner
):
    services.question_answer(
        actor=co_owner,
        question=asker,
        answer="Yes, any supplier can.",
        question_text="Can a supplier in Yorkshire pilot this?",
    )
    asker.refresh_from_db()
    assert asker.question == "Can a supplier in Yorkshire pilot this?"
    assert asker.original_question == "Can Acme Widgets Ltd of Leeds pilot this?"
    page = client.get(f"/engagement/{open_request.pk}/").content.decode()
    assert "Yorkshire" in page and "Acme" not in page
    published = OutboundEmail.objects.filter(subject__contains="has been answered")
    assert all("Acme" not in body for body in published.values_list("body", flat=True))


def test_publishing_an_answer_emails_every_participant_once(
    open_request, response, asker, author, responder, other_owner, matched_supplier
):
    # A second person at the responding supplier hears too.
    teammate = factories.MembershipFactory(supplier=matched_supplier, role="member").user
    services.question_answer(actor=author, question=asker, answer="Yes.")
    services.question_answer(actor=author, question=asker, answer="Yes, edited.")
    to_asker = OutboundEmail.objects.filter(subject__startswith="Your question")
    to_others = OutboundEmail.objects.filter(subject__startswith="A clarification question")
    assert list(to_asker.values_list("to", flat=True)) == [other_owner.email]
    assert sorted(to_others.values_list("to", flat=True)) == sorted(
        [responder.email, teammate.email]
    )


# --- Messages to respondents ---------------------------------------------------------


def test_message_respondents_reaches_respondents_only(
    open_request, response, asker, author, responder, other_owner
):
    message = services.engagement_request_message_respondents(
        actor=author,
        engagement_request=open_request,
        subject="Session link",
        body="Join at https://example.org/session",
    )
    assert message.recipient_count == 1
    emails = OutboundEmail.objects.filter(subject__startswith="Session link")
    assert list(emails.values_list("to", flat=True)) == [responder.email]  # not the asker
    assert "https://example.org/session" in emails.get().body


def test_message_needs_a_subject_a_body_and_a_respondent(open_request, author):
    with pytest.raises(DomainError) as refused:
        services.engagement_request_message_respondents(
            actor=author, engagement_request=open_request, subject="", body=""
        )
    assert set(refused.value.message_dict) == {"subject", "body"}
    with pytest.raises(DomainError):
        services.engagement_request_message_respondents(
            actor=author, engagement_request=open_request, subject="Hi", body="No one yet"
        )


@pytest.mark.parametrize("who", REFUSED)
def test_only_owners_message_respondents(request, response, open_request, who):
    with pytest.raises(PermissionDenied):
        services.engagement_request_message_respondents(
            actor=request.getfixturevalue(who),
            engagement_request=open_request,
            subject="Hi",
            body="Hello",
        )


# --- The pages ------------------------------------------------------------------------

PAGES = ["extend-deadline/", "correct/", "message/", "questions/{q}/decline/"]


@pytest.mark.parametrize("suffix", PAGES)
@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("author", 200),
        ("co_owner", 200),
        ("colleague", 403),
        ("other_owner", 403),
        ("moderator", 403),
        ("anonymous", 302),
    ],
)
def test_pages_are_for_owners(request, client, open_request, asker, suffix, who, status):
    user = request.getfixturevalue(who)
    if user.is_authenticated:
        client.force_login(user)
    got = client.get(f"/engagement/{open_request.pk}/" + suffix.format(q=asker.pk))
    assert got.status_code == status


def test_pages_write_through_the_services(client, open_request, response, asker, author):
    client.force_login(author)
    base = f"/engagement/{open_request.pk}/"
    day = _later(30)
    got = client.post(
        base + "extend-deadline/",
        {
            "deadline_date_0": day.day,
            "deadline_date_1": day.month,
            "deadline_date_2": day.year,
            "deadline_time": "2pm",
        },
    )
    assert got.status_code == 302
    open_request.refresh_from_db()
    local = timezone.localtime(open_request.response_deadline)
    assert (local.date(), local.hour) == (day.date(), 14)

    got = client.post(
        base + "correct/",
        {
            "title": open_request.title,
            "policy_area": "Adult social care and health",
            "problem": open_request.problem,
            "session_link_note": open_request.session_link_note,
            "procurement_timing": open_request.procurement_timing,
            "note": "Added health",
        },
    )
    assert got.status_code == 302
    assert RequestChange.objects.filter(fields=["policy_area"]).exists()

    got = client.post(base + "message/", {"subject": "Link", "body": "https://example.org"})
    assert got.status_code == 302
    assert OutboundEmail.objects.filter(subject__startswith="Link").exists()

    got = client.post(base + f"questions/{asker.pk}/decline/", {"reason": ""})
    assert got.status_code == 200
    assert "Enter why you are declining the question" in got.content.decode()
    got = client.post(base + f"questions/{asker.pk}/decline/", {"reason": "Off topic"})
    assert got.status_code == 302
    assert ClarificationQuestion.objects.get(pk=asker.pk).is_declined


def test_message_page_explains_when_no_one_has_responded(client, open_request, author):
    client.force_login(author)
    got = client.post(
        f"/engagement/{open_request.pk}/message/", {"subject": "Link", "body": "Hello"}
    )
    assert got.status_code == 200
    assert "No organisation has responded yet" in got.content.decode()
