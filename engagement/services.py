"""Every write in early engagement: one function per use case.

Each runs in one transaction, checks permission through engagement.permissions
(raising PermissionDenied), raises DomainError for a broken rule, records
history, and queues side effects (alerts, emails) with transaction.on_commit.
Views, the API, admin actions and Celery tasks all call these.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.search import SearchVector
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import TextField, Value
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from accounts.models import PublicBody, User
from accounts.permissions import is_civil_servant
from accounts.services import email_queue
from core.errors import DomainError
from core.forms import too_long_message
from core.tasks import enqueue_on_commit
from core.templatetags.govuk_time import format_govuk_datetime
from core.validators import has_line_break, no_line_breaks
from engagement import permissions
from engagement.matching import match_suppliers
from engagement.models import (
    AlertPreference,
    ClarificationQuestion,
    EngagementRequest,
    Match,
    Notification,
    Participant,
    RequestChange,
    RespondentMessage,
    SupplierResponse,
)
from engagement.search import add_request_words
from suppliers.models import Capability, CaseStudy, Region, Supplier, SupplierMembership

logger = logging.getLogger(__name__)
Status = EngagementRequest.Status
Format = EngagementRequest.Format

# Fields a draft's question pages may change, and nothing else.
DRAFT_FIELDS = {
    "title",
    "public_body",
    "policy_area",
    "problem",
    "help_kind",
    "capabilities",
    "regions",
    "formats",
    "session_date",
    "session_start",
    "session_end",
    "session_place",
    "session_link_note",
    "response_deadline",
    "budget_min",
    "budget_max",
    "procurement_timing",
}
M2M_FIELDS = {"capabilities", "regions"}
QUESTION_MAX_LENGTH = 2000


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _save(instance, *, actor: User | None, reason: str, update_fields=None) -> None:
    instance._history_user = actor
    instance._change_reason = reason
    instance.save(update_fields=update_fields)


def engagement_request_refresh_search_vector(*, engagement_request: EngagementRequest) -> None:
    """Rewrite the request's stored search vector from its text, capabilities and body.

    Before: the request row and its capabilities are saved. After: its ``search_vector``
    matches them (weighted: title A, in 'simple' and 'english'; policy area, capabilities
    and public body B; problem C) and their words are in the engagement vocabulary
    (``engagement.search``). Every service that changes those calls it; so do the
    test factories, which set capabilities around the services. Running it twice changes
    nothing.
    """
    capability_names = " ".join(engagement_request.capabilities.values_list("name", flat=True))
    body = engagement_request.public_body.name if engagement_request.public_body_id else ""

    def text(value: str) -> Value:
        return Value(value or "", output_field=TextField())

    # The title is indexed with 'simple' too, as the registry indexes names, so a
    # title of stop words or odd spellings is still found and ranks first.
    EngagementRequest.objects.filter(pk=engagement_request.pk).update(
        search_vector=SearchVector(text(engagement_request.title), weight="A", config="simple")
        + SearchVector(text(engagement_request.title), weight="A", config="english")
        + SearchVector(
            text(f"{engagement_request.policy_area} {capability_names} {body}"),
            weight="B",
            config="english",
        )
        + SearchVector(text(engagement_request.problem), weight="C", config="english")
    )
    # Its words join the vocabulary of spelling correction on the same write path.
    add_request_words(engagement_request, extra=f"{capability_names} {body}")


# --- Writing and publishing a request ----------------------------------------------


def engagement_request_create(
    *, actor: User, title: str, public_body: PublicBody | None = None
) -> EngagementRequest:
    """Start a draft request. Before: the actor is a civil servant. After: a draft they own.

    The request's public body is the author's: the one their membership proves
    (accounts.services). ``public_body`` is ignored unless it is that body.
    """
    if not permissions.can_create_request(actor):
        raise PermissionDenied("Only civil servants can ask the market.")
    title = (title or "").strip()
    if not title:
        raise DomainError({"title": "Enter a title for your request"})
    if has_line_break(title):  # it goes into email subjects
        raise DomainError({"title": no_line_breaks.message})
    body = actor.public_body
    if body is None or (public_body is not None and public_body.pk != body.pk):
        raise DomainError({"public_body": "A request belongs to your own public body"})
    with transaction.atomic():
        engagement_request = EngagementRequest(author=actor, public_body=body, title=title)
        _save(engagement_request, actor=actor, reason="Draft started")
        engagement_request_refresh_search_vector(engagement_request=engagement_request)
    return engagement_request


def _validate_changes(engagement_request: EngagementRequest, changes: dict) -> None:
    errors: dict[str, str] = {}
    if "title" in changes and not (changes["title"] or "").strip():
        errors["title"] = "Enter a title for your request"
    elif "title" in changes and has_line_break(changes["title"]):  # it goes into email subjects
        errors["title"] = no_line_breaks.message
    budget_min = changes.get("budget_min", engagement_request.budget_min)
    budget_max = changes.get("budget_max", engagement_request.budget_max)
    for name, value in (("budget_min", budget_min), ("budget_max", budget_max)):
        if value is not None and Decimal(value) < 0:
            errors[name] = "Enter an amount of £0 or more"
    if (
        "budget_min" not in errors
        and budget_min is not None
        and budget_max is not None
        and Decimal(budget_min) > Decimal(budget_max)
    ):
        errors["budget_max"] = "The highest amount must be the same as or more than the lowest"
    start = changes.get("session_start", engagement_request.session_start)
    end = changes.get("session_end", engagement_request.session_end)
    if start and end and end <= start:
        errors["session_end"] = "The end time must be after the start time"
    if "formats" in changes:
        allowed = set(Format.values)
        if any(value not in allowed for value in changes["formats"]):
            errors["formats"] = "Select how suppliers can take part"
    if "help_kind" in changes and changes["help_kind"] not in {"", *EngagementRequest.HelpKind}:
        errors["help_kind"] = "Select the kind of help you are looking for"
    if errors:
        raise DomainError(errors)


def engagement_request_update_draft(
    *, actor: User, engagement_request: EngagementRequest, **changes
) -> EngagementRequest:
    """Save answers from a question page on a draft. Nothing is lost between pages.

    Before: the request is a draft and the actor owns it. After: the fields given
    are saved with history and the search vector is current.
    """
    unknown = set(changes) - DRAFT_FIELDS
    if unknown:
        raise ValueError(f"Not a draft field: {', '.join(sorted(unknown))}")
    if not permissions.can_edit_draft(actor, engagement_request):
        raise PermissionDenied("Only the request's owners can change a draft.")
    new_body = changes.get("public_body")
    if new_body and new_body.pk != actor.public_body_id:
        raise DomainError({"public_body": "A request belongs to your own public body"})
    _validate_changes(engagement_request, changes)
    with transaction.atomic():
        for name, value in changes.items():
            if name not in M2M_FIELDS:
                setattr(
                    engagement_request, name, value.strip() if isinstance(value, str) else value
                )
        _save(engagement_request, actor=actor, reason="Draft updated")
        for name in M2M_FIELDS & set(changes):
            getattr(engagement_request, name).set(changes[name])
        engagement_request_refresh_search_vector(engagement_request=engagement_request)
    return engagement_request


def engagement_request_moderate(
    *, actor: User, engagement_request: EngagementRequest, reason: str = "", **changes
) -> EngagementRequest:
    """A moderator corrects a request's wording or details (the admin's change page).

    Before: ``actor`` is a moderator; ``changes`` name draft fields only, and obey the
    same rules as a draft's question pages; a request that is no longer a draft keeps
    a response deadline. After: the fields are saved with history (who, and why) and
    the search vector is current, so the request is found by its new words. Status,
    dates, owners and the procurement record change only through their own services.
    """
    unknown = set(changes) - DRAFT_FIELDS
    if unknown:
        raise ValueError(f"Not a field a moderator corrects: {', '.join(sorted(unknown))}")
    if not permissions.can_moderate_request(actor, engagement_request):
        raise PermissionDenied("Only moderators can correct a request.")
    _validate_changes(engagement_request, changes)
    with transaction.atomic():
        er = EngagementRequest.objects.select_for_update().get(pk=engagement_request.pk)
        if "response_deadline" in changes and not changes["response_deadline"] and not er.is_draft:
            raise DomainError({"response_deadline": "A published request needs its deadline"})
        for name, value in changes.items():
            if name not in M2M_FIELDS:
                setattr(er, name, value.strip() if isinstance(value, str) else value)
        _save(
            er,
            actor=actor,
            reason=(
                f"Corrected by a moderator: {reason}" if reason else "Corrected by a moderator"
            )[:100],
        )
        for name in M2M_FIELDS & set(changes):
            getattr(er, name).set(changes[name])
        engagement_request_refresh_search_vector(engagement_request=er)
    return er


def publication_problems(engagement_request: EngagementRequest) -> dict[str, str]:
    """What is still missing before a draft can be published, keyed by field."""
    er = engagement_request
    problems: dict[str, str] = {}
    if not er.title.strip():
        problems["title"] = "Enter a title for your request"
    if not er.policy_area.strip():
        problems["policy_area"] = "Enter the policy area"
    if not er.problem.strip():
        problems["problem"] = "Describe the problem in plain words"
    if not er.help_kind:
        problems["help_kind"] = "Select the kind of help you are looking for"
    if not er.capabilities.exists():
        problems["capabilities"] = "Select at least one capability"
    if not er.formats:
        problems["formats"] = "Select how suppliers can take part"
    if Format.ONLINE in er.formats or Format.IN_PERSON in er.formats:
        if not er.session_date:
            problems["session_date"] = "Enter the date of the session"
        elif er.session_date < timezone.localdate():
            problems["session_date"] = "The session date must be today or in the future"
        if not er.session_start:
            problems["session_start"] = "Enter the start time of the session"
        if Format.IN_PERSON in er.formats and not er.session_place.strip():
            problems["session_place"] = "Enter where the event will take place"
    if not er.response_deadline:
        problems["response_deadline"] = "Enter the response deadline"
    elif er.response_deadline <= timezone.now():
        problems["response_deadline"] = "The response deadline must be in the future"
    return problems


def engagement_request_publish(
    *, actor: User, engagement_request: EngagementRequest
) -> EngagementRequest:
    """Publish a complete draft, match suppliers and queue their alerts.

    Before: a draft the actor owns with every required answer. After: the request
    is open; ranked Match rows and one Notification per matched supplier whose
    alert preferences fit are written in the same transaction; the alerts are
    emailed by a Celery task after commit (or by the periodic sweep if the
    broker is down).
    """
    if not permissions.can_manage_request(actor, engagement_request):
        raise PermissionDenied("Only the request's owners can publish it.")
    with transaction.atomic():
        er = EngagementRequest.objects.select_for_update().get(pk=engagement_request.pk)
        if er.status != Status.DRAFT:
            raise DomainError("This request has already been published.")
        problems = publication_problems(er)
        if problems:
            raise DomainError(problems)
        er.status = Status.OPEN
        er.published_at = timezone.now()
        _save(er, actor=actor, reason="Published")
        # Current whatever wrote the draft (admin, import).
        engagement_request_refresh_search_vector(engagement_request=er)
        matches = _record_matches(er)
        _record_notifications(er, matches)
        enqueue_on_commit("engagement.tasks.send_request_alerts", er.pk)
    return er


def _record_matches(engagement_request: EngagementRequest) -> list[Match]:
    results = match_suppliers(engagement_request)
    rows = [
        Match(
            engagement_request=engagement_request,
            supplier_id=result.supplier_id,
            rank=result.rank,
            score=result.score,
            capability_names=result.capability_names,
            region_names=result.region_names,
            reason=result.reason,
        )
        for result in results
    ]
    return bulk_create_with_history(rows, Match, batch_size=500)


def preference_fits(
    preference: AlertPreference | None, capability_ids: set[int], region_ids: set[int]
) -> bool:
    """A supplier with no preferences hears of every match, immediately.

    Otherwise: not "never", and its chosen capabilities (if any) overlap the
    request's, and its chosen regions (if any) overlap the request's (a request
    for anywhere in the UK fits every region).
    """
    if preference is None:
        return True
    if preference.frequency == AlertPreference.Frequency.NEVER:
        return False
    wanted_caps = {c.pk for c in preference.capabilities.all()}
    if wanted_caps and not wanted_caps & capability_ids:
        return False
    wanted_regions = {r.pk for r in preference.regions.all()}
    return not (wanted_regions and region_ids and not wanted_regions & region_ids)


def _record_notifications(
    engagement_request: EngagementRequest, matches: list[Match]
) -> list[Notification]:
    capability_ids = set(engagement_request.capabilities.values_list("pk", flat=True))
    region_ids = set(engagement_request.regions.values_list("pk", flat=True))
    preferences = {
        p.supplier_id: p
        for p in AlertPreference.objects.filter(
            supplier_id__in=[m.supplier_id for m in matches]
        ).prefetch_related("capabilities", "regions")
    }
    rows = []
    for match in matches:
        preference = preferences.get(match.supplier_id)
        if preference_fits(preference, capability_ids, region_ids):
            rows.append(
                Notification(
                    engagement_request=engagement_request,
                    supplier_id=match.supplier_id,
                    frequency=preference.frequency if preference else "immediate",
                )
            )
    return bulk_create_with_history(rows, Notification, batch_size=500)


def engagement_request_withdraw(
    *, actor: User, engagement_request: EngagementRequest, reason: str
) -> EngagementRequest:
    """Withdraw an open request with a reason shown to everyone. No more responses."""
    if not permissions.can_manage_request(actor, engagement_request):
        raise PermissionDenied("Only the request's owners can withdraw it.")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError({"reason": "Enter why you are withdrawing the request"})
    with transaction.atomic():
        er = EngagementRequest.objects.select_for_update().get(pk=engagement_request.pk)
        if er.status != Status.OPEN:
            raise DomainError("Only an open request can be withdrawn.")
        er.status = Status.WITHDRAWN
        er.withdrawal_reason = reason
        er.closed_at = timezone.now()
        _save(er, actor=actor, reason=f"Withdrawn: {reason}"[:100])
    return er


def engagement_request_close(
    *, actor: User, engagement_request: EngagementRequest
) -> EngagementRequest:
    """An owner closes an open request before its deadline. No more responses or questions."""
    if not permissions.can_manage_request(actor, engagement_request):
        raise PermissionDenied("Only the request's owners can close it.")
    with transaction.atomic():
        er = EngagementRequest.objects.select_for_update().get(pk=engagement_request.pk)
        if er.status != Status.OPEN:
            raise DomainError("Only an open request can be closed.")
        er.status = Status.CLOSED
        er.closed_at = timezone.now()
        _save(er, actor=actor, reason="Closed early")
    return er


def engagement_request_close_at_deadline(*, engagement_request_id: int) -> bool:
    """The system closes one open request whose deadline has passed. Returns whether it did.

    A request already closed, withdrawn or not yet due is left alone, so running
    this twice, or racing an owner who closes early, is harmless.
    """
    with transaction.atomic():
        er = (
            EngagementRequest.objects.select_for_update()
            .filter(pk=engagement_request_id, status=Status.OPEN)
            .first()
        )
        if er is None or not er.deadline_passed:
            return False
        er.status = Status.CLOSED
        er.closed_at = timezone.now()
        _save(er, actor=None, reason="Closed at the deadline")
    return True


def engagement_requests_close_due(*, now: datetime | None = None) -> int:
    """Close every open request whose deadline has passed. Returns how many it closed."""
    due = EngagementRequest.objects.filter(
        status=Status.OPEN, response_deadline__lte=now or timezone.now()
    ).values_list("pk", flat=True)
    return sum(engagement_request_close_at_deadline(engagement_request_id=pk) for pk in list(due))


def engagement_request_mark_procurement(
    *, actor: User, engagement_request: EngagementRequest, reference: str
) -> EngagementRequest:
    """Record that a procurement followed a closed engagement (for the section 16 record)."""
    if not permissions.can_manage_request(actor, engagement_request):
        raise PermissionDenied("Only the request's owners can record a procurement.")
    reference = (reference or "").strip()
    if not reference:
        raise DomainError({"reference": "Enter the procurement reference or notice link"})
    with transaction.atomic():
        er = EngagementRequest.objects.select_for_update().get(pk=engagement_request.pk)
        if er.status != Status.CLOSED:
            raise DomainError("Only a closed request can be followed by a procurement.")
        er.status = Status.PROCUREMENT
        er.procurement_reference = reference
        _save(er, actor=actor, reason="Followed by procurement")
    return er


def engagement_request_add_co_owner(
    *, actor: User, engagement_request: EngagementRequest, email: str
) -> User:
    """The author adds a colleague from the same public body as a co-owner."""
    if not permissions.can_manage_co_owners(actor, engagement_request):
        raise PermissionDenied("Only the author can add co-owners.")
    email = (email or "").strip().lower()
    colleague = User.objects.filter(email__iexact=email, is_active=True).first()
    if colleague is None or not is_civil_servant(colleague):
        raise DomainError({"email": "Enter the email address of a civil servant with an account"})
    if colleague.public_body_id != engagement_request.public_body_id:
        raise DomainError({"email": "Co-owners must work for the same public body"})
    if colleague.pk == engagement_request.author_id:
        raise DomainError({"email": "The author already owns this request"})
    with transaction.atomic():
        engagement_request._history_user = actor
        engagement_request.co_owners.add(colleague)
        email_queue(
            to=colleague.email,
            subject=f"You co-own “{engagement_request.title}”",
            body=render_to_string(
                "engagement/email/co_owner.txt",
                {
                    "request": engagement_request,
                    "author": actor,
                    "url": _request_url(engagement_request),
                },
            ),
            dedupe_key=f"engagement:co-owner:{engagement_request.pk}:{colleague.pk}",
        )
    return colleague


def engagement_request_remove_co_owner(
    *, actor: User, engagement_request: EngagementRequest, co_owner: User
) -> None:
    if not permissions.can_manage_co_owners(actor, engagement_request):
        raise PermissionDenied("Only the author can remove co-owners.")
    with transaction.atomic():
        engagement_request._history_user = actor
        engagement_request.co_owners.remove(co_owner)


def _request_url(engagement_request: EngagementRequest) -> str:
    return absolute_url(reverse("engagement:detail", args=[engagement_request.pk]))


# --- Suppliers take part ---------------------------------------------------------------


def _record_participant(
    *, engagement_request: EngagementRequest, supplier: Supplier, kind: str, actor: User | None
) -> Participant:
    participant, created = Participant.objects.get_or_create(
        engagement_request=engagement_request,
        supplier=supplier,
        kind=kind,
        defaults={"recorded_by": actor},
    )
    return participant


def response_submit(
    *,
    actor: User,
    engagement_request: EngagementRequest,
    supplier: Supplier,
    summary: str,
    availability: str = "",
    case_studies: Iterable[CaseStudy] = (),
) -> SupplierResponse:
    """Write or rewrite the organisation's one response, until the deadline.

    Before: the actor acts for the published supplier and the request is open
    with its deadline ahead. After: one response for the organisation (a second
    call edits it) and the supplier is on the participants register.
    """
    if not permissions.acts_for_supplier(actor, supplier):
        raise PermissionDenied("You can only respond for an organisation you belong to.")
    if not supplier.is_published:
        raise DomainError("Your organisation's profile must be published before it can respond.")
    summary = (summary or "").strip()
    if not summary:
        raise DomainError({"summary": "Enter a summary of your relevant expertise"})
    case_studies = list(case_studies)
    if any(cs.supplier_id != supplier.pk for cs in case_studies):
        raise DomainError({"case_studies": "Choose case studies from your own profile"})
    with transaction.atomic():
        er = EngagementRequest.objects.select_for_update().get(pk=engagement_request.pk)
        if not er.accepting_responses:
            raise DomainError("The deadline for responses has passed.")
        response = SupplierResponse.objects.filter(engagement_request=er, supplier=supplier).first()
        created = response is None
        if created:
            response = SupplierResponse(engagement_request=er, supplier=supplier)
        response.submitted_by = actor
        response.summary = summary
        response.availability = (availability or "").strip()
        _save(response, actor=actor, reason="Response submitted" if created else "Response edited")
        response.case_studies.set(case_studies)
        _record_participant(
            engagement_request=er, supplier=supplier, kind=Participant.Kind.RESPONDED, actor=actor
        )
    return response


def response_mark(*, actor: User, response: SupplierResponse, mark: str) -> SupplierResponse:
    """The request's owners mark a response useful or not relevant (or clear the mark)."""
    if not permissions.can_view_responses(actor, response.engagement_request):
        raise PermissionDenied("Only the request's owners can mark responses.")
    if mark not in SupplierResponse.Mark.values:
        raise DomainError({"mark": "Select useful or not relevant"})
    with transaction.atomic():
        response.mark = mark
        _save(response, actor=actor, reason=f"Marked {mark or 'unmarked'}", update_fields=["mark"])
    return response


def question_ask(
    *, actor: User, engagement_request: EngagementRequest, supplier: Supplier, question: str
) -> ClarificationQuestion:
    """A supplier asks a clarification question; it is published only once answered."""
    if not permissions.acts_for_supplier(actor, supplier):
        raise PermissionDenied("You can only ask for an organisation you belong to.")
    if not supplier.is_published:
        raise DomainError("Your organisation's profile must be published before it can ask.")
    question = (question or "").strip()
    if not question:
        raise DomainError({"question": "Enter your question"})
    if len(question) > QUESTION_MAX_LENGTH:
        raise DomainError({"question": too_long_message("Question", QUESTION_MAX_LENGTH)})
    with transaction.atomic():
        er = EngagementRequest.objects.select_for_update().get(pk=engagement_request.pk)
        if not er.accepting_responses:
            raise DomainError("Questions can only be asked while the request is open.")
        item = ClarificationQuestion(
            engagement_request=er, supplier=supplier, asked_by=actor, question=question
        )
        _save(item, actor=actor, reason="Question asked")
        _record_participant(
            engagement_request=er, supplier=supplier, kind=Participant.Kind.ASKED, actor=actor
        )
    return item


def _participant_people(
    engagement_request: EngagementRequest, kinds: Iterable[str] | None = None
) -> list[User]:
    """Active members of the suppliers on the request's participants register (of ``kinds``),
    each person once."""
    participants = Participant.objects.filter(engagement_request=engagement_request)
    if kinds is not None:
        participants = participants.filter(kind__in=list(kinds))
    people = _recipients(set(participants.values_list("supplier_id", flat=True)))
    unique = {person.pk: person for members in people.values() for person in members}
    return [unique[pk] for pk in sorted(unique)]


def _email_each(people: Iterable[User], *, subject: str, body: str, key: str) -> None:
    """The same email to each person through the outbox, deduplicated per person
    (``key:person-pk``), so a retried write sends nobody a second copy."""
    for person in people:
        email_queue(to=person.email, subject=subject, body=body, dedupe_key=f"{key}:{person.pk}")


def question_answer(
    *, actor: User, question: ClarificationQuestion, answer: str, question_text: str | None = None
) -> ClarificationQuestion:
    """Answer a question; question and answer are then published to everyone, anonymously.

    Before: the actor owns the request and the question is not declined. ``question_text``,
    when given and different, is the question as published (redacted, say to remove who
    asked); the asker's words are kept in ``original_question`` for the owners and history.
    After: the question is published; the asker is emailed that it is answered, and every
    other participant's people (responded, asked or attended) that an answer is published:
    outbox emails with dedupe keys, so a retry or an edit of the answer emails no one twice.
    """
    if not permissions.can_manage_request(actor, question.engagement_request):
        raise PermissionDenied("Only the request's owners can answer questions.")
    answer = (answer or "").strip()
    if not answer:
        raise DomainError({"answer": "Enter your answer"})
    if question_text is not None:
        question_text = question_text.strip()
        if not question_text:
            raise DomainError({"question_text": "Enter the question as it will be published"})
        if len(question_text) > QUESTION_MAX_LENGTH:
            raise DomainError({"question_text": too_long_message("Question", QUESTION_MAX_LENGTH)})
    with transaction.atomic():
        question = (
            ClarificationQuestion.objects.select_for_update(of=("self",))
            .select_related("engagement_request", "asked_by")
            .get(pk=question.pk)
        )
        if question.is_declined:
            raise DomainError("This question was declined, so it cannot be answered.")
        if question_text is not None and question_text != question.question:
            question.original_question = question.original_question or question.question
            question.question = question_text
        question.answer = answer
        question.answered_by = actor
        question.answered_at = question.answered_at or timezone.now()
        _save(question, actor=actor, reason="Answered and published")
        er = question.engagement_request
        context = {"request": er, "question": question, "url": _request_url(er)}
        if question.asked_by_id and question.asked_by.is_active:
            email_queue(
                to=question.asked_by.email,
                subject=f"Your question on “{er.title}” has been answered",
                body=render_to_string("engagement/email/answered.txt", context),
                dedupe_key=f"engagement:answered:{question.pk}",
            )
        _email_each(
            [p for p in _participant_people(er) if p.pk != question.asked_by_id],
            subject=f"A clarification question on “{er.title}” has been answered",
            body=render_to_string("engagement/email/answer_published.txt", context),
            key=f"engagement:answer-published:{question.pk}",
        )
    return question


def question_decline(
    *, actor: User, question: ClarificationQuestion, reason: str
) -> ClarificationQuestion:
    """Decline a question instead of publishing it (off-topic, or it cannot be answered).

    Before: the actor owns the request; the question is neither answered nor declined.
    After: it is declined with the reason, never published, and the asker is emailed the
    reason (once: a dedupe key).
    """
    if not permissions.can_manage_request(actor, question.engagement_request):
        raise PermissionDenied("Only the request's owners can decline questions.")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError({"reason": "Enter why you are declining the question"})
    with transaction.atomic():
        question = (
            ClarificationQuestion.objects.select_for_update(of=("self",))
            .select_related("engagement_request", "asked_by")
            .get(pk=question.pk)
        )
        if question.is_published:
            raise DomainError("This question's answer is published, so it cannot be declined.")
        if question.is_declined:
            raise DomainError("This question has already been declined.")
        question.declined_at = timezone.now()
        question.declined_by = actor
        question.decline_reason = reason
        _save(question, actor=actor, reason="Declined")
        er = question.engagement_request
        if question.asked_by_id and question.asked_by.is_active:
            email_queue(
                to=question.asked_by.email,
                subject=f"Your question on “{er.title}” will not be answered",
                body=render_to_string(
                    "engagement/email/declined.txt",
                    {"request": er, "question": question, "url": _request_url(er)},
                ),
                dedupe_key=f"engagement:declined:{question.pk}",
            )
    return question


# --- After publishing: deadline, corrections, messages ---------------------------------

# What an owner may correct once a request is published: its wording. Capabilities and
# regions decided who was matched and alerted, so they do not change after publishing.
CORRECTABLE_FIELDS = {
    "title",
    "policy_area",
    "problem",
    "session_place",
    "session_link_note",
    "procurement_timing",
}


def engagement_request_extend_deadline(
    *, actor: User, engagement_request: EngagementRequest, response_deadline: datetime
) -> EngagementRequest:
    """Move an open request's response deadline later, and tell the participants.

    Before: the actor owns the request; it is open; the new deadline is later than the
    current one. After: the deadline is saved with history, the change log shows it, and
    every participant's people get an outbox email (dedupe key per deadline and person,
    queued on commit), so a retry emails no one twice.
    """
    if not permissions.can_manage_request(actor, engagement_request):
        raise PermissionDenied("Only the request's owners can extend the deadline.")
    if response_deadline is None:
        raise DomainError({"response_deadline": "Enter the new date responses close"})
    with transaction.atomic():
        er = EngagementRequest.objects.select_for_update().get(pk=engagement_request.pk)
        if er.status != Status.OPEN:
            raise DomainError("Only an open request's deadline can be extended.")
        if response_deadline <= max(er.response_deadline, timezone.now()):
            raise DomainError(
                {"response_deadline": "The new deadline must be later than the current one"}
            )
        previous = er.response_deadline
        er.response_deadline = response_deadline
        _save(er, actor=actor, reason="Deadline extended")
        RequestChange.objects.create(
            engagement_request=er,
            kind=RequestChange.Kind.DEADLINE_EXTENDED,
            fields=["response_deadline"],
            summary=(
                f"Deadline extended from {format_govuk_datetime(previous)} "
                f"to {format_govuk_datetime(response_deadline)}."
            ),
            changed_by=actor,
        )
        body = render_to_string(
            "engagement/email/deadline_extended.txt",
            {"request": er, "previous": previous, "url": _request_url(er)},
        )
        stamp = int(response_deadline.timestamp())
        _email_each(
            _participant_people(er),
            subject=f"More time to respond to “{er.title}”",
            body=body,
            key=f"engagement:deadline:{er.pk}:{stamp}",
        )
    return er


def engagement_request_correct(
    *, actor: User, engagement_request: EngagementRequest, note: str, **changes
) -> EngagementRequest:
    """Correct a published request's wording (a typo), with a note shown in its change log.

    Before: the actor owns the request and it is published; ``changes`` name
    CORRECTABLE_FIELDS only and obey the draft rules; at least one value differs. After:
    the fields are saved with history, the search vector is current, and a public
    RequestChange says which fields changed, when, and the owner's note.
    """
    unknown = set(changes) - CORRECTABLE_FIELDS
    if unknown:
        raise ValueError(f"Not a correctable field: {', '.join(sorted(unknown))}")
    if not permissions.can_manage_request(actor, engagement_request):
        raise PermissionDenied("Only the request's owners can correct it.")
    note = (note or "").strip()
    if not note:
        raise DomainError({"note": "Enter what you corrected"})
    _validate_changes(engagement_request, changes)
    with transaction.atomic():
        er = EngagementRequest.objects.select_for_update().get(pk=engagement_request.pk)
        if er.is_draft:
            raise DomainError("A draft is changed on its question pages.")
        changed = [
            name
            for name in sorted(CORRECTABLE_FIELDS & set(changes))
            if (changes[name] or "").strip() != getattr(er, name)
        ]
        if not changed:
            raise DomainError("You have not changed anything")
        for name in changed:
            setattr(er, name, changes[name].strip())
        _save(er, actor=actor, reason=f"Corrected: {note}"[:100])
        labels = ", ".join(
            str(EngagementRequest._meta.get_field(name).verbose_name) for name in changed
        )
        RequestChange.objects.create(
            engagement_request=er,
            kind=RequestChange.Kind.CORRECTED,
            fields=changed,
            summary=f"Corrected the {labels}: {note}",
            changed_by=actor,
        )
        engagement_request_refresh_search_vector(engagement_request=er)
    return er


def engagement_request_message_respondents(
    *, actor: User, engagement_request: EngagementRequest, subject: str, body: str
) -> RespondentMessage:
    """Email every organisation that responded (its people), say with the session link.

    Before: the actor owns the published request and at least one organisation has
    responded. After: the message is recorded, and one outbox email per person is queued
    on commit with a dedupe key (message and person), so a retry sends nothing twice.
    """
    if not permissions.can_manage_request(actor, engagement_request):
        raise PermissionDenied("Only the request's owners can message respondents.")
    subject = (subject or "").strip()
    body = (body or "").strip()
    errors = {}
    if not subject:
        errors["subject"] = "Enter a subject"
    elif has_line_break(subject):
        errors["subject"] = no_line_breaks.message
    if not body:
        errors["body"] = "Enter your message"
    if errors:
        raise DomainError(errors)
    with transaction.atomic():
        er = EngagementRequest.objects.select_for_update().get(pk=engagement_request.pk)
        if er.is_draft:
            raise DomainError("You can message respondents once the request is published.")
        people = _participant_people(er, kinds=[Participant.Kind.RESPONDED])
        if not people:
            raise DomainError("No organisation has responded yet, so there is no one to message.")
        message = RespondentMessage.objects.create(
            engagement_request=er,
            subject=subject,
            body=body,
            sent_by=actor,
            recipient_count=len(people),
        )
        text = render_to_string(
            "engagement/email/message.txt",
            {"request": er, "message": message, "url": _request_url(er)},
        )
        _email_each(
            people,
            subject=f"{subject} – {er.title}",
            body=text,
            key=f"engagement:message:{message.pk}",
        )
    return message


def participant_record_attendance(
    *, actor: User, engagement_request: EngagementRequest, supplier: Supplier
) -> Participant:
    """An owner records that a supplier attended a session (the participants register)."""
    if not permissions.can_manage_request(actor, engagement_request):
        raise PermissionDenied("Only the request's owners can record attendance.")
    if engagement_request.is_draft:
        raise DomainError("Attendance can only be recorded once the request is published.")
    with transaction.atomic():
        return _record_participant(
            engagement_request=engagement_request,
            supplier=supplier,
            kind=Participant.Kind.ATTENDED,
            actor=actor,
        )


# --- Alerts ---------------------------------------------------------------------


def alert_preference_set(
    *,
    actor: User,
    supplier: Supplier,
    frequency: str,
    capabilities: Iterable[Capability] = (),
    regions: Iterable[Region] = (),
) -> AlertPreference:
    """A supplier member chooses which requests the organisation hears about, and how often."""
    if not permissions.can_edit_alert_preferences(actor, supplier):
        raise PermissionDenied("You can only set alerts for an organisation you belong to.")
    if frequency not in AlertPreference.Frequency.values:
        raise DomainError({"frequency": "Select how often you want alerts"})
    with transaction.atomic():
        preference, _ = AlertPreference.objects.get_or_create(
            supplier=supplier, defaults={"updated_by": actor}
        )
        preference.frequency = frequency
        preference.updated_by = actor
        _save(preference, actor=actor, reason="Alert preferences changed")
        preference.capabilities.set(list(capabilities))
        preference.regions.set(list(regions))
    return preference


def _recipients(supplier_ids: Iterable[int]) -> dict[int, list[User]]:
    people: dict[int, list[User]] = defaultdict(list)
    for membership in (
        SupplierMembership.objects.filter(supplier_id__in=list(supplier_ids), user__is_active=True)
        .select_related("user")
        .order_by("pk")
    ):
        people[membership.supplier_id].append(membership.user)
    return people


def _alert_context(engagement_request: EngagementRequest, match: Match | None) -> dict:
    return {
        "request": engagement_request,
        "url": _request_url(engagement_request),
        "reason": match.reason if match else "",
        "preferences_url": absolute_url(reverse("engagement:alerts")),
    }


def notifications_send_pending(
    *, engagement_request_id: int | None = None, limit: int = 500
) -> int:
    """Turn pending immediate notifications into outbox emails, one per supplier member.

    Rows are locked (SKIP LOCKED) and marked queued in the same transaction as
    the emails are written, and every email has a dedupe key, so running this
    twice, or the on-commit task and the periodic sweep at once, emails no one
    twice; an outage only delays them. Returns how many notifications it handled.
    """
    with transaction.atomic():
        pending = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=Notification.Status.PENDING, frequency="immediate")
            .select_related("engagement_request", "supplier")
            .order_by("pk")
        )
        if engagement_request_id is not None:
            pending = pending.filter(engagement_request_id=engagement_request_id)
        batch = list(pending[:limit])
        if not batch:
            return 0
        people = _recipients(n.supplier_id for n in batch)
        matches = {
            (m.engagement_request_id, m.supplier_id): m
            for m in Match.objects.filter(
                engagement_request_id__in={n.engagement_request_id for n in batch},
                supplier_id__in={n.supplier_id for n in batch},
            )
        }
        now = timezone.now()
        for notification in batch:
            er = notification.engagement_request
            recipients = people.get(notification.supplier_id, [])
            if er.status != Status.OPEN or not recipients:
                notification.status = Notification.Status.SKIPPED
            else:
                context = _alert_context(er, matches.get((er.pk, notification.supplier_id))) | {
                    "supplier": notification.supplier
                }
                body = render_to_string("engagement/email/alert.txt", context)
                for person in recipients:
                    email_queue(
                        to=person.email,
                        subject=f"Early engagement request: {er.title}",
                        body=body,
                        dedupe_key=f"engagement:alert:{er.pk}:{notification.supplier_id}:{person.pk}",
                    )
                notification.status = Notification.Status.QUEUED
            notification.queued_at = now
        bulk_update_with_history(
            batch, Notification, ["status", "queued_at"], default_change_reason="Alert sent"
        )
    return len(batch)


def notifications_send_weekly_digest(*, now: datetime | None = None) -> int:
    """Email each supplier with weekly alerts one digest of its pending notifications.

    Per supplier, in one transaction: lock its pending weekly rows, write one
    outbox email per member (dedupe key built from the rows' ids) and mark the
    rows queued; requests no longer open are skipped. Running it twice sends
    nothing new. Returns how many digests it queued.
    """
    now = now or timezone.now()
    supplier_ids = list(
        Notification.objects.filter(status=Notification.Status.PENDING, frequency="weekly")
        .values_list("supplier_id", flat=True)
        .distinct()
    )
    digests = 0
    for supplier_id in supplier_ids:
        with transaction.atomic():
            rows = list(
                Notification.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(
                    supplier_id=supplier_id,
                    status=Notification.Status.PENDING,
                    frequency="weekly",
                )
                .select_related("engagement_request", "supplier")
                .order_by("pk")
            )
            if not rows:
                continue
            still_open = [n for n in rows if n.engagement_request.accepting_responses]
            recipients = _recipients([supplier_id]).get(supplier_id, [])
            if still_open and recipients:
                key = hashlib.sha256(",".join(str(n.pk) for n in rows).encode()).hexdigest()[:24]
                body = render_to_string(
                    "engagement/email/digest.txt",
                    {
                        "supplier": rows[0].supplier,
                        "items": [
                            {
                                "request": n.engagement_request,
                                "url": _request_url(n.engagement_request),
                            }
                            for n in still_open
                        ],
                        "preferences_url": absolute_url(reverse("engagement:alerts")),
                    },
                )
                for person in recipients:
                    email_queue(
                        to=person.email,
                        subject=f"{len(still_open)} new early engagement requests this week",
                        body=body,
                        dedupe_key=f"engagement:digest:{supplier_id}:{person.pk}:{key}",
                    )
                digests += 1
            for n in rows:
                n.status = (
                    Notification.Status.QUEUED
                    if n in still_open and recipients
                    else Notification.Status.SKIPPED
                )
                n.queued_at = now
            bulk_update_with_history(
                rows, Notification, ["status", "queued_at"], default_change_reason="Weekly digest"
            )
    return digests


def deadline_from(day: date, at: time | None) -> datetime:
    """A deadline on a day in UK time (17:00 unless a time is given), as an aware datetime."""
    return timezone.make_aware(datetime.combine(day, at or time(17, 0)))
