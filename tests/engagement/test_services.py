"""Services: the rules of writing, publishing and taking part, with their permissions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accounts.models import OutboundEmail
from accounts.tasks import send_pending_emails
from core.errors import DomainError
from engagement import services
from engagement.models import (
    AlertPreference,
    EngagementRequest,
    Match,
    Notification,
    Participant,
    SupplierResponse,
)
from suppliers.models import Region
from tests import factories
from tests.engagement.factories import EngagementRequestFactory

pytestmark = pytest.mark.django_db


def test_civil_servant_starts_a_draft_for_their_body(author):
    er = services.engagement_request_create(actor=author, title="  Smart meters  ")
    assert er.status == "draft"
    assert er.title == "Smart meters"
    assert er.public_body == author.public_body
    assert er.history.first().history_change_reason == "Draft started"
    assert er.history.first().history_user == author


@pytest.mark.parametrize("who", ["owner", "member", "moderator", "anonymous"])
def test_only_civil_servants_start_requests(request, who):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        services.engagement_request_create(actor=user, title="A request")


def test_blank_title_is_a_field_error(author):
    with pytest.raises(DomainError) as error:
        services.engagement_request_create(actor=author, title="   ")
    assert "title" in error.value.message_dict


def test_draft_answers_are_saved_and_searchable(draft, author, capability):
    services.engagement_request_update_draft(
        actor=author, engagement_request=draft, problem="Carers need telecare", capabilities=[]
    )
    draft.refresh_from_db()
    assert draft.problem == "Carers need telecare"
    assert list(draft.capabilities.all()) == []
    assert EngagementRequest.objects.filter(pk=draft.pk, search_vector="telecare").exists()


@pytest.mark.parametrize("who", ["civil_servant", "owner", "moderator", "anonymous"])
def test_only_owners_change_a_draft(request, draft, who):
    with pytest.raises(PermissionDenied):
        services.engagement_request_update_draft(
            actor=request.getfixturevalue(who), engagement_request=draft, title="Hijacked"
        )


def test_co_owner_changes_a_draft(draft, co_owner):
    services.engagement_request_update_draft(actor=co_owner, engagement_request=draft, title="New")
    draft.refresh_from_db()
    assert draft.title == "New"


def test_budget_range_must_be_ordered(draft, author):
    with pytest.raises(DomainError) as error:
        services.engagement_request_update_draft(
            actor=author, engagement_request=draft, budget_min=10, budget_max=5
        )
    assert "budget_max" in error.value.message_dict


def test_publish_lists_every_missing_answer(author):
    er = services.engagement_request_create(actor=author, title="Half done")
    with pytest.raises(DomainError) as error:
        services.engagement_request_publish(actor=author, engagement_request=er)
    assert {"problem", "help_kind", "capabilities", "formats", "response_deadline"} <= set(
        error.value.message_dict
    )
    er.refresh_from_db()
    assert er.status == "draft"


def test_publish_rejects_a_deadline_in_the_past(draft, author):
    draft.response_deadline = timezone.now() - timedelta(minutes=1)
    draft.save()
    with pytest.raises(DomainError) as error:
        services.engagement_request_publish(actor=author, engagement_request=draft)
    assert "response_deadline" in error.value.message_dict


def test_publish_matches_and_writes_notifications(draft, author, matched_supplier, responder):
    unmatched = factories.SupplierFactory()  # no capabilities
    er = services.engagement_request_publish(actor=author, engagement_request=draft)
    assert er.status == "open" and er.published_at
    match = Match.objects.get(engagement_request=er)
    assert match.supplier == matched_supplier and match.rank == 1
    assert "Serves London" in match.reason
    assert not Match.objects.filter(supplier=unmatched).exists()
    notification = Notification.objects.get(engagement_request=er)
    assert notification.supplier == matched_supplier
    assert notification.frequency == "immediate"


@pytest.mark.parametrize("who", ["civil_servant", "responder", "moderator", "anonymous"])
def test_only_owners_publish(request, draft, who):
    with pytest.raises(PermissionDenied):
        services.engagement_request_publish(
            actor=request.getfixturevalue(who), engagement_request=draft
        )


def test_publishing_twice_is_refused(open_request, author):
    with pytest.raises(DomainError):
        services.engagement_request_publish(actor=author, engagement_request=open_request)
    assert Match.objects.filter(engagement_request=open_request).count() == 1


def test_alert_preferences_decide_who_is_notified(draft, author, capability, matched_supplier):
    links = {"capabilities": [capability], "regions": list(draft.regions.all())}
    quiet = factories.SupplierFactory(name="Quiet Ltd", **links)
    weekly = factories.SupplierFactory(name="Weekly Ltd", **links)
    elsewhere = factories.SupplierFactory(name="Elsewhere Ltd", **links)
    for supplier, frequency, regions in (
        (quiet, "never", []),
        (weekly, "weekly", []),
        (elsewhere, "immediate", [Region.objects.get(code="TLM")]),
    ):
        user = factories.MembershipFactory(supplier=supplier).user
        services.alert_preference_set(
            actor=user, supplier=supplier, frequency=frequency, regions=regions
        )
    er = services.engagement_request_publish(actor=author, engagement_request=draft)
    assert Match.objects.filter(engagement_request=er).count() == 4
    notified = dict(
        Notification.objects.filter(engagement_request=er).values_list(
            "supplier__name", "frequency"
        )
    )
    assert notified == {"Matched Monitoring Ltd": "immediate", "Weekly Ltd": "weekly"}


def test_pending_alerts_are_emailed_once_each(open_request, responder, matched_supplier):
    colleague = factories.MembershipFactory(supplier=matched_supplier, role="owner").user
    assert services.notifications_send_pending() == 1
    assert services.notifications_send_pending() == 0  # a second sweep finds nothing
    emails = OutboundEmail.objects.filter(subject__contains=open_request.title)
    assert sorted(emails.values_list("to", flat=True)) == sorted([responder.email, colleague.email])
    assert Notification.objects.get(engagement_request=open_request).status == "queued"
    send_pending_emails()
    send_pending_emails()
    assert len(mail.outbox) == 2
    assert "Why you were matched" in mail.outbox[0].body
    assert f"/engagement/{open_request.pk}/" in mail.outbox[0].body


def test_alerts_for_a_withdrawn_request_are_skipped(open_request, author):
    services.engagement_request_withdraw(
        actor=author, engagement_request=open_request, reason="Policy changed"
    )
    services.notifications_send_pending()
    assert Notification.objects.get(engagement_request=open_request).status == "skipped"
    assert not OutboundEmail.objects.exists()


def test_weekly_digest_groups_requests_and_runs_once(author, capability, region):
    supplier = factories.SupplierFactory(capabilities=[capability], regions=[region])
    member = factories.MembershipFactory(supplier=supplier).user
    services.alert_preference_set(actor=member, supplier=supplier, frequency="weekly")
    for n in range(2):
        er = EngagementRequestFactory(
            author=author, title=f"Digest item {n}", capabilities=[capability], regions=[region]
        )
        services.engagement_request_publish(actor=author, engagement_request=er)
    assert services.notifications_send_pending() == 0  # weekly ones wait
    assert services.notifications_send_weekly_digest() == 1
    assert services.notifications_send_weekly_digest() == 0
    email = OutboundEmail.objects.get(to=member.email)
    assert "Digest item 0" in email.body and "Digest item 1" in email.body


def test_withdraw_needs_a_reason_and_an_open_request(open_request, author, draft):
    with pytest.raises(DomainError):
        services.engagement_request_withdraw(
            actor=author, engagement_request=open_request, reason=" "
        )
    er = services.engagement_request_withdraw(
        actor=author, engagement_request=open_request, reason="Budget withdrawn"
    )
    assert er.status == "withdrawn" and er.withdrawal_reason == "Budget withdrawn"
    assert er.history.first().history_change_reason.startswith("Withdrawn")
    with pytest.raises(DomainError):
        services.engagement_request_withdraw(actor=author, engagement_request=er, reason="Again")


@pytest.mark.parametrize("who", ["civil_servant", "responder", "moderator", "anonymous"])
def test_only_owners_withdraw_or_close(request, open_request, who):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        services.engagement_request_withdraw(
            actor=user, engagement_request=open_request, reason="No"
        )
    with pytest.raises(PermissionDenied):
        services.engagement_request_close(actor=user, engagement_request=open_request)


def test_co_owner_closes_early(open_request, co_owner):
    er = services.engagement_request_close(actor=co_owner, engagement_request=open_request)
    assert er.status == "closed" and er.closed_at
    assert er.history.first().history_change_reason == "Closed early"


def test_closing_at_the_deadline_is_idempotent(open_request):
    assert services.engagement_requests_close_due() == 0  # not due yet
    EngagementRequest.objects.filter(pk=open_request.pk).update(
        response_deadline=timezone.now() - timedelta(seconds=1)
    )
    assert services.engagement_requests_close_due() == 1
    assert services.engagement_requests_close_due() == 0
    assert not services.engagement_request_close_at_deadline(engagement_request_id=open_request.pk)
    open_request.refresh_from_db()
    assert open_request.status == "closed"
    reasons = list(open_request.history.values_list("history_change_reason", flat=True))
    assert reasons.count("Closed at the deadline") == 1


def test_procurement_follows_a_closed_request(open_request, author):
    with pytest.raises(DomainError):
        services.engagement_request_mark_procurement(
            actor=author, engagement_request=open_request, reference="FTS-1"
        )
    services.engagement_request_close(actor=author, engagement_request=open_request)
    er = services.engagement_request_mark_procurement(
        actor=author, engagement_request=open_request, reference="FTS-2026-001"
    )
    assert er.status == "procurement"


def test_author_adds_a_colleague_from_the_same_body(draft, author, body, civil_servant):
    colleague = factories.CivilServantFactory(public_body=body)
    services.engagement_request_add_co_owner(
        actor=author, engagement_request=draft, email=colleague.email.upper()
    )
    assert colleague in draft.co_owners.all()
    assert OutboundEmail.objects.filter(to=colleague.email).count() == 1
    with pytest.raises(DomainError):  # another body
        services.engagement_request_add_co_owner(
            actor=author, engagement_request=draft, email=civil_servant.email
        )
    with pytest.raises(DomainError):  # not a civil servant
        services.engagement_request_add_co_owner(
            actor=author, engagement_request=draft, email=factories.UserFactory().email
        )


def test_co_owners_cannot_add_co_owners(draft, co_owner, body):
    colleague = factories.CivilServantFactory(public_body=body)
    with pytest.raises(PermissionDenied):
        services.engagement_request_add_co_owner(
            actor=co_owner, engagement_request=draft, email=colleague.email
        )


def test_one_response_per_organisation_editable_until_deadline(
    open_request, responder, matched_supplier
):
    colleague = factories.MembershipFactory(supplier=matched_supplier).user
    first = services.response_submit(
        actor=responder, engagement_request=open_request, supplier=matched_supplier, summary="A"
    )
    second = services.response_submit(
        actor=colleague, engagement_request=open_request, supplier=matched_supplier, summary="B"
    )
    assert first.pk == second.pk
    assert SupplierResponse.objects.get().summary == "B"
    assert Participant.objects.filter(kind="responded", supplier=matched_supplier).count() == 1
    EngagementRequest.objects.filter(pk=open_request.pk).update(
        response_deadline=timezone.now() - timedelta(seconds=1)
    )
    open_request.refresh_from_db()
    with pytest.raises(DomainError):
        services.response_submit(
            actor=responder, engagement_request=open_request, supplier=matched_supplier, summary="C"
        )


def test_response_case_studies_must_be_the_suppliers_own(open_request, responder, matched_supplier):
    foreign = factories.CaseStudyFactory()
    with pytest.raises(DomainError):
        services.response_submit(
            actor=responder,
            engagement_request=open_request,
            supplier=matched_supplier,
            summary="A",
            case_studies=[foreign],
        )


@pytest.mark.parametrize("who", ["other_owner", "author", "civil_servant", "moderator"])
def test_only_the_organisations_people_respond_for_it(request, open_request, matched_supplier, who):
    with pytest.raises(PermissionDenied):
        services.response_submit(
            actor=request.getfixturevalue(who),
            engagement_request=open_request,
            supplier=matched_supplier,
            summary="Not ours",
        )


def test_a_supplier_that_is_not_published_cannot_respond(open_request):
    draft_supplier = factories.SupplierFactory(status="draft")
    user = factories.MembershipFactory(supplier=draft_supplier).user
    with pytest.raises(DomainError):
        services.response_submit(
            actor=user, engagement_request=open_request, supplier=draft_supplier, summary="Hi"
        )


def test_marking_responses_is_for_owners(response, author, co_owner, responder, moderator):
    services.response_mark(actor=co_owner, response=response, mark="useful")
    response.refresh_from_db()
    assert response.mark == "useful"
    for user in (responder, moderator):
        with pytest.raises(PermissionDenied):
            services.response_mark(actor=user, response=response, mark="not_relevant")
    with pytest.raises(DomainError):
        services.response_mark(actor=author, response=response, mark="brilliant")


def test_questions_are_published_anonymously_once_answered(
    open_request, responder, matched_supplier, author
):
    question = services.question_ask(
        actor=responder,
        engagement_request=open_request,
        supplier=matched_supplier,
        question="Is a pilot in one county possible?",
    )
    assert not question.is_published
    assert Participant.objects.filter(kind="asked", supplier=matched_supplier).exists()
    services.question_answer(actor=author, question=question, answer="Yes, in Kent.")
    services.question_answer(actor=author, question=question, answer="Yes, in Kent or Essex.")
    question.refresh_from_db()
    assert question.is_published and question.answer == "Yes, in Kent or Essex."
    # The asker hears once, however often the answer is edited.
    assert (
        OutboundEmail.objects.filter(to=responder.email, subject__contains="answered").count() == 1
    )


@pytest.mark.parametrize("who", ["other_owner", "civil_servant", "moderator"])
def test_only_owners_answer(request, open_request, responder, matched_supplier, who):
    question = services.question_ask(
        actor=responder, engagement_request=open_request, supplier=matched_supplier, question="Q?"
    )
    with pytest.raises(PermissionDenied):
        services.question_answer(actor=request.getfixturevalue(who), question=question, answer="A")


def test_attendance_is_recorded_once(open_request, author, other_owner):
    supplier = other_owner.supplier_memberships.get().supplier
    services.participant_record_attendance(
        actor=author, engagement_request=open_request, supplier=supplier
    )
    services.participant_record_attendance(
        actor=author, engagement_request=open_request, supplier=supplier
    )
    assert Participant.objects.filter(kind="attended").count() == 1
    with pytest.raises(PermissionDenied):
        services.participant_record_attendance(
            actor=other_owner, engagement_request=open_request, supplier=supplier
        )


def test_alert_preferences_only_for_the_organisations_people(matched_supplier, other_owner):
    with pytest.raises(PermissionDenied):
        services.alert_preference_set(
            actor=other_owner, supplier=matched_supplier, frequency="never"
        )
    owner = factories.MembershipFactory(supplier=matched_supplier, role="owner").user
    pref = services.alert_preference_set(actor=owner, supplier=matched_supplier, frequency="weekly")
    assert pref.frequency == "weekly"
    assert AlertPreference.history.filter(supplier_id=matched_supplier.pk).exists()
    with pytest.raises(DomainError):
        services.alert_preference_set(actor=owner, supplier=matched_supplier, frequency="hourly")
